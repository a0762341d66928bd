// Which codex session is our child running? Its id is the rollout's session_meta.id.
//
// Verified on the pinned codex 0.169.0 (Linux): the process that writes a rollout keeps it open for as
// long as the session is loaded — `codex exec` from the first line to exit, the TUI with --no-daemon
// from its first prompt (a TUI without a prompt has no rollout yet) through idle periods until exit,
// `resume <id>` from start (the old file, reopened for append), `fork` from start (the new file; the
// parent's file is not held). In daemon mode the app-server daemon holds it instead (hence --no-daemon).
// So on Linux the exact answer is the rollout our child's process tree holds open FOR WRITING
// (/proc/PID/fd + the access mode in /proc/PID/fdinfo): two sessions started at the same instant in the
// same directory cannot be confused, and the cost is the tree's open files, independent of the user's
// history. Read-only descriptors do not count: measured on 0.169.0 (strace), a `codex exec` starting
// while another session of the same CODEX_HOME is live opens that session's rollout O_RDONLY during
// its startup (next to the thread-writer-locks scan), before it creates its own (O_RDWR|O_APPEND). A
// tree caught in that window "held" only the neighbour's rollout and was bound to it.
//
// Without /proc (macOS) we fall back to a scan: only the date directories that can hold files created
// since launch are listed, only files whose creation time (the UUIDv7 in the name, else the name's
// timestamp) is not older than the launch are opened, and their session_meta must match the cwd and not
// be bound by another live job. Two candidates left = ambiguous = no binding (never a guess).
// On Linux the scan is never used when /proc works: "no held rollout" then means "no first prompt yet",
// and a scan could pick a neighbour's session that started in the same directory.
import fs from "node:fs";
import path from "node:path";
import { isSubagentSource, parseRolloutLine, type SessionMetaEvent } from "./rollout-events.js";

export type BindMethod = "fd" | "scan";

export interface BindOptions {
  /** CODEX_HOME of the child. */
  codexHome: string;
  /** When the child was launched (epoch ms); the scan ignores files created before (minus slackMs). */
  sinceMs: number;
  /** Pids of the child's live process tree (descendants of these are added, see includeDescendants). */
  childPids: readonly number[];
  /** The directory codex runs in (its -C/--cd if given, see codex/cd.ts); required for the scan. */
  cwd?: string | null;
  /** Session ids (or rollout paths) already bound by other live jobs. */
  exclude?: Iterable<string>;
  /** "auto" (default): fd when /proc is readable, else scan. */
  method?: "auto" | BindMethod;
  /** Also walk the descendants of childPids (default true). */
  includeDescendants?: boolean;
  /** Tolerance for clock granularity between our launch time and codex's file time (default 2000 ms). */
  slackMs?: number;
  /** For tests. */
  procRoot?: string;
  nowMs?: number;
}

export interface Binding {
  sessionId: string;
  rolloutPath: string;
  method: BindMethod;
  meta: SessionMetaEvent;
}

export interface BindAttempt {
  binding: Binding | null;
  method: BindMethod;
  /** Why there is no binding (or "bound"). */
  outcome: "bound" | "no-rollout-yet" | "ambiguous" | "meta-unreadable" | "no-cwd";
  /** Rollout files considered (held open for writing, or created since launch). */
  candidates: string[];
  /** fd method only: the pids walked and every rollout descriptor they had (also read-only ones), for diagnostics. */
  tree?: { pids: number[]; fds: RolloutFd[] };
}

/** A descriptor of a process that points at a rollout file. */
export interface RolloutFd {
  pid: number;
  fd: number;
  path: string;
  /** Opened for writing (O_WRONLY or O_RDWR); false when read-only or when its fdinfo could not be read. */
  writable: boolean;
}

/** rollout-YYYY-MM-DDThh-mm-ss-<uuid>.jsonl */
const ROLLOUT_NAME = /^rollout-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})-([0-9a-fA-F-]{36})\.jsonl$/;
const META_MAX_BYTES = 8 * 1024 * 1024;

