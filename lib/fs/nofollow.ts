// Opening files inside our home without ever following a symlink: O_NOFOLLOW on every open, so a
// link planted in place of a log, a marker or a record is refused (ELOOP) instead of written
// through (see docs/architecture.md §4, "Trust").
import fs from "node:fs";

const { O_NOFOLLOW, O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_APPEND, O_EXCL } = fs.constants;

/** open(2) with O_NOFOLLOW added. Errors are thrown as they are (ELOOP for a symlink). */
export function openNoFollow(file: string, flags: number, mode = 0o600): number {
  return fs.openSync(file, flags | O_NOFOLLOW, mode);
}

export const NOFOLLOW_FLAGS = {
  read: O_RDONLY,
  /** Append, creating the file 0600 if missing; readable too (to look at the last byte). */
  append: O_RDWR | O_APPEND | O_CREAT,
  appendWriteOnly: O_WRONLY | O_APPEND | O_CREAT,
  /** Create or open for writing without truncating (an empty marker file). */
  touch: O_WRONLY | O_CREAT,
  createNew: O_WRONLY | O_CREAT | O_EXCL,
} as const;

/**
 * The whole content of a regular file, or null when it does not exist. A symlink (ELOOP) or a
 * non-regular file (a FIFO would block; a directory is EISDIR) is an error, thrown with its code.
 */
function readFileNoFollow(file: string): Buffer | null {
  let fd: number;
  try {
    fd = openNoFollow(file, O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: st.isDirectory() ? "EISDIR" : "EINVAL" });
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** readFileNoFollow as UTF-8 text. */
export function readTextNoFollow(file: string): string | null {
  const b = readFileNoFollow(file);
  return b === null ? null : b.toString("utf8");
}
