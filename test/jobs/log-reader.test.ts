// The log reading engine (lib/jobs/log-reader.ts): bounded chunks, whole lines, long lines in pieces,
// growth and truncation, no symlink followed — and `logs` on a 150 MB line without a newline and a
// 50 MB event line, with the CLI's peak RSS measured (/usr/bin/time -v) against its own baseline.
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileAccessError } from "../../lib/fs/errors.js";
import { copyLog, LogReader, type LogPiece } from "../../lib/jobs/log-reader.js";
import { createJob, updateJob } from "../../lib/jobs/records.js";
import { jobLogFile, jobOutFile } from "../../lib/paths.js";
import { runCli } from "../helpers/cli.js";
import { cleanEnv } from "../helpers/env.js";
import { refOf, tempHome } from "./helpers.js";

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

/** Whole lines as the reader gives them, long ones re-joined (for checking content). */
function lines(pieces: LogPiece[]): string[] {
  const out: string[] = [];
  let long: string | null = null;
  for (const p of pieces) {
    if (p.kind === "line") out.push(p.text);
    else {
      if (p.first) long = "";
      long += p.text;
      if (p.last) (out.push(long!), (long = null));
    }
  }
  return out;
}

describe("LogReader", () => {
  it("reads a file many times its chunk size one chunk per call: every line whole, multi-byte characters intact", () => {
    const file = path.join(home, "big.log");
    // Lines shorter and longer than the chunk; 'é' and '✓' (2 and 3 bytes) land on chunk boundaries.
    const want = Array.from({ length: 500 }, (_, i) => `${i} ${"é✓".repeat(i % 23)} ${"x".repeat(i % 7)}`);
    fs.writeFileSync(file, want.join("\n") + "\nunterminated tail");
    const reader = new LogReader(file, { chunkBytes: 17, maxLineBytes: 1024 });
    let calls = 0;
    const got: LogPiece[] = [];
    for (let p = reader.next(); p !== null; p = reader.next()) {
      calls++;
      got.push(...p);
    }
    expect(lines(got)).toEqual(want);
    expect(got.every((p) => p.kind === "line")).toBe(true);
    expect(calls).toBe(Math.ceil(fs.statSync(file).size / 17)); // one bounded read per call
    expect(lines(reader.readAll(true))).toEqual(["unterminated tail"]);

    // Growth after the first read: only the new lines, and a partial line completes.
    const again = new LogReader(file, { chunkBytes: 5 });
    again.readAll();
    fs.appendFileSync(file, "more\n" + "é".repeat(40) + "\n");
    expect(lines(again.readAll())).toEqual(["unterminated tailmore", "é".repeat(40)]);
  });

  it("a line longer than maxLineBytes comes in pieces (first … last) as it is read, never held whole; characters are not split", () => {
    const file = path.join(home, "long.out");
    const long = "ab✓".repeat(20); // 100 bytes
    fs.writeFileSync(file, `short\n${long}\nafter\n${long}`);
    const reader = new LogReader(file, { chunkBytes: 7, maxLineBytes: 16 });
    const pieces = reader.readAll();
    const longPieces = pieces.filter((p) => p.kind === "long");
    expect(longPieces.length).toBeGreaterThan(5);
    for (const p of longPieces) expect(p.text).not.toContain("\ufffd");
    expect(Math.max(...longPieces.map((p) => Buffer.byteLength(p.text)))).toBeLessThanOrEqual(16 + 7);
    // The unterminated long tail is passed through as it comes; the end of the file ends it on flush.
    expect(lines([...pieces, ...reader.readAll(true)])).toEqual(["short", long, "after", long]);
  });

  it("a truncated file is read again from the start; a missing one reads as empty", () => {
    const file = path.join(home, "t.log");
    expect(new LogReader(file).next()).toBeNull();
    fs.writeFileSync(file, "a\nb\nc\n");
    const reader = new LogReader(file, { chunkBytes: 2 });
    expect(lines(reader.readAll())).toEqual(["a", "b", "c"]);
    fs.writeFileSync(file, "d\n");
    expect(lines(reader.readAll())).toEqual(["d"]);
  });

  it("never follows a symlink: a FileAccessError naming the file", () => {
    const target = path.join(home, "target");
    fs.writeFileSync(target, "secret\n");
    const link = path.join(home, "link.log");
    fs.symlinkSync(target, link);
    expect(() => new LogReader(link).next()).toThrow(FileAccessError);
    expect(() => new LogReader(link).next()).toThrow(`cannot read ${link}: it is a symbolic link (not followed) (ELOOP)`);
  });

  it("copyLog waits for a slow consumer instead of buffering the file", async () => {
    const file = path.join(home, "c.out");
    fs.writeFileSync(file, Buffer.alloc(8 * 1024 * 1024, "y"));
    let maxQueued = 0;
    let got = 0;
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, done) {
        got += chunk.length;
        setImmediate(done);
      },
    });
    const write = slow.write.bind(slow);
    slow.write = ((chunk: string) => {
      const ok = write(chunk);
      maxQueued = Math.max(maxQueued, slow.writableLength);
      return ok;
    }) as typeof slow.write;
    await copyLog(new LogReader(file, { chunkBytes: 256 * 1024, maxLineBytes: 256 * 1024 }), slow, (l) => l, true);
    await new Promise<void>((r) => slow.end(r));
    expect(got).toBe(8 * 1024 * 1024 + 1);
    expect(maxQueued).toBeLessThanOrEqual(2 * 256 * 1024); // never more than a chunk or two in flight
  });
});

