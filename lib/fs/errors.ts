// File-system failures as domain errors naming the file the caller meant (never a temp name), with
// the system's reason in words, so the edge prints one line instead of a stack trace.
import { DomainError } from "../errors.js";

/** The system's errno code of `err`, if any. */
function errnoOf(err: unknown): string | undefined {
  const c = (err as NodeJS.ErrnoException | null)?.code;
  return typeof c === "string" ? c : undefined;
}

/** A failure's reason in words, with the errno code in brackets when there is one. */
export function reasonOf(err: unknown): string {
  const code = errnoOf(err);
  const why =
    code === "ENOSPC" ? "no space left on the device" :
    code === "EROFS" ? "the file system is read-only" :
    code === "EACCES" || code === "EPERM" ? "permission denied" :
    code === "EDQUOT" ? "disk quota exceeded" :
    code === "ENOTDIR" ? "a path component is not a directory" :
    code === "EISDIR" ? "it is a directory" :
    code === "ELOOP" ? "it is a symbolic link (not followed)" :
    code === "ENOENT" ? "it does not exist" :
    code === "EIO" ? "input/output error" :
    code === "EMFILE" || code === "ENFILE" ? "too many open files" :
    err instanceof Error ? firstLine(err.message) : String(err);
  return code ? `${why} (${code})` : why;
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i < 0 ? s : s.slice(0, i);
}

/**
 * A write that failed (disk full, read-only file system, permission denied…), named by the file the
 * caller asked for. `replaced`: the new content is in place (only the directory sync failed).
 */
export class FileWriteError extends DomainError {
  /** The errno code, for callers that branch on it. */
  readonly errno: string | undefined;
  constructor(readonly file: string, cause: unknown, replaced = false) {
    super("file-write-failed", `cannot write ${file}: ${reasonOf(cause)}${replaced ? "" : "; the previous content is unchanged"}`, {}, { cause });
    this.name = "FileWriteError";
    this.errno = errnoOf(cause);
  }
}

/** A read, a directory listing or a removal that failed, naming the path. */
export class FileAccessError extends DomainError {
  readonly errno: string | undefined;
  constructor(readonly file: string, verb: "read" | "list" | "remove" | "open" | "create", cause: unknown) {
    super("file-access-failed", `cannot ${verb} ${file}: ${reasonOf(cause)}`, {}, { cause });
    this.name = "FileAccessError";
    this.errno = errnoOf(cause);
  }
}