/** The creation time of a rollout from its file name: the UUIDv7's milliseconds, else the name's local timestamp. */
export function rolloutFileTimeMs(name: string): number | null {
  const m = ROLLOUT_NAME.exec(name);
  if (!m) return null;
  const hex = m[7]!.replace(/-/g, "");
  if (hex.length === 32 && hex[12] === "7") return parseInt(hex.slice(0, 12), 16);
  const t = new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime();
  return Number.isFinite(t) ? t : null;
}

/** The session id in a rollout file name (the UUID at its end), or null. */
export function rolloutFileSessionId(name: string): string | null {
  const m = ROLLOUT_NAME.exec(name);
  return m ? m[7]!.toLowerCase() : null;
}

function ymd(d: Date, utc: boolean): string {
  const y = utc ? d.getUTCFullYear() : d.getFullYear();
  const mo = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const da = utc ? d.getUTCDate() : d.getDate();
  return `${String(y).padStart(4, "0")}/${String(mo).padStart(2, "0")}/${String(da).padStart(2, "0")}`;
}

/**
 * The `YYYY/MM/DD` directories (relative to CODEX_HOME/sessions) that can hold a rollout created in
 * [fromMs, toMs]: codex names them by local date; the UTC dates are added in case codex fell back to UTC.
 * Pure; usually one or two entries.
 */
export function candidateDateDirs(fromMs: number, toMs: number): string[] {
  const out = new Set<string>();
  const DAY = 24 * 3600 * 1000;
  const end = Math.max(fromMs, toMs);
  // Step by 6 h so no calendar day (local or UTC, DST included) between the ends is skipped.
  for (let t = fromMs; ; t = Math.min(t + DAY / 4, end)) {
    const d = new Date(t);
    out.add(ymd(d, false));
    out.add(ymd(d, true));
    if (t >= end) break;
  }
  return [...out].sort();
}

/** Read and parse the first line of a rollout (its session_meta). Null when absent, incomplete or not a meta. */
export async function readSessionMeta(file: string, maxBytes = META_MAX_BYTES): Promise<SessionMetaEvent | null> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, "r");
  } catch {
    return null;
  }
  try {
    const parts: Buffer[] = [];
    let total = 0;
    // The meta line is ~20 KB (it embeds the base instructions).
    const buf = Buffer.allocUnsafe(64 * 1024);
    while (total < maxBytes) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, total);
      if (bytesRead === 0) return null; // no newline yet: still being written
      const chunk = buf.subarray(0, bytesRead);
      const nl = chunk.indexOf(10);
      if (nl !== -1) {
        parts.push(Buffer.from(chunk.subarray(0, nl)));
        const ev = parseRolloutLine(Buffer.concat(parts).toString("utf8"));
        return ev?.type === "session_meta" ? ev : null;
      }
      parts.push(Buffer.from(chunk));
      total += bytesRead;
    }
    return null;
  } finally {
    await fh.close();
  }
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function readLink(file: string): string | null {
  try {
    return fs.readlinkSync(file);
  } catch {
    return null;
  }
}

