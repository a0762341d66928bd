// Reading a job's event log or output file in bounded memory and linear time, whatever its size and
// however long its lines (a codex that prints 150 MB without a newline, a huge event line).
//
// `next()` reads at most one chunk and returns what it completed: whole lines up to `maxLineBytes`,
// and a longer line as several `long` pieces (first … last) that the caller writes through as they
// come. Nothing is held but the chunk buffer and at most `maxLineBytes` of an unfinished line; a line
// is never re-scanned or re-joined, so the time is linear. The file is opened without following a
// symlink; a file that shrank (truncated or replaced) is read again from the start.
import fs from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { FileAccessError } from "../fs/errors.js";
import { NOFOLLOW_FLAGS, openNoFollow } from "../fs/nofollow.js";

export type LogPiece =
  /** A complete line, without its newline. */
  | { kind: "line"; text: string }
  /** Part of a line longer than maxLineBytes: `first` starts it, `last` ends it (then a newline follows). */
  | { kind: "long"; text: string; first: boolean; last: boolean };

interface LogReaderOptions {
  /** Bytes read per call (default 1 MiB). */
  chunkBytes?: number;
  /** Lines up to this many bytes come whole; longer ones in pieces (default 1 MiB). */
  maxLineBytes?: number;
}

const DEFAULT_CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

export class LogReader {
  private offset = 0;
  /** Bytes of the unfinished line (copies: the chunk buffer is reused). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Set while a long line is being passed through; decodes its pieces without splitting a character. */
  private long: StringDecoder | null = null;
  private readonly buf: Buffer;
  private readonly maxLineBytes: number;

  constructor(
    readonly file: string,
    opts: LogReaderOptions = {},
  ) {
    this.buf = Buffer.alloc(Math.max(1, opts.chunkBytes ?? DEFAULT_CHUNK_BYTES));
    this.maxLineBytes = Math.max(1, opts.maxLineBytes ?? DEFAULT_CHUNK_BYTES);
  }

  /**
   * The pieces completed by the next chunk, or null when everything there is now has been read.
   * With `flush`, the end of the file also ends an unterminated last line. A missing file reads as
   * empty; any other failure is a FileAccessError naming the file.
   */
  next(flush = false): LogPiece[] | null {
    let fd: number;
    try {
      fd = openNoFollow(this.file, NOFOLLOW_FLAGS.read);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return flush ? this.finish() : null;
      throw new FileAccessError(this.file, "read", err);
    }
    let n: number;
    const out: LogPiece[] = [];
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) this.restart(out);
      if (this.offset >= size) {
        fs.closeSync(fd);
        const end = flush ? this.finish() : null;
        return out.length > 0 ? [...out, ...(end ?? [])] : end;
      }
      n = fs.readSync(fd, this.buf, 0, Math.min(this.buf.length, size - this.offset), this.offset);
    } catch (err) {
      try {
        fs.closeSync(fd);
      } catch {
        /* the read error matters */
      }
      throw new FileAccessError(this.file, "read", err);
    }
    fs.closeSync(fd);
    if (n <= 0) return out.length > 0 ? out : null; // shrank while we read: the next call starts over
    this.offset += n;
    this.split(this.buf.subarray(0, n), out);
    return out;
  }

  /** Every piece there is now (small files, tests): next() until null. */
  readAll(flush = false): LogPiece[] {
    const all: LogPiece[] = [];
    for (let p = this.next(flush); p !== null; p = this.next(flush)) all.push(...p);
    return all;
  }

  private split(chunk: Buffer, out: LogPiece[]): void {
    let pos = 0;
    for (let nl = chunk.indexOf(NEWLINE, pos); nl >= 0; nl = chunk.indexOf(NEWLINE, pos)) {
      this.endLine(chunk.subarray(pos, nl), out);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.addPartial(chunk.subarray(pos), out);
  }

  private endLine(tail: Buffer, out: LogPiece[]): void {
    if (this.long) {
      out.push({ kind: "long", text: this.long.write(tail) + this.long.end(), first: false, last: true });
      this.long = null;
    } else if (this.pendingBytes + tail.length <= this.maxLineBytes) {
      const whole = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
      out.push({ kind: "line", text: whole.toString("utf8") });
    } else {
      const d = new StringDecoder("utf8");
      out.push({ kind: "long", text: d.write(Buffer.concat(this.pending)), first: true, last: false });
      out.push({ kind: "long", text: d.write(tail) + d.end(), first: false, last: true });
    }
    this.pending = [];
    this.pendingBytes = 0;
  }

  private addPartial(part: Buffer, out: LogPiece[]): void {
    if (this.long) {
      out.push({ kind: "long", text: this.long.write(part), first: false, last: false });
    } else if (this.pendingBytes + part.length > this.maxLineBytes) {
      // Too long to hold: pass it through from here on.
      this.long = new StringDecoder("utf8");
      out.push({ kind: "long", text: this.long.write(Buffer.concat([...this.pending, part])), first: true, last: false });
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      this.pending.push(Buffer.from(part));
      this.pendingBytes += part.length;
    }
  }

  /** The end of the file ends the unterminated last line too. */
  private finish(): LogPiece[] | null {
    const out: LogPiece[] = [];
    if (this.long) {
      out.push({ kind: "long", text: this.long.end(), first: false, last: true });
      this.long = null;
    } else if (this.pendingBytes > 0) {
      out.push({ kind: "line", text: Buffer.concat(this.pending).toString("utf8") });
    }
    this.pending = [];
    this.pendingBytes = 0;
    return out.length > 0 ? out : null;
  }

  /** Truncated or replaced: a long line in progress is ended, and reading starts over. */
  private restart(out: LogPiece[]): void {
    if (this.long) out.push({ kind: "long", text: this.long.end(), first: false, last: true });
    this.long = null;
    this.pending = [];
    this.pendingBytes = 0;
    this.offset = 0;
  }
}

/**
 * Write everything `reader` has now to `out`: each whole line through `renderLine` plus a newline, the
 * pieces of a long line as they are (it is too long to render). Waits for `out` to drain whenever it
 * asks to, so a slow reader of our output never makes us buffer the file. Returns the pieces written.
 */
export async function copyLog(reader: LogReader, out: NodeJS.WritableStream, renderLine: (line: string) => string, flush = false): Promise<number> {
  let count = 0;
  for (let pieces = reader.next(flush); pieces !== null; pieces = reader.next(flush)) {
    let text = "";
    for (const p of pieces) {
      count++;
      text += p.kind === "line" ? `${renderLine(p.text)}\n` : p.last ? `${p.text}\n` : p.text;
    }
    if (text !== "" && !out.write(text)) await drained(out);
  }
  return count;
}

function drained(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      out.off("error", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
    out.on("error", done);
  });
}