// ---- the CLI on huge lines, memory measured ----

interface Measured {
  code: number | null;
  bytes: number;
  lastByte: number;
  peakKb: number;
  ms: number;
  stderr: string;
}

/** `codex-supervisor <args>` under /usr/bin/time -v: its peak RSS, and stdout counted (not kept). */
async function measure(args: string[]): Promise<Measured> {
  let bytes = 0;
  let lastByte = -1;
  const onStdout = (d: Buffer) => {
    bytes += d.length;
    lastByte = d[d.length - 1]!;
  };
  const { code, stderr, ms } = await runCli(args, cleanEnv({ HOME: home, CODEX_AUTH_SUPERVISOR_HOME: home }), { via: ["/usr/bin/time", "-v"], onStdout });
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (!m) throw new Error(`no RSS figure from /usr/bin/time: ${stderr}`);
  return { code, bytes, lastByte, peakKb: Number(m[1]), ms, stderr: stderr.split("\tCommand being timed")[0]! };
}

function writeRepeated(file: string, bytes: number, fill: string, prefix = "", suffix = ""): void {
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, prefix);
    const block = Buffer.alloc(1024 * 1024, fill);
    for (let left = bytes; left > 0; left -= block.length) fs.writeSync(fd, block, 0, Math.min(block.length, left));
    fs.writeSync(fd, suffix);
  } finally {
    fs.closeSync(fd);
  }
}

const BUDGET_KB = 64 * 1024;

describe.runIf(fs.existsSync("/usr/bin/time"))("logs on huge lines: bounded memory above the CLI's own baseline", () => {
  it("a 150 MB .out without a newline (logs --output), and a 50 MB event line (logs, rendered)", async () => {
    const id = "j-20250109-000000d1";
    createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "x"] });
    updateJob(home, id, { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
    const small = "j-20250109-000000d2";
    createJob(home, { id: small, kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "x"] });
    updateJob(home, small, { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
    fs.writeFileSync(jobOutFile(home, small), "hello\n");

    const baseline = await measure(["logs", small, "--output"]);
    expect(baseline.code, baseline.stderr).toBe(0);

    writeRepeated(jobOutFile(home, id), 150 * 1000 * 1000, "o");
    const out = await measure(["logs", id, "--output"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.bytes).toBe(150 * 1000 * 1000 + 1); // the line in full, ended by one newline
    expect(out.lastByte).toBe(0x0a);
    fs.rmSync(jobOutFile(home, id));

    // A spawn event, a 50 MB notice event on one line, an exit event.
    writeRepeated(
      jobLogFile(home, id),
      50 * 1000 * 1000,
      "p",
      `{"ts":"2025-01-09T10:00:00.000Z","type":"spawn","pid":1}\n{"ts":"2025-01-09T10:00:00.500Z","type":"notice","pad":"`,
      `"}\n{"ts":"2025-01-09T10:00:01.000Z","type":"exit","code":0}\n`,
    );
    const ev = await measure(["logs", id]);
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.bytes).toBeGreaterThan(50 * 1000 * 1000);
    expect(ev.lastByte).toBe(0x0a);

    const above = (m: Measured) => m.peakKb - baseline.peakKb;
    console.log(
      `[logs RSS] baseline ${(baseline.peakKb / 1024).toFixed(1)} MiB; 150 MB line: +${(above(out) / 1024).toFixed(1)} MiB in ${(out.ms / 1000).toFixed(1)} s; ` +
        `50 MB event line: +${(above(ev) / 1024).toFixed(1)} MiB in ${(ev.ms / 1000).toFixed(1)} s`,
    );
    expect(above(out), "150 MB line: peak RSS above the baseline (KiB)").toBeLessThanOrEqual(BUDGET_KB);
    expect(above(ev), "50 MB event line: peak RSS above the baseline (KiB)").toBeLessThanOrEqual(BUDGET_KB);
  }, 180_000);
});
