// `logs` reads a log of any size in full, a chunk at a time (LineTail), without splitting a line or a
// UTF-8 character at a chunk boundary.
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LineTail } from "../../lib/cli/commands/logs.js";
import { jobLogFile } from "../../lib/paths.js";
import { createJob, updateJob } from "../../lib/jobs/store.js";
import { cli } from "../jobs/cli-helpers.js";
import { refOf, tempHome } from "../jobs/helpers.js";

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe("LineTail", () => {
  it("reads a file many times its chunk size in chunks: every line whole, multi-byte characters intact", () => {
    const file = path.join(home, "big.log");
    // Lines shorter and longer than the chunk; 'é' and '✓' (2 and 3 bytes) land on chunk boundaries.
    const lines = Array.from({ length: 500 }, (_, i) => `${i} ${"é✓".repeat(i % 23)} ${"x".repeat(i % 7)}`);
    fs.writeFileSync(file, lines.join("\n") + "\nunterminated tail");
    const chunk = 17;
    const tail = new LineTail(file, chunk);
    const batches: string[][] = [];
    tail.drain((b) => batches.push(b));
    expect(batches.flat()).toEqual(lines);
    // One emit per chunk that completed a line (a whole-file read would be a single batch): the lines
    // average far more than 17 bytes, so nearly every line arrives in its own batch.
    expect(batches.length).toBeGreaterThan(lines.length / 2);
    expect(tail.read(true)).toEqual(["unterminated tail"]);

    // Growth after the first read: only the new lines, and the partial line completes.
    fs.appendFileSync(file, "more\n");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8") + "é".repeat(40) + "\n");
    expect(new LineTail(file, 5).read()).toEqual([...lines, "unterminated tailmore", "é".repeat(40)]);
  });

  it("a truncated file is read again from the start", () => {
    const file = path.join(home, "t.log");
    fs.writeFileSync(file, "a\nb\nc\n");
    const tail = new LineTail(file, 2);
    expect(tail.read()).toEqual(["a", "b", "c"]);
    fs.writeFileSync(file, "d\n");
    expect(tail.read()).toEqual(["d"]);
  });
});

describe("codex-supervisor logs", () => {
  it("prints an event log larger than 16 MiB in full", async () => {
    const id = "j-20250109-000000c1";
    createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "x"] });
    updateJob(home, id, { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
    const line = (i: number) => JSON.stringify({ ts: "2025-01-09T10:00:00.000Z", type: "notice", i, pad: "p".repeat(200) });
    const count = Math.ceil((17 * 1024 * 1024) / (line(0).length + 1));
    const fd = fs.openSync(jobLogFile(home, id), "w");
    const batch: string[] = [];
    for (let i = 0; i < count; i++) {
      batch.push(line(i));
      if (batch.length === 10_000 || i === count - 1) fs.writeSync(fd, batch.splice(0).join("\n") + "\n");
    }
    fs.closeSync(fd);
    expect(fs.statSync(jobLogFile(home, id)).size).toBeGreaterThan(16 * 1024 * 1024);
    const r = await cli(home, ["logs", id, "--raw"]);
    expect(r.code).toBe(0);
    const out = r.stdout.split("\n");
    expect(out.pop()).toBe("");
    expect(out).toHaveLength(count);
    expect(out.at(-1)).toBe(line(count - 1));
  }, 60_000);
});
