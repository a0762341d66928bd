// The passthrough launch record that shim/codex (POSIX sh) execs from without starting Node: what to
// exec, how to change the environment, and everything the decision depended on, so the sh can prove it
// still holds (docs/architecture.md §5 "Exec, don't wrap"). Written only by the Node path, atomically,
// 0600 in a 0700 directory of our home; never followed through a symlink. The format is read by
// shim/codex — change both together and bump FORMAT.
//
// <dir>/path-<N>: lines of a tag character and a value: G<generation>, W<links in w/>, A<links in a/>,
//   P<PATH>, O<0|1> config opts in,
//   V<name>=<value> / v<name> an env value read (set / unset), C<command>, a<first argument>,
//   U<name> unset, E<name>=<value> export, and "." at the end. The sh reads it one byte per system call
//   (dash), so the bulky proof is not in it but in
// <dir>/path-<N>.<generation>/: w/<NNN> <identity> — a symlink to each path the decision found, named by
//   its `ls -lnidL` line (name left out, spaces squeezed): it must list the same and not be newer than
//   the record; a/<NNN> — a symlink to each path that must still be absent.
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeSync } from "node:fs";
import path from "node:path";
import type { LaunchSpec } from "../codex/native-launch.js";

export const FORMAT = "codex-supervisor-shim-cache 3";
/** Environment values the launch decision reads besides PATH (the npm launcher's package-manager guess). */
const ENV_INPUTS = ["npm_config_user_agent", "npm_execpath"] as const;

const KEEP_RECORDS = 32;
const STALE_TEMP_MS = 60_000;
/** The record's mtime is set this far before the decision started (coarse file-system clocks). */
const BACKDATE_MS = 2_000;

export const cacheDir = (home: string) => path.join(home, "shim-cache");

interface LaunchRecord {
  command: string;
  /** Arguments before the user's argv (the launcher file when codex is started through node). */
  prefix: string[];
  unset: string[];
  set: [string, string][];
  /** Config `codexCliSessionSupervisor` is on (or unreadable): without the env switch, Node decides. */
  configOptIn: boolean;
}

