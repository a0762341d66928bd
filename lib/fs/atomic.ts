// Crash-safe file primitives shared by every store (jobs, accounts, config writes).
//
// writeFileAtomic: a reader sees either the old file or the complete new one, never a prefix, and a
// secret written with mode 0600 is never visible with wider bits (the temp file is created with the
// final mode, O_EXCL, so umask can only narrow it and nobody else can have opened it).
// A writer SIGKILLed mid-write leaves its temp file behind; the next write of the same target sweeps
// such leftovers (sweepStaleTemps) when their writer is provably gone.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { FileAccessError, FileWriteError } from "./errors.js";
import { openNoFollow, NOFOLLOW_FLAGS, readTextNoFollow } from "./nofollow.js";
import { UnsafePathError, ownProblem } from "./trust.js";

interface WriteAtomicOptions {
  /** Permission bits of the new file (default 0o600: our state is private). */
  mode?: number;
}

function tempPathFor(file: string): string {
  const dir = path.dirname(file);
  // Leading dot + our suffix keeps temps out of `*.json` listings by other modules.
  return path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/**
 * A temp file is swept only when it is this old too: the pid test cannot see writers in another pid
 * namespace (a container sharing the home) or on another host (a network file system), where the
 * pid in the name means nothing here. A write holds its temp for milliseconds (seconds on a very slow
 * fsync); a leftover that waits this long for the next write costs nothing.
 */
export const STALE_TEMP_MIN_AGE_MS = 30_000;

/** Is `pid` a live process here? EPERM: it exists but is someone else's — alive. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Remove the temp files earlier writers of `file` left (`.<name>.<pid>.<12 hex>.tmp`, the name
 * writeFileAtomic gives them) whose pid is not alive and that are older than STALE_TEMP_MIN_AGE_MS.
 * A pid that was reused by another process counts as alive: that leftover simply stays. Our own pid
 * is never swept (a temp of ours may be in use by another thread). One readdir of the target's
 * directory; best effort — a failure here never fails the caller's write. Returns the names removed.
 */
export function sweepStaleTemps(file: string, now: number = Date.now()): string[] {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || pidAlive(pid)) continue;
    const p = path.join(dir, name);
    try {
      const st = fs.lstatSync(p);
      if (!st.isFile() || now - st.mtimeMs < STALE_TEMP_MIN_AGE_MS) continue;
      fs.unlinkSync(p);
      removed.push(name);
    } catch {
      /* gone meanwhile, or not ours to remove (read-only, permissions): leave it */
    }
  }
  return removed;
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openNoFollow(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    fs.fsyncSync(fd);
  } catch (err) {
    // Some filesystems refuse fsync on a directory (EINVAL/EISDIR); the rename is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM") throw err;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Replace `file` atomically with `data`: temp file in the same directory (O_CREAT|O_EXCL, final mode),
 * write + fsync, rename over the target, fsync the directory. On any failure the temp file is removed
 * and the target is untouched. Stale temps of the same target left by dead writers are swept first. The mode is also enforced with fchmod, because umask could have
 * narrowed it and an existing target's mode must not leak through.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: WriteAtomicOptions = {}): void {
  const mode = opts.mode ?? 0o600;
  // Before the write: on a full disk the leftovers' space is what lets this write succeed.
  sweepStaleTemps(file);
  const tmp = tempPathFor(file);
  let fd: number | null = null;
  let renamed = false;
  try {
    fd = openNoFollow(tmp, NOFOLLOW_FLAGS.createNew, mode);
    fs.fchmodSync(fd, mode);
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
    renamed = true;
    fsyncDir(path.dirname(file));
  } catch (err) {
    // After the rename the new content is in place; a failing directory fsync is still reported.
    throw new FileWriteError(file, err, renamed);
  } finally {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing; the original error matters */
      }
    }
    if (!renamed) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* the temp may never have been created */
      }
    }
  }
}

type JsonFileResult =
  | { kind: "missing" }
  | { kind: "ok"; value: unknown; raw: string }
  | { kind: "corrupt"; error: string; raw: string };

/**
 * Read and JSON-parse a file. Missing → {kind:"missing"}; unparsable or empty → {kind:"corrupt"} with
 * the parse error (the caller decides: report it naming the file, quarantine, never overwrite blindly).
 * Other I/O errors (EACCES, EISDIR, a symlink…) are a FileAccessError naming the file: they are not
 * "corrupt", the file may be fine.
 */
export function readJsonFile(file: string): JsonFileResult {
  let raw: string | null;
  try {
    raw = readTextNoFollow(file);
  } catch (err) {
    throw new FileAccessError(file, "read", err);
  }
  if (raw === null) return { kind: "missing" };
  try {
    return { kind: "ok", value: JSON.parse(raw) as unknown, raw };
  } catch (err) {
    const msg = raw.trim().length === 0 ? "file is empty" : (err as Error).message;
    return { kind: "corrupt", error: msg, raw };
  }
}

function timestampForName(d: Date): string {
  // 2024-05-01T12-30-45-123Z: sortable, no ':' (awkward in shells and on some filesystems).
  return d.toISOString().replace(/:/g, "-").replace(".", "-");
}

/**
 * Move a corrupt file aside to `<file>.corrupt-<timestamp>` and return the new path. Never overwrites:
 * link(2) fails with EEXIST if the name is taken, then a counter suffix is tried. link+unlink (not
 * rename, which would silently replace) keeps the original until the copy exists.
 */
export function quarantineCorrupt(file: string, now: Date = new Date()): string {
  const base = `${file}.corrupt-${timestampForName(now)}`;
  for (let i = 0; i < 1000; i++) {
    const candidate = i === 0 ? base : `${base}-${i}`;
    try {
      fs.linkSync(file, candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      if (code === "EPERM" || code === "ENOTSUP" || code === "EXDEV") {
        // Filesystem without hard links: fall back to an exclusive copy.
        try {
          fs.copyFileSync(file, candidate, fs.constants.COPYFILE_EXCL);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "EEXIST") continue;
          throw e;
        }
      } else {
        throw err;
      }
    }
    fs.unlinkSync(file);
    fsyncDir(path.dirname(file));
    return candidate;
  }
  throw new Error(`cannot quarantine ${file}: too many existing ${base}* files`);
}

/**
 * Create `dir` (and parents) if missing, and make sure our own directory has exactly `mode`
 * (default 0o700). Only the leaf is tightened: parents may be shared (e.g. ~/.codex). A leaf that is
 * a symlink, not a directory, someone else's, or writable by group/others is refused
 * (UnsafePathError): its content cannot be trusted, and tightening it would not undo what is in it.
 */
export function ensureDir(dir: string, mode = 0o700): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new FileAccessError(dir, "create", err);
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    throw new FileAccessError(dir, "open", err);
  }
  const bad = ownProblem(st, "dir", dir);
  if (bad) throw new UnsafePathError(dir, "the directory", bad.problem, `fix: ${bad.fix}`);
  if ((st.mode & 0o777) !== mode) fs.chmodSync(dir, mode);
}
