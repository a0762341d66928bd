import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRolloutLine, type RolloutEvent } from "../../lib/session/rollout-events.js";
import { RolloutFollower, watchFollower, type FollowerIssue } from "../../lib/session/rollout-follower.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "rollouts");
const REAL = fs.readFileSync(path.join(FIXTURES, "exec-complete-aborted-usage-limit.jsonl"));

const ev = (payload: object) => JSON.stringify({ timestamp: "t", type: "event_msg", payload }) + "\n";
const complete = (msg: string) => ev({ type: "task_complete", turn_id: "x", last_agent_message: msg });
/** What a follower must return for `bytes` (complete lines only, unknown kinds dropped). */
function expected(bytes: Buffer): RolloutEvent[] {
  const text = bytes.toString("utf8");
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  return complete
    .split("\n")
    .map(parseRolloutLine)
    .filter((e): e is RolloutEvent => e !== null && e.type !== "unknown");
}

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "follower-"));
  file = path.join(dir, "rollout.jsonl");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("RolloutFollower", () => {
  it("a real rollout written in random pieces (splitting lines and UTF-8 characters) yields each event once, in order", async () => {
    const multibyte = Buffer.from(complete("héllo 😀 日本語 — ✓"));
    const all = Buffer.concat([REAL, multibyte, REAL.subarray(0, 4000)]); // ends with a partial line
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (const chunkBytes of [1, 7, 4096]) {
      fs.writeFileSync(file, "");
      const f = new RolloutFollower(file, { chunkBytes });
      const got: RolloutEvent[] = [];
      let pos = 0;
      while (pos < all.length) {
        // Pieces of 1..300 bytes, many of them cutting a multi-byte character.
        const n = Math.min(all.length - pos, 1 + rnd(chunkBytes === 1 ? 3000 : 300));
        fs.appendFileSync(file, all.subarray(pos, pos + n));
        pos += n;
        got.push(...(await f.poll()));
      }
      expect(got).toEqual(expected(all));
      expect(got.at(-1)).toMatchObject({ type: "task_complete", lastAgentMessage: "héllo 😀 日本語 — ✓" });
      expect(f.takeIssues()).toEqual([]);
      // The partial last line is held (read, not emitted) until its newline arrives.
      expect(f.offset).toBe(all.length);
      fs.appendFileSync(file, "\n");
      expect(await f.poll()).toEqual([]); // the tail was a cut response_item: unknown kind, not returned
    }
  });

  it("holds a partial line until its newline", async () => {
    fs.writeFileSync(file, complete("one"));
    const f = new RolloutFollower(file);
    expect((await f.poll()).map((e) => e.type)).toEqual(["task_complete"]);
    const line = complete("two");
    fs.appendFileSync(file, line.slice(0, 20));
    expect(await f.poll()).toEqual([]);
    fs.appendFileSync(file, line.slice(20, -1));
    expect(await f.poll()).toEqual([]);
    fs.appendFileSync(file, "\n");
    expect(await f.poll()).toMatchObject([{ type: "task_complete", lastAgentMessage: "two" }]);
    expect(await f.poll()).toEqual([]);
  });

  it("skips a line over the cap without buffering it, reports it, and carries on", async () => {
    const issues: FollowerIssue[] = [];
    const f = new RolloutFollower(file, { maxLineBytes: 1000, chunkBytes: 64, onIssue: (i) => issues.push(i) });
    const before = complete("before");
    const giant = ev({ type: "task_complete", last_agent_message: "x".repeat(5000) });
    fs.writeFileSync(file, before + giant.slice(0, 700));
    expect(await f.poll()).toMatchObject([{ lastAgentMessage: "before" }]);
    fs.appendFileSync(file, giant.slice(700, 3000));
    expect(await f.poll()).toEqual([]);
    // While skipping, nothing of the giant line is held.
    expect((f as unknown as { partialBytes: number }).partialBytes).toBe(0);
    fs.appendFileSync(file, giant.slice(3000) + complete("after"));
    expect(await f.poll()).toMatchObject([{ lastAgentMessage: "after" }]);
    expect(issues).toEqual([{ kind: "line-too-long", offset: Buffer.byteLength(before), bytes: Buffer.byteLength(giant) - 1 }]);
  });

  it("a 9 MiB line with the default 8 MiB cap is skipped", async () => {
    const f = new RolloutFollower(file);
    fs.writeFileSync(file, ev({ type: "task_complete", last_agent_message: "y".repeat(9 * 1024 * 1024) }) + complete("ok"));
    expect(await f.poll()).toMatchObject([{ lastAgentMessage: "ok" }]);
    expect(f.takeIssues()).toMatchObject([{ kind: "line-too-long", offset: 0 }]);
  });

  it("invalid UTF-8 inside a line becomes U+FFFD; a garbage line is reported and skipped", async () => {
    const bad = Buffer.concat([Buffer.from(ev({ type: "task_complete", last_agent_message: "a__b" }).replace("__", "\u0000\u0000"))]);
    bad[bad.indexOf(0)] = 0xff;
    bad[bad.indexOf(0)] = 0xc3; // a lead byte with no continuation
    fs.writeFileSync(file, Buffer.concat([bad, Buffer.from("not json at all\n"), Buffer.from(complete("fine"))]));
    const f = new RolloutFollower(file);
    const got = await f.poll();
    expect(got).toMatchObject([{ lastAgentMessage: "a\uFFFD\uFFFDb" }, { lastAgentMessage: "fine" }]);
    expect(f.takeIssues()).toMatchObject([{ kind: "unparsable", offset: bad.length }]);
  });

  it("truncation: restarts at 0 and returns the new content exactly once", async () => {
    fs.writeFileSync(file, complete("old1") + complete("old2"));
    const f = new RolloutFollower(file);
    expect(await f.poll()).toHaveLength(2);
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, complete("new1"));
    expect(await f.poll()).toMatchObject([{ lastAgentMessage: "new1" }]);
    expect(f.takeIssues()).toMatchObject([{ kind: "truncated" }]);
    fs.appendFileSync(file, complete("new2"));
    expect(await f.poll()).toMatchObject([{ lastAgentMessage: "new2" }]);
  });

  it("rewritten in place to a larger size (same inode): noticed by the tail check", async () => {
    fs.writeFileSync(file, complete("old1"));
    const f = new RolloutFollower(file);
    expect(await f.poll()).toHaveLength(1);
    fs.writeFileSync(file, complete("NEW1") + complete("new2")); // same inode, bigger
    expect((await f.poll()).map((e) => (e as { lastAgentMessage: string }).lastAgentMessage)).toEqual(["NEW1", "new2"]);
    expect(f.takeIssues()).toMatchObject([{ kind: "rewritten" }]);
  });

  it("replacement by rename (new inode), even bigger than the old offset: the new file from 0, once", async () => {
    fs.writeFileSync(file, complete("old1") + complete("old2").slice(0, 10));
    const f = new RolloutFollower(file);
    expect(await f.poll()).toHaveLength(1);
    const tmp = path.join(dir, "tmp.jsonl");
    fs.writeFileSync(tmp, complete("new1") + complete("new2") + complete("new3"));
    fs.renameSync(tmp, file);
    const got = await f.poll();
    expect(got.map((e) => (e as { lastAgentMessage: string }).lastAgentMessage)).toEqual(["new1", "new2", "new3"]);
    expect(f.takeIssues()).toMatchObject([{ kind: "replaced" }]);
    expect(await f.poll()).toEqual([]);
  });

  it("a missing file yields nothing until it appears; deleted and recreated counts as replaced", async () => {
    const f = new RolloutFollower(file);
    expect(await f.poll()).toEqual([]);
    fs.writeFileSync(file, complete("a"));
    expect(await f.poll()).toHaveLength(1);
    fs.unlinkSync(file);
    expect(await f.poll()).toEqual([]);
    fs.writeFileSync(file, complete("b") + complete("c"));
    expect(await f.poll()).toHaveLength(2);
  });

  it("concurrent polls never read a byte twice", async () => {
    fs.writeFileSync(file, REAL);
    const f = new RolloutFollower(file, { chunkBytes: 100 });
    const results = await Promise.all([f.poll(), f.poll(), f.poll()]);
    expect(results.flat()).toEqual(expected(REAL));
  });
});

describe("watchFollower", () => {
  it("delivers appended events after a change notification, in order, and stops on close", async () => {
    fs.writeFileSync(file, complete("first"));
    const f = new RolloutFollower(file);
    const got: string[] = [];
    let wake: () => void = () => {};
    const w = watchFollower(
      f,
      (evs) => {
        for (const e of evs) if (e.type === "task_complete") got.push(e.lastAgentMessage ?? "");
        wake();
      },
      { intervalMs: 60_000 }, // only the fs.watch notification (or the first tick) can deliver in time
    );
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (got.length < n && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 200)));
    };
    await waitFor(1);
    fs.appendFileSync(file, complete("second"));
    await waitFor(2);
    fs.appendFileSync(file, complete("third"));
    await waitFor(3);
    expect(got).toEqual(["first", "second", "third"]);
    w.close();
    fs.appendFileSync(file, complete("after close"));
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual(["first", "second", "third"]);
  });
});