/** What to exec, as a difference from `baseEnv` (the caller's env without our keys). */
export function recordOf(spec: LaunchSpec, argvLength: number, baseEnv: NodeJS.ProcessEnv, configOptIn: boolean): LaunchRecord {
  const unset = Object.keys(baseEnv).filter((k) => spec.env[k] === undefined);
  const set = Object.entries(spec.env).filter((e): e is [string, string] => e[1] !== undefined && baseEnv[e[0]] !== e[1]);
  // exec with a bare name would search PATH (and could find this shim again).
  const command = spec.command.includes("/") ? spec.command : `./${spec.command}`;
  return { command, prefix: spec.args.slice(0, spec.args.length - argvLength), unset, set, configOptIn };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The exec lines, or null when sh could not reproduce them exactly (a newline in a value, a name sh cannot set). */
export function execLines(r: LaunchRecord): string[] | null {
  const lines = [`O${r.configOptIn ? 1 : 0}`, `C${r.command}`, ...r.prefix.map((a) => `a${a}`), ...r.unset.map((k) => `U${k}`), ...r.set.map(([k, v]) => `E${k}=${v}`)];
  if (r.prefix.length > 1 || lines.some((l) => l.includes("\n"))) return null;
  if (![...r.unset, ...r.set.map((e) => e[0])].every((k) => NAME.test(k))) return null;
  return lines;
}

interface Proof {
  pathValue: string;
  env: NodeJS.ProcessEnv;
  /** Every path the decision looked at. */
  paths: ReadonlyMap<string, "present" | "absent">;
}

/** `ls -lnidL` of `files`, with the environment shim/codex gives ls (its output must not depend on the user's). */
function lsIdentity(files: string[], pathValue: string): string | null {
  if (files.length === 0) return "";
  const r = spawnSync("ls", ["-lnidL", "--", ...files], {
    env: { PATH: pathValue, LC_ALL: "C", TZ: "UTC0" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 5_000,
  });
  return r.status === 0 && typeof r.stdout === "string" ? r.stdout : null;
}

/** lstat succeeds (a dangling symlink exists: the sh's `-L` sees it). */
function lexists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Byte order, as `ls` sorts its operands with LC_ALL=C. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Absent paths as their shortest missing ancestors, without repeats: the same proof, fewer bytes for
 * the sh to read (it reads a file one byte per system call).
 */
export function absentRoots(absent: readonly string[], exists: (p: string) => boolean): string[] {
  const roots = new Set<string>();
  for (const file of absent) {
    let root = file;
    for (let d = path.dirname(file); d !== path.dirname(d) && !exists(d); d = path.dirname(d)) root = d;
    roots.add(root);
  }
  const sorted = [...roots].sort(byteOrder);
  return sorted.filter((r) => !sorted.some((o) => o !== r && r.startsWith(o + "/")));
}

/** What writeRecord puts down: the record's lines (without G) and the generation directory's links. */
interface RecordPlan {
  lines: string[];
  /** Present paths with their identity (`ls -lnidL` line without the name, spaces squeezed). */
  watched: { file: string; identity: string }[];
  /** Paths that must stay absent (shortest missing ancestors). */
  absent: string[];
}

/** The record to write, or null when the proof cannot be written down for sh. */
export function planRecord(exec: string[], proof: Proof): RecordPlan | null {
  const lines = [`P${proof.pathValue}`, exec[0]!];
  for (const k of ENV_INPUTS) lines.push(proof.env[k] === undefined ? `v${k}` : `V${k}=${proof.env[k]}`);
  const present: string[] = [];
  const absent: string[] = [];
  for (const [file, state] of proof.paths) {
    if (!path.isAbsolute(file)) return null; // relative to the working directory: not provable from elsewhere
    (state === "absent" ? absent : present).push(file);
  }
  present.sort(byteOrder);
  const ls = lsIdentity(present, proof.pathValue);
  if (ls === null) return null;
  const listed = ls.split("\n").filter((l) => l !== "");
  if (listed.length !== present.length) return null;
  const watched: RecordPlan["watched"] = [];
  for (let i = 0; i < present.length; i++) {
    const suffix = ` ${present[i]}`;
    if (!listed[i]!.endsWith(suffix)) return null;
    // ls pads its columns to the widest entry of the call, and shim/codex lists more files: squeezed.
    watched.push({ file: present[i]!, identity: listed[i]!.slice(0, -suffix.length).replace(/ +/g, " ").replace(/^ /, "") });
  }
  lines.push(...exec.slice(1));
  if ([...lines, ...present, ...absent].some((l) => l.includes("\n"))) return null;
  if (watched.some((w) => w.identity.includes("/") || w.identity.length > 200)) return null;
  return { lines, watched, absent: absentRoots(absent, lexists) };
}

/**
 * The record directory of `home`, made (0700, with the home) if missing, before the proof is taken: the
 * home appearing must not make the first record stale. Null when it is not a directory of ours (never
 * followed as a link) or cannot be made.
 */
export function prepareCacheDir(home: string): string | null {
  const dir = cacheDir(home);
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const st = lstatSync(dir);
    if (!st.isDirectory() || (typeof process.getuid === "function" && st.uid !== process.getuid())) return null;
    if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
    return dir;
  } catch {
    return null;
  }
}

/** `file` when it names a record inside `dir` (the sh passes it; nothing else is ever written). */
export function recordTarget(dir: string, file: string): string | null {
  const target = path.resolve(file);
  return path.dirname(target) === dir && /^path-\d+$/.test(path.basename(target)) ? target : null;
}

const seq = (i: number) => String(i).padStart(3, "0");

/**
 * Old temp files of killed writers; `target`'s earlier generation directories; records beyond
 * KEEP_RECORDS with theirs. Two writers racing on one record may remove each other's generation: the
 * record then names a missing one, and the next call asks Node again.
 */
function tidy(dir: string, target: string, genDir: string): void {
  const records: { file: string; mtime: number }[] = [];
  const mine = `${path.basename(target)}.`;
  const names = readdirSync(dir);
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const st = lstatSync(file);
      if (name.startsWith(".") && name.endsWith(".tmp")) {
        if (Date.now() - st.mtimeMs > STALE_TEMP_MS) rmSync(file, { force: true });
      } else if (/^path-\d+$/.test(name)) records.push({ file, mtime: st.mtimeMs });
      else if (name.startsWith(mine) && file !== genDir) rmSync(file, { recursive: true, force: true });
    } catch {
      // gone meanwhile (another shim tidying)
    }
  }
  records.sort((a, b) => b.mtime - a.mtime);
  for (const r of records.slice(KEEP_RECORDS)) {
    const prefix = `${path.basename(r.file)}.`;
    for (const name of [path.basename(r.file), ...names.filter((n) => n.startsWith(prefix))]) rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Write the record `target` (from recordTarget, in a directory from prepareCacheDir): first its
 * generation directory of links, then the record atomically (mode 0600, never through a symlink) with
 * its mtime set before `decidedAtMs`, so anything changed since the decision started looks newer to
 * the sh. Best effort: a record that cannot be written only costs the next call the Node path.
 */
export function writeRecord(target: string, plan: RecordPlan, decidedAtMs: number): boolean {
  const dir = path.dirname(target);
  const gen = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const genDir = `${target}.${gen}`;
  let tmp: string | null = null;
  try {
    mkdirSync(genDir, { mode: 0o700 });
    mkdirSync(path.join(genDir, "w"), { mode: 0o700 });
    mkdirSync(path.join(genDir, "a"), { mode: 0o700 });
    plan.watched.forEach((w, i) => symlinkSync(w.file, path.join(genDir, "w", `${seq(i)} ${w.identity}`)));
    plan.absent.forEach((a, i) => symlinkSync(a, path.join(genDir, "a", seq(i))));
    const t = (decidedAtMs - BACKDATE_MS) / 1000;
    tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.tmp`);
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      // The counts: a link removed from the generation must not pass for a smaller proof.
      writeSync(fd, [FORMAT, `G${gen}`, `W${plan.watched.length}`, `A${plan.absent.length}`, ...plan.lines, "."].join("\n") + "\n");
    } finally {
      closeSync(fd);
    }
    utimesSync(tmp, t, t);
    renameSync(tmp, target);
    tmp = null;
    tidy(dir, target, genDir);
    return true;
  } catch {
    if (tmp !== null) rmSync(tmp, { force: true });
    rmSync(genDir, { recursive: true, force: true });
    return false;
  }
}
