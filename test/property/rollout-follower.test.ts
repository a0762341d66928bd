// Property tests for the rollout follower (rollout-follower.ts) and the line parser (rollout-events.ts).
//
// A rollout is generated from real lines (the pinned codex's fixtures) mixed with synthetic events
// (unicode messages), unknown event types, invalid UTF-8, CRLF and blank lines, lines over the cap and
// a cut last line; it is written in random pieces that cut lines and multi-byte characters, polling
// after each. The events must equal those of the whole file parsed at once by an independent oracle.
// Then the file is truncated, rewritten or replaced under the follower: the new file's events must
// come out exactly once. Bounded by PROPERTY_RUNS (default 300; each run writes a few files in a tmp dir).
import fc from "fast-check";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRolloutLine, type RolloutEvent } from "../../lib/session/rollout-events.js";
import { RolloutFollower, type FollowerIssue } from "../../lib/session/rollout-follower.js";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "rollouts");
const REAL_LINES: Buffer[] = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".jsonl"))
  .flatMap((f) =>
    fs
      .readFileSync(path.join(FIXTURES, f), "utf8")
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => Buffer.from(l)),
  );

let dir: string;
let seq = 0;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "prop-follower-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const freshFile = () => path.join(dir, `rollout-${++seq}.jsonl`);

// ---- the oracle: the whole file at once, split on raw newlines, decoded line by line ----

const oracleDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
function eventsOf(bytes: Buffer, cap: number, keepUnknown: boolean): { events: RolloutEvent[]; tooLong: number } {
  const events: RolloutEvent[] = [];
  let tooLong = 0;
  let start = 0;
  for (;;) {
    const nl = bytes.indexOf(10, start);
    if (nl === -1) break; // a cut last line is not an event (yet)
    let line = bytes.subarray(start, nl);
    start = nl + 1;
    if (line.length > cap) {
      tooLong++;
      continue;
    }
    if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    if (line.length === 0) continue;
    const ev = parseRolloutLine(oracleDecoder.decode(line));
    if (ev === null || (ev.type === "unknown" && !keepUnknown)) continue;
    events.push(ev);
  }
  return { events, tooLong };
}

// ---- generated rollouts ----

const evLine = (payload: object, ts = "2026-01-01T00:00:00.000Z") => Buffer.from(JSON.stringify({ timestamp: ts, type: "event_msg", payload }));
const text = fc.oneof(fc.string({ unit: "grapheme", maxLength: 30 }), fc.string({ unit: "binary", maxLength: 30 }), fc.constantFrom("héllo 😀 日本語 — ✓", "\u0000\u2028\u2029", "\\\"{}"));
/** Bytes that are not valid UTF-8: stray continuation bytes, a cut 4-byte sequence, overlong forms, 0xFF. */
const invalidUtf8 = fc.constantFrom(
  Buffer.from([0x80]),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xf0, 0x9f, 0x98]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe2, 0x82]),
);

const lineArb = (marker: string, cap: number): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...REAL_LINES) },
    { weight: 3, arbitrary: fc.tuple(text, fc.nat()).map(([m, n]) => evLine({ type: "task_complete", turn_id: `${marker}-${n}`, last_agent_message: `${marker} ${m}` })) },
    { weight: 1, arbitrary: fc.nat().map((n) => evLine({ type: "task_started", turn_id: `${marker}-${n}` })) },
    { weight: 1, arbitrary: fc.tuple(text, fc.nat()).map(([r, n]) => evLine({ type: "turn_aborted", turn_id: `${marker}-${n}`, reason: r })) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.double({ min: 0, max: 100, noNaN: true }), fc.nat()).map(([u, n]) =>
        evLine({ type: "token_count", info: null, rate_limits: { limit_id: "codex", primary: { used_percent: u, window_minutes: 300, resets_at: 1_700_000_000 + n }, secondary: null } }),
      ),
    },
    { weight: 1, arbitrary: fc.tuple(text, fc.constantFrom("usage_limit_exceeded", "other", { x: {} })).map(([m, c]) => evLine({ type: "error", message: `${marker} ${m}`, codex_error_info: c })) },
    // Unknown kinds: an event_msg type we do not know, an unknown top-level type, a response item.
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 12 }), text).map(([t, m]) => evLine({ type: `x_${t}`, m: `${marker} ${m}` })) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 12 }), text).map(([t, m]) => Buffer.from(JSON.stringify({ type: t, payload: { m: `${marker} ${m}` } }))) },
    { weight: 1, arbitrary: text.map((m) => Buffer.from(JSON.stringify({ timestamp: "t", type: "response_item", payload: { type: "message", content: `${marker} ${m}` } }))) },
    // Invalid UTF-8 inside a JSON string of a real event, and raw garbage.
    { weight: 1, arbitrary: fc.tuple(invalidUtf8, fc.nat()).map(([bad, n]) => Buffer.concat([Buffer.from(`{"type":"event_msg","payload":{"type":"task_complete","turn_id":"${marker}-${n}","last_agent_message":"`), bad, Buffer.from(`"}}`)])) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.filter((b) => b !== 10))) },
    // CRLF, a blank line, a line over the cap (a giant tool output), one exactly at the cap.
    { weight: 1, arbitrary: fc.nat().map((n) => Buffer.concat([evLine({ type: "task_started", turn_id: `${marker}-crlf-${n}` }), Buffer.from("\r")])) },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
    { weight: 1, arbitrary: fc.integer({ min: cap + 1, max: cap * 3 }).map((n) => giantLine(marker, n)) },
    { weight: 1, arbitrary: fc.constant(giantLine(marker, cap)) },
  );

