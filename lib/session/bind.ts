// Which codex session is our child running? Its id is the rollout's session_meta.id.
//
// Verified on the pinned codex 0.169.0 (Linux): the process that writes a rollout keeps it open for as
// long as the session is loaded — `codex exec` from the first line to exit, the TUI with --no-daemon
// from its first prompt (a TUI without a prompt has no rollout yet) through idle periods until exit,
// `resume <id>` from start (the old file, reopened for append), `fork` from start (the new file; the
// parent's file is not held). In daemon mode the app-server daemon holds it instead (hence --no-daemon).
// So the exact answer is the rollout our child's process tree holds open FOR WRITING, as the
// process-table port lists open files (Linux: /proc/PID/fd + the access mode in fdinfo; macOS:
// `lsof -F pfan`, access w/u): two sessions started at the same instant in the same directory cannot be
// confused, and the cost is the tree's open files, independent of the user's history. Read-only
// descriptors do not count: measured on 0.169.0 (strace), a `codex exec` starting while another
// session of the same CODEX_HOME is live opens that session's rollout O_RDONLY during its startup,
// before it creates its own (O_RDWR|O_APPEND).
//
// Only where open files cannot be listed at all (no readable /proc/PID/fd, no lsof) — and for the
// last attempt after the child is gone — a scan is used: the date directories that can hold files
// created since launch, files whose creation time (UUIDv7 in the name, else the name's timestamp) is
// not older than the launch, whose session_meta matches the cwd and is not bound by another live job.
// Two candidates left = ambiguous = no binding (never a guess). While open files can be listed, "no
// held rollout" means "no first prompt yet" and the scan is not tried: it could pick a neighbour's
// session started in the same directory.
import path from "node:path";
import { hostPlatform } from "../process/host.js";
import type { OpenFile, ProcessPlatform } from "../process/platform.js";
import { descendantPids } from "../process/tree.js";
import { mtimeMs, readSessionMeta, realOrResolved, ROLLOUT_NAME, rolloutFileTimeMs, rolloutsCreatedBetween } from "./bind-files.js";
import { isSubagentSource, type SessionMetaEvent } from "./rollout-events.js";

type BindMethod = "fd" | "scan";

export interface BindOptions {
  /** CODEX_HOME of the child. */
  codexHome: string;
  /** When the child was launched (epoch ms); the scan ignores files created before (minus slackMs). */
  sinceMs: number;
  /** Pids of the child's process tree; their descendants are looked at too. */
  childPids: readonly number[];
  /** The directory codex runs in (its -C/--cd if given, see codex/cd.ts); required for the scan. */
  cwd?: string | null;
  /** Session ids (or rollout paths) already bound by other live jobs. */
  exclude?: Iterable<string>;
  /** "auto" (default): the open files when this system can list them, else the scan. */
  method?: "auto" | BindMethod;
  /** Tolerance for clock granularity between our launch time and codex's file time (default 2000 ms). */
  slackMs?: number;
  nowMs?: number;
  /** The process table to read the tree and its open files from (default: this host's). */
  platform?: ProcessPlatform;
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
  /** fd method only: the pids looked at and every rollout descriptor they had (read-only ones too). */
  tree?: { pids: number[]; fds: OpenFile[] };
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
      mtimeMs: withMtime ? await mtimeMs(file) : 0,
    })),
  );
}

function excluded(c: Candidate, exclude: Set<string>): boolean {
  return exclude.has(c.file) || (c.meta !== null && exclude.has(c.meta.id));
}

function bound(c: Candidate, method: BindMethod, candidates: string[]): BindAttempt {
  return { binding: { sessionId: c.meta!.id, rolloutPath: c.file, method, meta: c.meta! }, method, outcome: "bound", candidates };
}

/** The tree's pids and its rollout descriptors, or null when this system cannot list open files. */
function treeRollouts(platform: ProcessPlatform, childPids: readonly number[], sessionsDir: string): { pids: number[]; fds: OpenFile[] } | null {
  const pids = descendantPids(childPids, platform);
  // Open files are reported by their real path; CODEX_HOME may be given through a symlink.
  const files = platform.openFiles(pids, realOrResolved(sessionsDir));
  if (files === null) return null;
  return { pids, fds: files.filter((f) => ROLLOUT_NAME.test(path.basename(f.path))) };
}

async function bindHeld(tree: { pids: number[]; fds: OpenFile[] }, opts: BindOptions, exclude: Set<string>): Promise<BindAttempt> {
  const method = "fd";
  const held = [...new Set(tree.fds.filter((f) => f.writable).map((f) => f.path))];
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

async function bindByScan(opts: BindOptions, exclude: Set<string>, sessionsDir: string): Promise<BindAttempt> {
  const method = "scan";
  if (!opts.cwd) return { binding: null, method, outcome: "no-cwd", candidates: [] };
  const slack = opts.slackMs ?? 2000;
  const files = await rolloutsCreatedBetween(sessionsDir, opts.sinceMs - slack, (opts.nowMs ?? Date.now()) + slack);
  const cands = (await loadCandidates(files)).filter((c) => !excluded(c, exclude));
  const matching = cands.filter((c) => c.meta !== null && !isSubagentSource(c.meta.source) && c.meta.cwd !== null && samePath(c.meta.cwd, opts.cwd!));
  if (matching.length === 1) return bound(matching[0]!, method, files);
  if (matching.length > 1) return { binding: null, method, outcome: "ambiguous", candidates: matching.map((c) => c.file) };
  return { binding: null, method, outcome: cands.some((c) => c.meta === null) ? "meta-unreadable" : "no-rollout-yet", candidates: files };
}

/**
 * One binding attempt, with the reason when there is none (for a caller that explains a missing
 * binding). Never throws for missing directories, files or processes.
 */
export async function tryBindSession(opts: BindOptions): Promise<BindAttempt> {
  const exclude = new Set(opts.exclude ?? []);
  const sessionsDir = path.join(opts.codexHome, "sessions");
  if (opts.method !== "scan") {
    const tree = treeRollouts(opts.platform ?? hostPlatform(), opts.childPids, sessionsDir);
    if (tree !== null) return bindHeld(tree, opts, exclude);
    if (opts.method === "fd") return { binding: null, method: "fd", outcome: "no-rollout-yet", candidates: [], tree: { pids: [], fds: [] } };
  }
  return bindByScan(opts, exclude, sessionsDir);
}

/** One binding attempt: the bound session, or null (no rollout yet, or not exactly one candidate). */
export async function bindSession(opts: BindOptions): Promise<Binding | null> {
  return (await tryBindSession(opts)).binding;
}
