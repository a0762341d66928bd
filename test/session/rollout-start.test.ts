// Where a child's own lines begin in a rollout it appends to (rollout-start.ts offsetSince): exact at
// line boundaries, whatever the chunking or line length, and reading only the tail.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { offsetSince } from "../../lib/session/rollout-start.js";

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-start-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const T = Date.parse("2026-12-02T10:00:00.000Z");
const line = (ms: number, extra = "") => JSON.stringify({ timestamp: new Date(ms).toISOString(), type: "event_msg", payload: { type: "x", pad: extra } }) + "\n";

function write(name: string, lines: string[]): { file: string; starts: number[] } {
  const file = path.join(dir, name);
  const starts: number[] = [];
  let at = 0;
  for (const l of lines) {
    starts.push(at);
    at += Buffer.byteLength(l);
  }
  fs.writeFileSync(file, lines.join(""));
  return { file, starts };
}

describe("offsetSince", () => {
  it("the first line at or after `since`; the size when all are older; 0 when none is", async () => {
    const { file, starts } = write("a.jsonl", [line(T - 3000), line(T - 2000), line(T), line(T + 5)]);
    expect(await offsetSince(file, T)).toBe(starts[2]);
    expect(await offsetSince(file, T + 1)).toBe(starts[3]);
    expect(await offsetSince(file, T + 10)).toBe(fs.statSync(file).size);
    expect(await offsetSince(file, T - 10_000)).toBe(0);
  });

  it("a missing file (the child will create it) → 0; an empty one → 0", async () => {
    expect(await offsetSince(path.join(dir, "none.jsonl"), T)).toBe(0);
    const { file } = write("empty.jsonl", []);
    expect(await offsetSince(file, T)).toBe(0);
  });

  it("a line cut mid-write at the end counts by its timestamp too", async () => {
    const { file, starts } = write("cut.jsonl", [line(T - 1000), line(T + 1).slice(0, 60)]);
    expect(await offsetSince(file, T)).toBe(starts[1]);
  });

  it("lines far longer than a read chunk, and boundaries on chunk edges: always a line start", async () => {
    const big = "y".repeat(200 * 1024);
    for (const pad of [0, 1, 63, 64 * 1024 - 40, 64 * 1024, 3 * 64 * 1024 + 7]) {
      const { file, starts } = write(`b${pad}.jsonl`, [line(T - 3000, big), line(T - 2000, "z".repeat(pad)), line(T + 1, big), line(T + 2)]);
      expect(await offsetSince(file, T)).toBe(starts[2]);
    }
  });

  it("a 100 MB history: the boundary is found reading only the tail", async () => {
    const file = path.join(dir, "huge.jsonl");
    const old = line(T - 60_000, "o".repeat(1000));
    const fd = fs.openSync(file, "w");
    const block = old.repeat(1000); // ~1 MB
    for (let i = 0; i < 100; i++) fs.writeSync(fd, block);
    const boundary = fs.fstatSync(fd).size;
    fs.writeSync(fd, line(T + 1) + line(T + 2));
    fs.closeSync(fd);
    // Count the bytes the scan reads through the file handle it opens.
    let bytes = 0;
    const realOpen = fs.promises.open;
    const spy = vi.spyOn(fs.promises, "open").mockImplementation(async (...args: Parameters<typeof realOpen>) => {
      const fh = await realOpen(...args);
      const read = fh.read.bind(fh) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
      (fh as unknown as { read: typeof read }).read = async (...a: unknown[]) => {
        const r = await read(...a);
        bytes += r.bytesRead;
        return r;
      };
      return fh;
    });
    try {
      expect(await offsetSince(file, T)).toBe(boundary);
    } finally {
      spy.mockRestore();
    }
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
  });
});
