// Where a child's own lines begin in a rollout: a resumed session appends to the file its earlier
// runs wrote (possibly hundreds of MB), and nothing before the child started may count as its facts
// or be read again. Codex starts every line with its `timestamp`, so reading backwards from the end
// and stopping at the first line older than the child finds the boundary; the cost grows with what
// was written since the child started, not with the file. Memory is bounded: only the first bytes
// of each line are kept, whatever the line length.
import fs from "node:fs";

const CHUNK = 64 * 1024;
/** Enough of a line's start to hold `{"timestamp":"2026-12-02T04:48:20.403Z"`. */
const HEAD = 128;
const NEWLINE = 10;

/** Epoch ms of the line whose first bytes are `head`, or null when it does not start with a timestamp. */
function timestampOf(head: Buffer): number | null {
  const m = /^\s*\{\s*"timestamp"\s*:\s*"([^"]{10,40})"/.exec(head.toString("latin1"));
  if (!m) return null;
  const t = Date.parse(m[1]!);
  return Number.isFinite(t) ? t : null;
}

/**
 * The offset of the first line of `file` written at or after `since` (epoch ms): the file's size
 * when every line is older, 0 when none is (or the file is missing, i.e. the child will create it).
 * A line without a timestamp counts as new (it cannot be shown to be old).
 */
export async function offsetSince(file: string, since: number): Promise<number> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    let pos = size;
    /** The first bytes of the region [pos, size) already scanned: the head of the line starting at pos. */
    let after = Buffer.alloc(0);
    /** Start of the oldest line found so far that is not older than `since`. */
    let boundary = size;
    const buf = Buffer.allocUnsafe(CHUNK);
    while (pos > 0) {
      const start = Math.max(0, pos - CHUNK);
      const { bytesRead } = await fh.read(buf, 0, pos - start, start);
      const chunk = buf.subarray(0, bytesRead);
      for (let i = chunk.length; i > 0; ) {
        const nl = chunk.lastIndexOf(NEWLINE, i - 1);
        if (nl === -1) break;
        const lineStart = start + nl + 1;
        if (lineStart < size) {
          const head = Buffer.concat([chunk.subarray(nl + 1, nl + 1 + HEAD), after]).subarray(0, HEAD);
          const ts = timestampOf(head);
          if (ts !== null && ts < since) return boundary;
          boundary = lineStart;
        }
        i = nl;
      }
      after = Buffer.from(Buffer.concat([chunk.subarray(0, HEAD), after]).subarray(0, HEAD));
      pos = start;
    }
    // The file's first line.
    if (size > 0) {
      const ts = timestampOf(after);
      if (ts !== null && ts < since) return boundary;
    }
    return 0;
  } finally {
    await fh.close();
  }
}