/** pids plus all their descendants, via /proc/PID/task/TID/children (falls back to a /proc scan). */
export function withDescendants(pids: readonly number[], procRoot = "/proc"): number[] {
  const seen = new Set<number>();
  const queue = [...pids];
  let childrenFiles = true;
  while (queue.length > 0 && childrenFiles) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`${procRoot}/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tasks) {
      const txt = readText(`${procRoot}/${pid}/task/${tid}/children`);
      if (txt === null) {
        if (fs.existsSync(`${procRoot}/${pid}/task/${tid}`)) childrenFiles = false; // kernel without CONFIG_PROC_CHILDREN
        continue;
      }
      for (const c of txt.split(" ")) if (c.trim() !== "") queue.push(Number(c));
    }
  }
  if (childrenFiles) return [...seen];
  // Fallback: one pass over /proc/*/stat building the parent map.
  const kids = new Map<number, number[]>();
  for (const name of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`${procRoot}/${name}/stat`);
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = kids.get(ppid) ?? [];
    list.push(Number(name));
    kids.set(ppid, list);
  }
  const all = new Set<number>();
  const q2 = [...pids];
  while (q2.length > 0) {
    const p = q2.shift()!;
    if (all.has(p)) continue;
    all.add(p);
    q2.push(...(kids.get(p) ?? []));
  }
  return [...all];
}

/** The access mode bits of an fd's open flags (`flags:` in /proc/PID/fdinfo/FD, octal): 0 = O_RDONLY. */
export function fdinfoWritable(fdinfo: string): boolean | null {
  const m = /^flags:\s*([0-7]+)\s*$/m.exec(fdinfo);
  if (!m) return null;
  const accmode = parseInt(m[1]!, 8) & 3;
  return accmode === 1 || accmode === 2;
}

/** Every descriptor of the given processes that points at a rollout file under sessionsDir. */
export function rolloutFds(pids: readonly number[], sessionsDir: string, procRoot = "/proc"): RolloutFd[] {
  const prefix = sessionsDir.endsWith(path.sep) ? sessionsDir : sessionsDir + path.sep;
  const out: RolloutFd[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`${procRoot}/${pid}/fd`);
    } catch {
      continue; // exited, or not ours to read
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`${procRoot}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      // A deleted file reads as "<path> (deleted)" and fails the name test.
      if (!target.startsWith(prefix) || !ROLLOUT_NAME.test(path.basename(target))) continue;
      // Unreadable fdinfo = the fd was closed in between: not held. The link is read again so flags of a
      // number reused for another file in between are not taken for this rollout's.
      const info = readText(`${procRoot}/${pid}/fdinfo/${fd}`);
      const same = info !== null && readLink(`${procRoot}/${pid}/fd/${fd}`) === target;
      out.push({ pid, fd: Number(fd), path: target, writable: same && fdinfoWritable(info) === true });
    }
  }
  return out;
}

/** Rollout files under sessionsDir that the given processes hold open for writing (the sessions they write). */
export function heldRollouts(pids: readonly number[], sessionsDir: string, procRoot = "/proc"): string[] {
  return [...new Set(rolloutFds(pids, sessionsDir, procRoot).filter((f) => f.writable).map((f) => f.path))];
}

function procUsable(procRoot: string): boolean {
  try {
    fs.readdirSync(`${procRoot}/self/fd`);
    return true;
  } catch {
    return false;
  }
}

function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b) || realOrResolved(a) === realOrResolved(b);
}

interface Candidate {
  file: string;
  meta: SessionMetaEvent | null;
  createdMs: number;
  /** Last write; 0 when unknown. */
  mtimeMs: number;
}

async function loadCandidates(files: string[], withMtime = false): Promise<Candidate[]> {
  return Promise.all(
    files.map(async (file) => ({
      file,
      meta: await readSessionMeta(file),
      createdMs: rolloutFileTimeMs(path.basename(file)) ?? 0,
      mtimeMs: withMtime ? await fs.promises.stat(file).then((st) => st.mtimeMs, () => 0) : 0,
    })),
  );
}

function excluded(c: Candidate, exclude: Set<string>): boolean {
  return exclude.has(c.file) || (c.meta !== null && exclude.has(c.meta.id));
}

function bound(c: Candidate, method: BindMethod, candidates: string[]): BindAttempt {
  return { binding: { sessionId: c.meta!.id, rolloutPath: c.file, method, meta: c.meta! }, method, outcome: "bound", candidates };
}

