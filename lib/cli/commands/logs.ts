// `codex-supervisor logs <id> [-f] [--output] [--raw]`: a job's event log (spawn, bind, quota, rotate,
// signal, restart, exit...) in words (event-view.ts; --raw: the JSON lines), or with --output what
// codex printed (<home>/jobs/<id>.out).
// -f keeps following — across codex restarts, since both files are appended to for the job's whole
// life — until the job's record is final (read through readJobReconciled, so a job that died
// without a word ends the follow too), then prints what is left and exits 0.
import fs from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { jobLogFile, jobOutFile, supervisorHome } from "../../paths.js";
import { isActiveStatus } from "../../jobs/record.js";
import { readJobReconciled } from "../../jobs/reconcile-io.js";
import { colourEnabled, painter } from "../../terminal/style.js";
import { command, type Parsed } from "../argv.js";
import { formatEventLine } from "../event-view.js";
import { JOB_NAME_OPTION, JOB_REF_ARGS, JOB_REF_SYNOPSIS, jobRefOf, resolveJobArg } from "../job-args.js";

export const spec = command({
  name: "logs",
  synopsis: `${JOB_REF_SYNOPSIS} [-f] [--output] [--raw]`,
  options: {
    follow: { type: "boolean", short: "f", help: "keep printing new lines until the job ends (across restarts of codex)" },
    output: { type: "boolean", help: "codex's stdout/stderr of a background job instead of the event log" },
    raw: { type: "boolean", help: "the event log's JSON lines as stored (times in ISO 8601, durations in ms)" },
    name: JOB_NAME_OPTION,
  },
  args: JOB_REF_ARGS,
});

const POLL_MS = 200;
/** After the record turns final, how long to wait for the supervisor's last lines. */
const DRAIN_MS = 1500;

/** How much of a log is read (and held) at a time: a log of any size is printed in full, in steps. */
export const TAIL_CHUNK_BYTES = 1024 * 1024;

/**
 * Reads a growing file from an offset; complete lines only (a line being written waits for its
 * newline). Each call reads everything there is now, one chunk at a time, handing each chunk's lines
 * to `emit`, so memory stays bounded by the chunk size however large the file is.
 */
export class LineTail {
  private offset = 0;
  private partial = "";
  /** Keeps a UTF-8 character split across two reads whole. */
  private decoder = new StringDecoder("utf8");
  private readonly buf: Buffer;
  constructor(
    private readonly file: string,
    chunkBytes: number = TAIL_CHUNK_BYTES,
  ) {
    this.buf = Buffer.alloc(Math.max(1, chunkBytes));
  }

  /**
   * Emit the new complete lines since the last call (up to the file's size when called), chunk by
   * chunk; `flush` also emits an unterminated last line. Returns how many lines were emitted.
   */
  drain(emit: (lines: string[]) => void, flush = false): number {
    let fd: number;
    try {
      fd = fs.openSync(this.file, "r");
    } catch {
      return 0;
    }
    let count = 0;
    const give = (lines: string[]) => {
      if (lines.length === 0) return;
      count += lines.length;
      emit(lines);
    };
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) {
        // Truncated or replaced: start over rather than miss everything written since.
        this.offset = 0;
        this.partial = "";
        this.decoder = new StringDecoder("utf8");
      }
      while (this.offset < size) {
        const n = fs.readSync(fd, this.buf, 0, Math.min(this.buf.length, size - this.offset), this.offset);
        if (n <= 0) break; // shrank while we read: the next call starts over
        this.offset += n;
        const lines = (this.partial + this.decoder.write(this.buf.subarray(0, n))).split("\n");
        this.partial = lines.pop() ?? "";
        give(lines);
      }
    } finally {
      fs.closeSync(fd);
    }
    if (flush) {
      this.partial += this.decoder.end();
      if (this.partial !== "") give([this.partial]);
      this.partial = "";
    }
    return count;
  }

  /** Everything new as one array (small files, tests). */
  read(flush = false): string[] {
    const out: string[] = [];
    this.drain((lines) => out.push(...lines), flush);
    return out;
  }
}

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const home = supervisorHome(process.env);
  const id = resolveJobArg(home, jobRefOf("logs", p));
  const output = p.values.output;
  const file = output ? jobOutFile(home, id) : jobLogFile(home, id);
  const paint = painter(colourEnabled(process.stdout, process.env));
  const render = output || p.values.raw ? (l: string) => l : (l: string) => formatEventLine(l, { now: Date.now(), paint });
  const tail = new LineTail(file);
  const emit = (lines: string[]) => {
    if (lines.length > 0) process.stdout.write(lines.map(render).join("\n") + "\n");
  };

  if (!p.values.follow) {
    if (output && !fs.existsSync(file)) process.stderr.write(`codex-supervisor: no output file for ${id} (a foreground job prints to its terminal)\n`);
    tail.drain(emit, true);
    return 0;
  }
  for (;;) {
    tail.drain(emit);
    const { record } = await readJobReconciled(home, id);
    if (!isActiveStatus(record.status)) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  // The record turns final just before the supervisor writes its last event and exits: wait until
  // the file has stopped growing (or DRAIN_MS), then print the rest.
  const deadline = Date.now() + DRAIN_MS;
  let quiet = 0;
  while (Date.now() < deadline && quiet < 2) {
    quiet = tail.drain(emit) === 0 ? quiet + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  tail.drain(emit, true);
  return 0;
}
