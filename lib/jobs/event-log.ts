// A job's event log, `<home>/jobs/<id>.log`: JSON lines, O_APPEND, one write per line, secrets
// redacted, never opened through a symlink. No lock (see docs/architecture.md §4).
import fs from "node:fs";
import { DomainError } from "../errors.js";
import { reasonOf } from "../fs/errors.js";
import { NOFOLLOW_FLAGS, openNoFollow } from "../fs/nofollow.js";
import { assertTrustedHome } from "../fs/trust.js";
import { jobLogFile } from "../paths.js";
import { assertJobId } from "./ids.js";
import { redactSecrets } from "./redact.js";

type JobEventType = "spawn" | "bind" | "quota" | "rotate" | "signal" | "restart" | "exit" | "stop" | "lost" | "control" | "notice" | (string & {});

interface JobEvent {
  type: JobEventType;
  [field: string]: unknown;
}

/** An event could not be appended. The log is left as it was whenever we can tell it is safe to. */
export class EventLogWriteError extends DomainError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super("event-log-write-failed", `cannot append to the job event log ${file}: ${problem}`);
    this.name = "EventLogWriteError";
  }
}

/**
 * Append one event as one JSON line. O_APPEND + a single write per line: concurrent writers (the
 * supervisor, a `stop` from another terminal) never interleave inside a line. Secrets are redacted.
 *
 * A full disk cuts a write short (write(2) returns fewer bytes, the next one fails with ENOSPC). That is
 * an error, never a success: the rest is retried once more (it fails or completes), and on failure our
 * fragment is cut off again (ftruncate to the size before, when the file still ends with our fragment,
 * i.e. nobody appended in between) and EventLogWriteError is thrown. Whatever fragment could not be
 * removed (or a crash mid-write left) has no newline: the next append starts with one, so a later
 * event is never glued onto it — the reader (LogReader) counts the fragment as one bad line.
 */
export function appendEvent(home: string, id: string, event: JobEvent, now: Date = new Date()): void {
  assertJobId(id);
  assertTrustedHome(home);
  const { type, ...rest } = event;
  const line = JSON.stringify({ ts: now.toISOString(), type, ...(redactSecrets(rest) as Record<string, unknown>) }) + "\n";
  const file = jobLogFile(home, id);
  let fd: number;
  try {
    // Read access only to look at the last byte (pread: unaffected by O_APPEND).
    // Never through a symlink: one planted here would make us append to whatever it points at.
    fd = openNoFollow(file, NOFOLLOW_FLAGS.append);
  } catch (err) {
    throw new EventLogWriteError(file, reasonOf(err));
  }
  try {
    const sizeBefore = fs.fstatSync(fd).size;
    const buf = Buffer.from((endsMidLine(fd, sizeBefore) ? "\n" : "") + line);
    let written = 0;
    try {
      while (written < buf.length) {
        const n = fs.writeSync(fd, buf, written, buf.length - written);
        if (n <= 0) throw new Error(`write returned ${n}`);
        written += n;
      }
    } catch (err) {
      let undone = written === 0;
      if (!undone) {
        try {
          if (fs.fstatSync(fd).size === sizeBefore + written) {
            fs.ftruncateSync(fd, sizeBefore);
            undone = true;
          }
        } catch {
          /* left as a fragment without newline: the next append starts a fresh line */
        }
      }
      const partial = written > 0 ? ` after ${written} of ${buf.length} bytes${undone ? " (the partial line was removed)" : " (a partial line without newline is left)"}` : "";
      throw new EventLogWriteError(file, `${reasonOf(err)}${partial}`);
    }
  } catch (err) {
    if (err instanceof EventLogWriteError) throw err;
    throw new EventLogWriteError(file, reasonOf(err));
  } finally {
    fs.closeSync(fd);
  }
}

/** True when the log's last byte is not a newline (a line cut short by a full disk or a crash). */
function endsMidLine(fd: number, size: number): boolean {
  if (size === 0) return false;
  const b = Buffer.alloc(1);
  return fs.readSync(fd, b, 0, 1, size - 1) === 1 && b[0] !== 0x0a;
}

