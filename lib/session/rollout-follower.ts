// Follow one rollout file as codex appends to it: read only the bytes added since the last poll, hand
// out complete lines only (a line cut mid-write waits for its newline), and survive the file being
// truncated, rewritten or replaced. Lines are split on raw bytes and decoded one complete line at a
// time, so a multi-byte UTF-8 character split across two reads is decoded correctly, and invalid UTF-8
// becomes U+FFFD instead of an exception.
import fs from "node:fs";
import path from "node:path";
import { parseRolloutLine, type RolloutEvent } from "./rollout-events.js";

export type FollowerIssue =
  /** A line longer than maxLineBytes was skipped without being buffered. */
  | { kind: "line-too-long"; offset: number; bytes: number }
  /** The file shrank below what we had read: it was truncated; reading restarts at 0. */
  | { kind: "truncated"; previousOffset: number; size: number }
  /** Another file now has this name (inode changed): reading restarts at 0 of the new file. */
  | { kind: "replaced"; previousOffset: number }
  /** The bytes we had read are no longer there (rewritten in place): reading restarts at 0. */
  | { kind: "rewritten"; previousOffset: number }
  /** A complete line that is not a rollout event (garbage, cut by a crash then continued, …). */
  | { kind: "unparsable"; offset: number; bytes: number };

interface FollowerOptions {
  /** Start reading at this byte offset (a line start; see rollout-start.ts offsetSince). */
  startAt?: number;
  /** A single line longer than this is skipped and reported (default 8 MiB). */
  maxLineBytes?: number;
  /** Read size per read() call (default 256 KiB). */
  chunkBytes?: number;
  /** Also return lines of kinds we do not act on as {type:"unknown"} (default false). */
  keepUnknown?: boolean;
  /** Called for every issue, in order. */
  onIssue?: (issue: FollowerIssue) => void;
}

// How many bytes just before the read offset are kept to notice an in-place rewrite of what we read.
const TAIL_CHECK_BYTES = 64;

export class RolloutFollower {
  readonly file: string;
  private readonly maxLineBytes: number;
  private readonly chunkBytes: number;
  private readonly keepUnknown: boolean;
  private readonly onIssue: ((issue: FollowerIssue) => void) | undefined;
  private readonly decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

  /** Bytes of the current file consumed so far (complete lines + the held partial line). */
  private readOffset = 0;
  /** Identity of the file we are reading, null before the first successful open. */
  private ident: { dev: number; ino: number } | null = null;
  /** The partial last line's bytes (no newline yet). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** File offset where the held partial line starts. */
  private partialStart = 0;
  /** Inside a line that is too long: discard until its newline. */
  private skipping: { start: number } | null = null;
  /** The last bytes before readOffset, as we read them. */
  private tail: Buffer = Buffer.alloc(0);
  private chain: Promise<unknown> = Promise.resolve();
  private readonly issuesLog: FollowerIssue[] = [];

  constructor(file: string, opts: FollowerOptions = {}) {
    this.file = file;
    this.maxLineBytes = Math.max(1, opts.maxLineBytes ?? 8 * 1024 * 1024);
    this.chunkBytes = Math.max(1, opts.chunkBytes ?? 256 * 1024);
    this.keepUnknown = opts.keepUnknown ?? false;
    this.onIssue = opts.onIssue;
    this.readOffset = Math.max(0, opts.startAt ?? 0);
  }

  /** Bytes of the current file consumed so far. */
  get offset(): number {
    return this.readOffset;
  }

  /** Issues seen since the last call (and clears them). */
  takeIssues(): FollowerIssue[] {
    return this.issuesLog.splice(0);
  }

