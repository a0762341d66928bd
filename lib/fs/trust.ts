// Whose files we use. Like ssh with ~/.ssh: the supervisor home, `jobs/` and the config that steers
// us are used only if they are ours alone — owned by the user, not
// writable by group or others, not a symlink — and every directory above the home must be one
// that nobody else can swap it out of (owned by the user or root, not writable by others unless
// sticky). Anything else is refused with one line naming the path and the fix (see
// docs/architecture.md §4, "Trust").
import fs from "node:fs";
import path from "node:path";
import { DomainError } from "../errors.js";
import { configFile, jobsDir } from "../paths.js";

export class UnsafePathError extends DomainError {
  constructor(readonly file: string, what: string, problem: string, fix: string) {
    super("unsafe-path", `refusing to use ${what} ${file}: ${problem}; ${fix}`);
    this.name = "UnsafePathError";
  }
}

const myUid = (): number | null => (typeof process.geteuid === "function" ? process.geteuid() : null);
const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, "0");

/**
 * What is wrong with an object of ours, judged on its lstat (pure): a symlink, the wrong kind, another
 * owner, or write access for group/others. Null = fine. `fix` says what to do about `p`.
 */
export function ownProblem(st: fs.Stats, kind: "dir" | "file", p: string, uid: number | null = myUid()): { problem: string; fix: string } | null {
  const q = JSON.stringify(p);
  const noun = kind === "dir" ? "directory" : "file";
  if (st.isSymbolicLink()) return { problem: "it is a symbolic link, and links are never followed here", fix: `replace the link with the real ${noun}` };
  if (kind === "dir" ? !st.isDirectory() : !st.isFile()) return { problem: `it is not a ${kind === "dir" ? "directory" : "regular file"}`, fix: "move it out of the way" };
  if (uid !== null && st.uid !== uid) return { problem: `it is owned by uid ${st.uid}, not by you (uid ${uid})`, fix: `make it yours (chown ${uid} ${q}) or use a ${noun} of your own` };
  if ((st.mode & 0o022) !== 0) {
    const who = [(st.mode & 0o020) !== 0 ? "group" : "", (st.mode & 0o002) !== 0 ? "others" : ""].filter(Boolean).join(" and ");
    return { problem: `it is writable by ${who} (mode ${octal(st.mode)})`, fix: `chmod go-w ${q}` };
  }
  return null;
}

/** A directory above the home: nobody but the user or root may rename entries in it (pure). */
export function ancestorProblem(st: fs.Stats, uid: number | null = myUid()): string | null {
  if (uid === null) return null;
  if (st.uid !== uid && st.uid !== 0) return `owned by uid ${st.uid} (only you or root may own the directories above it)`;
  const sticky = (st.mode & 0o1000) !== 0;
  if (st.isDirectory() && (st.mode & 0o022) !== 0 && !sticky) return `writable by group or others without the sticky bit (mode ${octal(st.mode)})`;
  return null;
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Check an object of ours if it exists; throws UnsafePathError. Returns whether it exists. */
function assertOwned(p: string, kind: "dir" | "file", what: string): boolean {
  let st: fs.Stats | null;
  try {
    st = lstatOrNull(p);
  } catch (err) {
    throw new UnsafePathError(p, what, `it cannot be examined (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "fix: check the permissions of the directories above it");
  }
  if (!st) return false;
  const bad = ownProblem(st, kind, p);
  if (!bad) return true;
  throw new UnsafePathError(p, what, bad.problem, `fix: ${bad.fix}`);
}

/** Every directory above `p`, from its parent up to the root, lexically. */
function ancestors(p: string): string[] {
  const out: string[] = [];
  let cur = path.dirname(path.resolve(p));
  for (;;) {
    out.push(cur);
    const up = path.dirname(cur);
    if (up === cur) return out;
    cur = up;
  }
}

/**
 * The directories above the home, as written and as resolved (a symlink among them is followed by
 * every open, so both the link's own directory and the real chain must be safe).
 */
function assertAncestorsSafe(home: string, what: string): void {
  const chains = [ancestors(home)];
  try {
    chains.push(ancestors(path.join(fs.realpathSync(path.dirname(path.resolve(home))), "x")));
  } catch {
    /* a parent that does not exist yet: ensureDir creates it ours */
  }
  for (const dir of new Set(chains.flat())) {
    const st = lstatOrNull(dir);
    if (!st) continue;
    const bad = ancestorProblem(st);
    if (bad) {
      throw new UnsafePathError(home, what, `the directory ${dir} above it is ${bad}`, "fix: keep the home under directories only you or root control, or set CODEX_AUTH_SUPERVISOR_HOME elsewhere");
    }
  }
}

const trusted = new Set<string>();

/**
 * The supervisor home is ours alone: the home, `jobs/` and config.json (those that exist) and every
 * directory above it. (What is inside a home of ours could only be put there by us or root; the
 * files we open in it are opened without following symlinks.) Once per home per process (a few lstats). Throws
 * UnsafePathError (exit 2 at the edge).
 */
export function assertTrustedHome(home: string): void {
  const key = path.resolve(home);
  if (trusted.has(key)) return;
  assertAncestorsSafe(key, "the supervisor home");
  assertOwned(key, "dir", "the supervisor home");
  assertOwned(jobsDir(key), "dir", "the jobs directory");
  assertOwned(configFile(key), "file", "the config file");
  trusted.add(key);
}

/**
 * Before writing into CODEX_HOME (auth.json): it must be usable, and exist when CODEX_HOME names it
 * (codex refuses a missing one, so creating it would only hide a typo). The default ~/.codex is
 * created 0700 when missing, as codex itself would.
 */
export function ensureCodexHome(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  const set = env.CODEX_HOME ?? "";
  const explicit = set !== "" && path.resolve(set) === path.resolve(dir);
  assertCodexHomeUsable(dir, explicit);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export class CodexHomeMissingError extends DomainError {
  constructor(readonly dir: string) {
    super("codex-home-missing", `CODEX_HOME is ${dir}, which does not exist (codex itself refuses to start then); create it (mkdir -m 700 ${JSON.stringify(dir)}) or unset CODEX_HOME`);
    this.name = "CodexHomeMissingError";
  }
}

/**
 * CODEX_HOME, where we write auth.json: if set it must exist (codex's own rule); if it exists it must
 * be a directory (a symlink to one is allowed: it is codex's, not ours) owned by the user and not
 * writable by group/others — else another user could swap the login codex runs with.
 */
export function assertCodexHomeUsable(dir: string, explicit: boolean): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      if (explicit) throw new CodexHomeMissingError(dir);
      return;
    }
    throw new UnsafePathError(dir, "CODEX_HOME", `it cannot be examined (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "fix: check its permissions");
  }
  const bad = ownProblem(st, "dir", dir);
  if (bad) throw new UnsafePathError(dir, "CODEX_HOME", bad.problem, `fix: ${bad.fix}`);
}
