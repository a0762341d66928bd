// The passthrough launch record that shim/codex (POSIX sh) execs from without starting Node: what to
// exec, how to change the environment, and everything the decision depended on, so the sh can prove it
// still holds (docs/architecture.md §5 "Exec, don't wrap"). Written only by the Node path, atomically,
// 0600 in a 0700 directory of our home; never followed through a symlink. The line format is read by
// shim/codex — change both together and bump FORMAT.
//
// Lines (one tag character, then the value up to the newline):
//   P<PATH>  O<0|1> config opts in   V<name>=<value> / v<name> an env value read (set / unset)
//   A<path> must not exist   W<path> must not be newer than this file, followed by L<its `ls -lnidL`
//   line without the name>, in ls's (byte) order
//   C<command>  a<first argument>  U<name> unset  E<name>=<value> export   "." the end
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, utimesSync, writeSync } from "node:fs";
import path from "node:path";
import type { LaunchSpec } from "../codex/native-launch.js";

export const FORMAT = "codex-supervisor-shim-cache 2";
/** Environment values the launch decision reads besides PATH (the npm launcher's package-manager guess). */
export const ENV_INPUTS = ["npm_config_user_agent", "npm_execpath"] as const;
/** Set by shim/codex for the Node path it starts when its record is missing or stale: where to write it. */
export const CACHE_FILE_ENV = "CODEX_AUTH_SHIM_CACHE";

const KEEP_RECORDS = 32;
const STALE_TEMP_MS = 60_000;
/** The record's mtime is set this far before the decision started (coarse file-system clocks). */
const BACKDATE_MS = 2_000;

export const cacheDir = (home: string) => path.join(home, "shim-cache");

export interface LaunchRecord {
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

export interface Proof {
  pathValue: string;
  env: NodeJS.ProcessEnv;
  /** Every path the decision looked at. */
  paths: ReadonlyMap<string, "present" | "absent">;
}

/** `ls -lnidL` of `files`, with the environment shim/codex gives ls (its output must not depend on the user's). */
export function lsIdentity(files: string[], pathValue: string): string | null {
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

/** The whole record text, or null when the proof cannot be written down for sh. */
export function recordText(exec: string[], proof: Proof): string | null {
  const lines = [FORMAT, `P${proof.pathValue}`, exec[0]!];
  for (const k of ENV_INPUTS) lines.push(proof.env[k] === undefined ? `v${k}` : `V${k}=${proof.env[k]}`);
  const present: string[] = [];
  const absent: string[] = [];
  for (const [file, state] of proof.paths) {
    if (!path.isAbsolute(file)) return null; // relative to the working directory: not provable from elsewhere
    (state === "absent" ? absent : present).push(file);
  }
  for (const file of absentRoots(absent, lexists)) lines.push(`A${file}`);
  present.sort(byteOrder);
  const ls = lsIdentity(present, proof.pathValue);
  if (ls === null) return null;
  const listed = ls.split("\n").filter((l) => l !== "");
  if (listed.length !== present.length) return null;
  // One W (path) and L (its listing without the name) per file, in ls's order. ls pads its columns to
  // the widest entry of the call, and shim/codex lists two more files: runs of spaces are squeezed.
  for (let i = 0; i < present.length; i++) {
    const suffix = ` ${present[i]}`;
    if (!listed[i]!.endsWith(suffix)) return null;
    lines.push(`W${present[i]}`, `L${listed[i]!.slice(0, -suffix.length).replace(/ +/g, " ").replace(/^ /, "")}`);
  }
  lines.push(...exec.slice(1), ".");
  if (lines.some((l) => l.includes("\n"))) return null;
  return lines.join("\n") + "\n";
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

/** Old temp files of killed writers, and the least recently written records beyond KEEP_RECORDS. */
function tidy(dir: string): void {
  const records: { file: string; mtime: number }[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      const st = lstatSync(file);
      if (name.startsWith(".") && name.endsWith(".tmp") && Date.now() - st.mtimeMs > STALE_TEMP_MS) unlinkSync(file);
      else if (/^path-\d+$/.test(name)) records.push({ file, mtime: st.mtimeMs });
    } catch {
      // gone meanwhile (another shim tidying)
    }
  }
  records.sort((a, b) => b.mtime - a.mtime);
  for (const r of records.slice(KEEP_RECORDS)) {
    try {
      unlinkSync(r.file);
    } catch {
      // gone meanwhile
    }
  }
}

/** `file` when it names a record inside `dir` (the sh passes it; nothing else is ever written). */
export function recordTarget(dir: string, file: string): string | null {
  const target = path.resolve(file);
  return path.dirname(target) === dir && /^path-\d+$/.test(path.basename(target)) ? target : null;
}

/**
 * Write `text` as `target` (from recordTarget, in a directory from prepareCacheDir) atomically, mode
 * 0600, never through a symlink, with its mtime set before `decidedAtMs` so anything changed since the
 * decision started looks newer to the sh. Best effort: a record that cannot be written only costs the
 * next call the Node path.
 */
export function writeRecord(target: string, text: string, decidedAtMs: number): boolean {
  const dir = path.dirname(target);
  let tmp: string | null = null;
  try {
    tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.tmp`);
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    const t = (decidedAtMs - BACKDATE_MS) / 1000;
    utimesSync(tmp, t, t);
    renameSync(tmp, target);
    tmp = null;
    tidy(dir);
    return true;
  } catch {
    if (tmp !== null) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
    }
    return false;
  }
}