  /**
   * Read what was appended since the last poll and return its events in file order. A missing file
   * yields []. Concurrent calls are serialised, so no byte is read twice.
   */
  poll(): Promise<RolloutEvent[]> {
    const run = this.chain.then(() => this.pollOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private report(issue: FollowerIssue): void {
    this.issuesLog.push(issue);
    if (this.issuesLog.length > 1000) this.issuesLog.shift();
    try {
      this.onIssue?.(issue);
    } catch {
      // A reporting callback must not break following.
    }
  }

  private restart(): void {
    this.readOffset = 0;
    this.partial = [];
    this.partialBytes = 0;
    this.partialStart = 0;
    this.skipping = null;
    this.tail = Buffer.alloc(0);
  }

  private async pollOnce(): Promise<RolloutEvent[]> {
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(this.file, "r");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    try {
      // The identity of the file we actually opened, so a rename between stat and read cannot mix files.
      const st = await fh.stat();
      if (this.ident && (this.ident.dev !== st.dev || this.ident.ino !== st.ino)) {
        this.report({ kind: "replaced", previousOffset: this.readOffset });
        this.restart();
      } else if (st.size < this.readOffset) {
        this.report({ kind: "truncated", previousOffset: this.readOffset, size: st.size });
        this.restart();
      } else if (this.tail.length > 0 && !(await this.tailStillThere(fh))) {
        this.report({ kind: "rewritten", previousOffset: this.readOffset });
        this.restart();
      }
      this.ident = { dev: st.dev, ino: st.ino };
      const out: RolloutEvent[] = [];
      const buf = Buffer.allocUnsafe(this.chunkBytes);
      // Read up to the size seen now; what codex appends meanwhile is for the next poll.
      while (this.readOffset < st.size) {
        const want = Math.min(this.chunkBytes, st.size - this.readOffset);
        const { bytesRead } = await fh.read(buf, 0, want, this.readOffset);
        if (bytesRead === 0) break;
        this.consume(buf.subarray(0, bytesRead), out);
      }
      return out;
    } finally {
      await fh.close();
    }
  }

  private async tailStillThere(fh: fs.promises.FileHandle): Promise<boolean> {
    const n = this.tail.length;
    const b = Buffer.alloc(n);
    const { bytesRead } = await fh.read(b, 0, n, this.readOffset - n);
    return bytesRead === n && b.equals(this.tail);
  }

  /** Split a chunk that starts at readOffset into lines; advances readOffset by its length. */
  private consume(chunk: Buffer, out: RolloutEvent[]): void {
    const base = this.readOffset;
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      const end = nl === -1 ? chunk.length : nl;
      if (this.skipping) {
        if (nl === -1) {
          pos = chunk.length;
          break;
        }
        const start = this.skipping.start;
        this.report({ kind: "line-too-long", offset: start, bytes: base + nl - start });
        this.skipping = null;
        pos = nl + 1;
        continue;
      }
      const piece = chunk.subarray(pos, end);
      if (this.partialBytes + piece.length > this.maxLineBytes) {
        // Too long: drop what we held and discard the rest of the line as it streams past.
        this.skipping = { start: this.partialBytes > 0 ? this.partialStart : base + pos };
        this.partial = [];
        this.partialBytes = 0;
        continue; // re-handles this same position in skipping mode
      }
      if (nl === -1) {
        if (this.partialBytes === 0) this.partialStart = base + pos;
        // Copy: `chunk` is a reused read buffer.
        this.partial.push(Buffer.from(piece));
        this.partialBytes += piece.length;
        pos = chunk.length;
        break;
      }
      const lineStart = this.partialBytes > 0 ? this.partialStart : base + pos;
      const bytes = this.partialBytes > 0 ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      this.partialBytes = 0;
      this.emitLine(bytes, lineStart, out);
      pos = nl + 1;
    }
    this.readOffset = base + chunk.length;
    this.rememberTail(chunk);
  }

  private rememberTail(chunk: Buffer): void {
    if (chunk.length >= TAIL_CHECK_BYTES) {
      this.tail = Buffer.from(chunk.subarray(chunk.length - TAIL_CHECK_BYTES));
    } else {
      const joined = Buffer.concat([this.tail, chunk]);
      this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_CHECK_BYTES)));
    }
  }

  private emitLine(bytes: Buffer, offset: number, out: RolloutEvent[]): void {
    // Tolerate CRLF and blank lines.
    let len = bytes.length;
    if (len > 0 && bytes[len - 1] === 13) len--;
    if (len === 0) return;
    const text = this.decoder.decode(bytes.subarray(0, len));
    const ev = parseRolloutLine(text);
    if (ev === null) {
      this.report({ kind: "unparsable", offset, bytes: bytes.length });
      return;
    }
    if (ev.type === "unknown" && !this.keepUnknown) return;
    out.push(ev);
  }
}

interface WatchOptions {
  /** Poll at least this often even without a change notification (default 1000 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Errors from poll() (other than a missing file); following continues. */
  onError?: (err: unknown) => void;
}

export interface Watcher {
  close(): void;
}

/**
 * Poll `follower` whenever its directory reports a change to the file (fs.watch on the directory, so a
 * replaced file is still seen) and at least every intervalMs (fs.watch can miss events on some file
 * systems). Polls never overlap; events are delivered in order. Call close() (or abort) to stop.
 */
export function watchFollower(
  follower: RolloutFollower,
  onEvents: (events: RolloutEvent[]) => void,
  opts: WatchOptions = {},
): Watcher {
  const dir = path.dirname(follower.file);
  const base = path.basename(follower.file);
  let closed = false;
  let running = false;
  let again = false;
  const tick = async (): Promise<void> => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        try {
          const evs = await follower.poll();
          if (!closed && evs.length > 0) onEvents(evs);
        } catch (e) {
          opts.onError?.(e);
        }
      } while (again && !closed);
    } finally {
      running = false;
    }
  };
  let watcher: fs.FSWatcher | null = null;
  try {
    watcher = fs.watch(dir, { persistent: false }, (_ev, name) => {
      if (name === null || name === base) void tick();
    });
    watcher.on("error", () => {
      // The interval keeps following; a watcher error (e.g. directory removed) is not fatal.
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  const timer = setInterval(() => void tick(), Math.max(10, opts.intervalMs ?? 1000));
  timer.unref();
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    watcher?.close();
    opts.signal?.removeEventListener("abort", close);
  };
  if (opts.signal?.aborted) close();
  else opts.signal?.addEventListener("abort", close, { once: true });
  void tick();
  return { close };
}
