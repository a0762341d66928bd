import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { consumeControl, pendingControl, requestControl, watchControl, type ControlRequest } from "../../lib/jobs/control.js";
import { jobControlFile, jobsDir } from "../../lib/paths.js";
import { pollUntil } from "../helpers/poll.js";
import { tempHome } from "./helpers.js";

const ID = "s-20250109-c0c0c0c0";
let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe("control requests", () => {
  it("are written atomically (0600) and read back as pending until consumed", () => {
    const req = requestControl(home, ID, "stop");
    expect(fs.statSync(jobControlFile(home, ID)).mode & 0o777).toBe(0o600);
    expect(pendingControl(home, ID)).toEqual(req);
    const got = consumeControl(home, ID);
    expect(got).toEqual({ request: req });
    expect(consumeControl(home, ID)).toBeNull();
    expect(pendingControl(home, ID)).toBeNull();
    expect(fs.readdirSync(jobsDir(home))).toEqual([]);
  });

  it("reach a watching supervisor promptly through fs.watch, each exactly once", async () => {
    const got: ControlRequest[] = [];
    // A poll far slower than the deadline proves the watch event delivered it.
    const w = watchControl(home, ID, (r) => got.push(r), { pollMs: 60_000 });
    try {
      const t0 = Date.now();
      const a = requestControl(home, ID, "restart");
      await pollUntil(() => got.length === 1, 2000, "the restart request", 10);
      expect(Date.now() - t0).toBeLessThan(2000);
      const b = requestControl(home, ID, "stop");
      await pollUntil(() => got.length === 2, 2000, "the stop request", 10);
      expect(got.map((r) => r.nonce)).toEqual([a.nonce, b.nonce]);
      expect(got.map((r) => r.action)).toEqual(["restart", "stop"]);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toHaveLength(2);
    } finally {
      w.close();
    }
  });

  it("pick up a request written before the watch started, and work by polling alone", async () => {
    const req = requestControl(home, ID, "stop");
    const got: ControlRequest[] = [];
    const w = watchControl(home, ID, (r) => got.push(r), { pollMs: 20 });
    try {
      await pollUntil(() => got.length === 1, 2000, "the early request", 10);
      expect(got[0]).toEqual(req);
    } finally {
      w.close();
    }
  });

  it("two watchers racing: the request is taken by exactly one", async () => {
    const got: string[] = [];
    const w1 = watchControl(home, ID, () => got.push("w1"), { pollMs: 5 });
    const w2 = watchControl(home, ID, () => got.push("w2"), { pollMs: 5 });
    try {
      for (let i = 0; i < 20; i++) {
        const before = got.length;
        requestControl(home, ID, "restart");
        await pollUntil(() => got.length > before, 2000, `request ${i}`, 10);
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toHaveLength(20);
    } finally {
      w1.close();
      w2.close();
    }
  });

  it("remove and report an unreadable request instead of acting on it; nothing after close", async () => {
    const got: ControlRequest[] = [];
    const invalid: string[] = [];
    fs.mkdirSync(jobsDir(home), { recursive: true });
    fs.writeFileSync(jobControlFile(home, ID), '{"action":"explode"}');
    const w = watchControl(home, ID, (r) => got.push(r), { pollMs: 20, onInvalid: (t) => invalid.push(t) });
    await pollUntil(() => invalid.length === 1, 2000, "the invalid request", 10);
    expect(invalid[0]).toContain("explode");
    expect(fs.existsSync(jobControlFile(home, ID))).toBe(false);
    w.close();
    requestControl(home, ID, "stop");
    await new Promise((r) => setTimeout(r, 150));
    expect(got).toEqual([]);
    expect(pendingControl(home, ID)?.action).toBe("stop");
  });
});