/** A valid task_complete line of exactly `n` bytes (n ≥ 100). */
function giantLine(marker: string, n: number): Buffer {
  const head = evLine({ type: "task_complete", turn_id: marker, last_agent_message: "" });
  const fill = Math.max(0, n - head.length);
  return evLine({ type: "task_complete", turn_id: marker, last_agent_message: "g".repeat(fill) });
}

const rolloutArb = (marker: string, cap: number) =>
  fc
    .tuple(fc.array(lineArb(marker, cap), { maxLength: 14 }), fc.option(lineArb(marker, cap), { nil: null }))
    .map(([lines, cut]) => Buffer.concat([...lines.flatMap((l) => [l, Buffer.from("\n")]), ...(cut ? [cut] : [])]));

/** Sorted distinct cut points inside [1, len). */
const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });
function pieces(buf: Buffer, fractions: number[]): Buffer[] {
  const cuts = [...new Set(fractions.map((f) => Math.floor(f * buf.length)).filter((c) => c > 0 && c < buf.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, buf.length]) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  return out.filter((p) => p.length > 0);
}

const settings = fc.record({
  cap: fc.constantFrom(4096, 30_000),
  chunkBytes: fc.constantFrom(61, 1024, 65_536),
  keepUnknown: fc.boolean(),
});

async function writeInPieces(file: string, f: RolloutFollower, bytes: Buffer, cuts: number[], got: RolloutEvent[]): Promise<void> {
  for (const p of pieces(bytes, cuts)) {
    fs.appendFileSync(file, p);
    got.push(...(await f.poll()));
  }
}

describe("RolloutFollower (property)", () => {
  it("a rollout written in random pieces yields exactly the events of the whole file parsed at once", async () => {
    await fc.assert(
      fc.asyncProperty(settings.chain((s) => fc.record({ s: fc.constant(s), bytes: rolloutArb("A", s.cap), cuts: cutsArb })), async ({ s, bytes, cuts }) => {
        const file = freshFile();
        fs.writeFileSync(file, "");
        const issues: FollowerIssue[] = [];
        const f = new RolloutFollower(file, { maxLineBytes: s.cap, chunkBytes: s.chunkBytes, keepUnknown: s.keepUnknown, onIssue: (i) => issues.push(i) });
        const got: RolloutEvent[] = [];
        await writeInPieces(file, f, bytes, cuts, got);
        const want = eventsOf(bytes, s.cap, s.keepUnknown);
        expect(got).toEqual(want.events);
        expect(issues.filter((i) => i.kind === "line-too-long")).toHaveLength(want.tooLong);
        expect(issues.filter((i) => i.kind === "truncated" || i.kind === "replaced" || i.kind === "rewritten")).toEqual([]);
        expect(f.offset).toBe(bytes.length);
        // The same file read by a fresh follower in one poll agrees.
        const once = new RolloutFollower(file, { maxLineBytes: s.cap, chunkBytes: s.chunkBytes, keepUnknown: s.keepUnknown });
        expect(await once.poll()).toEqual(want.events);
        fs.rmSync(file);
      }),
      { numRuns: RUNS },
    );
  });

  it("parseRolloutLine is total: any string (incl. decoded invalid UTF-8) gives an event or null, never throws", () => {
    const dec = new TextDecoder("utf-8", { fatal: false });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 200 }),
          fc.uint8Array({ maxLength: 200 }).map((a) => dec.decode(a)),
          fc.json().map((j) => j),
          fc.tuple(fc.constantFrom("event_msg", "session_meta", "response_item", "compacted"), fc.jsonValue()).map(([t, p]) => JSON.stringify({ type: t, payload: p })),
          fc.tuple(fc.jsonValue(), fc.jsonValue()).map(([t, p]) => JSON.stringify({ type: "event_msg", payload: { type: t, rate_limits: p, error: p, codex_error_info: p, info: p } })),
        ),
        (line) => {
          const ev = parseRolloutLine(line);
          if (ev !== null) expect(typeof ev.type).toBe("string");
        },
      ),
      { numRuns: RUNS * 5 },
    );
  });

  it("the file truncated, rewritten in place, replaced by rename, or deleted and recreated: the new file's events come out exactly once", async () => {
    const how = fc.constantFrom("truncate-then-poll", "truncate-and-rewrite", "rename-over", "unlink-and-recreate");
    await fc.assert(
      fc.asyncProperty(
        settings.chain((s) =>
          fc.record({ s: fc.constant(s), a: rolloutArb("A", s.cap), b: rolloutArb("B", s.cap), cutsA: cutsArb, cutsB: cutsArb, how, stopAt: fc.double({ min: 0, max: 1, noNaN: true }), firstB: fc.double({ min: 0, max: 1, noNaN: true }) }),
        ),
        async ({ s, a, b, cutsA, cutsB, how, stopAt, firstB }) => {
          const file = freshFile();
          fs.writeFileSync(file, "");
          const f = new RolloutFollower(file, { maxLineBytes: s.cap, chunkBytes: s.chunkBytes, keepUnknown: s.keepUnknown });
          // Part of A (possibly cut mid-line), followed.
          const aPart = a.subarray(0, Math.floor(stopAt * a.length));
          const gotA: RolloutEvent[] = [];
          await writeInPieces(file, f, aPart, cutsA, gotA);
          expect(gotA).toEqual(eventsOf(aPart, s.cap, s.keepUnknown).events);
          // The switch. Some of B may already be there when the follower looks next.
          const bFirst = b.subarray(0, Math.floor(firstB * b.length));
          // Known limit (reported, not a goal of this property): a same-inode rewrite that is already at
          // least as long as what was read, and has the very same 64 bytes just before the read offset,
          // cannot be told from an append (the follower samples only that window), so the rest of B is
          // stitched onto A's held line. Real rollouts are append-only and start with a unique
          // session_meta; such a coincidence needs two files equal around that offset.
          const off = aPart.length;
          const window = (x: Buffer) => x.subarray(Math.max(0, off - 64), off);
          const sameInode = how === "truncate-and-rewrite" || how === "unlink-and-recreate";
          fc.pre(!(sameInode && off > 0 && bFirst.length >= off && window(bFirst).equals(window(aPart))));
          const gotB: RolloutEvent[] = [];
          switch (how) {
            case "truncate-then-poll":
              fs.truncateSync(file, 0);
              gotB.push(...(await f.poll()));
              fs.appendFileSync(file, bFirst);
              break;
            case "truncate-and-rewrite":
              fs.writeFileSync(file, bFirst); // O_TRUNC: same inode
              break;
            case "rename-over": {
              const tmp = `${file}.new`;
              fs.writeFileSync(tmp, bFirst);
              fs.renameSync(tmp, file);
              break;
            }
            case "unlink-and-recreate":
              fs.rmSync(file);
              gotB.push(...(await f.poll())); // missing: nothing
              fs.writeFileSync(file, bFirst); // the freed inode number may well be reused
              break;
          }
          gotB.push(...(await f.poll()));
          await writeInPieces(file, f, b.subarray(bFirst.length), cutsB, gotB);
          expect(gotB).toEqual(eventsOf(b, s.cap, s.keepUnknown).events);
          fs.rmSync(file);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("a line far over the cap streams past in bounded memory and the next line is read", async () => {
    const file = freshFile();
    const cap = 1024 * 1024;
    const f = new RolloutFollower(file, { maxLineBytes: cap, chunkBytes: 256 * 1024 });
    const issues: FollowerIssue[] = [];
    fs.writeFileSync(file, '{"type":"event_msg","payload":{"type":"task_complete","last_agent_message":"');
    const block = Buffer.alloc(1024 * 1024, "x".charCodeAt(0));
    const megabytes = 48;
    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (let i = 0; i < megabytes; i++) {
      fs.appendFileSync(file, block);
      expect(await f.poll()).toEqual([]);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    }
    fs.appendFileSync(file, '"}}\n' + evLine({ type: "task_started", turn_id: "after" }).toString() + "\n");
    const after = await f.poll();
    for (const i of f.takeIssues()) issues.push(i);
    expect(after).toMatchObject([{ type: "task_started", turnId: "after" }]);
    expect(issues).toMatchObject([{ kind: "line-too-long", offset: 0 }]);
    expect((issues[0] as { bytes: number }).bytes).toBeGreaterThan(megabytes * 1024 * 1024);
    // Buffering the line would have grown external memory by ≥ 48 MiB. What remains is the cap (1 MiB
    // held at most), the 1 MiB block and uncollected 256 KiB read buffers (one per poll, freed by the
    // next GC, which the test does not force), so half the line's size separates the two cleanly.
    expect(peak).toBeLessThan((megabytes / 2) * 1024 * 1024);
    fs.rmSync(file);
  });
});