/** One binding attempt, with the reason when there is none. Never throws for missing dirs or processes. */
export async function tryBindSession(opts: BindOptions): Promise<BindAttempt> {
  const procRoot = opts.procRoot ?? "/proc";
  const method: BindMethod = opts.method && opts.method !== "auto" ? opts.method : procUsable(procRoot) ? "fd" : "scan";
  const exclude = new Set(opts.exclude ?? []);
  const sessionsDir = path.join(opts.codexHome, "sessions");

  if (method === "fd") {
    const pids = opts.includeDescendants === false ? [...opts.childPids] : withDescendants(opts.childPids, procRoot);
    // /proc shows canonical paths; CODEX_HOME may be given through a symlink.
    const fds = rolloutFds(pids, realOrResolved(sessionsDir), procRoot);
    const tree = { pids, fds };
    const held = [...new Set(fds.filter((f) => f.writable).map((f) => f.path))];
    if (held.length === 0) return { binding: null, method, outcome: "no-rollout-yet", candidates: [], tree };
    const cands = (await loadCandidates(held, held.length > 1)).filter((c) => !excluded(c, exclude));
    const readable = cands.filter((c) => c.meta !== null && !isSubagentSource(c.meta.source));
    if (readable.length === 0) {
      const outcome = cands.some((c) => c.meta === null) ? "meta-unreadable" : "no-rollout-yet";
      return { binding: null, method, outcome, candidates: held, tree };
    }
    // Several sessions held by one tree: measured on 0.169.0, `/new` inside the TUI keeps the old thread's
    // rollout open and opens a new one at the next prompt. The session in use is the one written last
    // (then the newest). Prefer those in the expected cwd.
    const inCwd = opts.cwd ? readable.filter((c) => c.meta!.cwd !== null && samePath(c.meta!.cwd, opts.cwd!)) : [];
    const pool = inCwd.length > 0 ? inCwd : readable;
    pool.sort((a, b) => b.mtimeMs - a.mtimeMs || b.createdMs - a.createdMs);
    return { ...bound(pool[0]!, method, held), tree };
  }

  if (!opts.cwd) return { binding: null, method, outcome: "no-cwd", candidates: [] };
  const slack = opts.slackMs ?? 2000;
  const from = opts.sinceMs - slack;
  const now = opts.nowMs ?? Date.now();
  const files: string[] = [];
  for (const rel of candidateDateDirs(from, now + slack)) {
    const dir = path.join(sessionsDir, ...rel.split("/"));
    let names: string[];
    try {
      names = await fs.promises.readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const t = rolloutFileTimeMs(name);
      if (t !== null && t >= from) files.push(path.join(dir, name));
    }
  }
  const cands = (await loadCandidates(files)).filter((c) => !excluded(c, exclude));
  const matching = cands.filter((c) => c.meta !== null && !isSubagentSource(c.meta.source) && c.meta.cwd !== null && samePath(c.meta.cwd, opts.cwd!));
  if (matching.length === 1) return bound(matching[0]!, method, files);
  if (matching.length > 1) return { binding: null, method, outcome: "ambiguous", candidates: matching.map((c) => c.file) };
  return { binding: null, method, outcome: cands.some((c) => c.meta === null) ? "meta-unreadable" : "no-rollout-yet", candidates: files };
}

/** One binding attempt: the bound session, or null (no rollout yet, or not exactly one candidate). */
export async function bindSession(opts: BindOptions): Promise<Binding | null> {
  return (await tryBindSession(opts)).binding;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Between attempts (default 250 ms). */
  intervalMs?: number;
  /** Called with every attempt (the bound one included), e.g. to explain a wrong or missing binding. */
  onAttempt?: (attempt: BindAttempt) => void;
}

export type WaitBindOptions = Omit<BindOptions, "childPids"> & {
  /** The live tree, re-read before every attempt when a function. */
  childPids: readonly number[] | (() => readonly number[] | Promise<readonly number[]>);
};

/** Poll bindSession until it binds, the deadline passes, or the signal aborts (then null). */
export async function waitForBinding(opts: WaitBindOptions, wait: WaitOptions): Promise<Binding | null> {
  const deadline = Date.now() + wait.timeoutMs;
  const interval = Math.max(1, wait.intervalMs ?? 250);
  for (;;) {
    if (wait.signal?.aborted) return null;
    const childPids = typeof opts.childPids === "function" ? await opts.childPids() : opts.childPids;
    const attempt = await tryBindSession({ ...opts, childPids });
    wait.onAttempt?.(attempt);
    if (attempt.binding) return attempt.binding;
    const left = deadline - Date.now();
    if (left <= 0) return null;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, Math.min(interval, left));
      function done(): void {
        clearTimeout(t);
        wait.signal?.removeEventListener("abort", done);
        resolve();
      }
      wait.signal?.addEventListener("abort", done, { once: true });
    });
  }
}
