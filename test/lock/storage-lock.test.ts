import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  LockLostError,
  LockTimeoutError,
  acquireStorageLock,
  withStorageLock,
} from "../../lib/lock/storage-lock.js";
import { holderTrustWindowMs } from "../../lib/lock/options.js";
import { pollUntil } from "../helpers/poll.js";
import { cleanEnv } from "../helpers/env.js";

const require = createRequire(import.meta.url);
let home: string;
let lockDir: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "lock-test-"));
  lockDir = path.join(home, "storage.lock");
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

const FAST = { staleMs: 2000, updateMs: 1000 };

function makeStaleLock(dir: string, ageMs = 60_000): void {
  fs.mkdirSync(dir);
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(dir, t, t);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("withStorageLock basics", () => {
  it("runs fn with a held guard, returns its value, removes the lock; the target file never exists", async () => {
    const v = await withStorageLock(
      home,
      async (guard) => {
        expect(fs.statSync(lockDir).isDirectory()).toBe(true);
        guard.assertHeld();
        expect(guard.lost).toBe(false);
        return 42;
      },
      FAST,
    );
    expect(v).toBe(42);
    expect(fs.existsSync(lockDir)).toBe(false);
    expect(fs.existsSync(path.join(home, "storage"))).toBe(false);
  });

  it("creates a missing home with 0700", async () => {
    const h = path.join(home, "nested", "home");
    await withStorageLock(h, () => undefined, FAST);
    expect(fs.statSync(h).mode & 0o777).toBe(0o700);
  });

  it("weak spot: proper-lockfile's default realpath fails on the missing target; ours does not", async () => {
    await expect(lockfile.lock(path.join(home, "storage"))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(withStorageLock(home, () => "ok", FAST)).resolves.toBe("ok");
  });

  it("weak spot: a fresh lock is not stamped with a future mtime (a holder dying at once is evicted on time)", async () => {
    for (let i = 0; i < 3; i++) {
      const before = Date.now();
      const held = await acquireStorageLock(home, FAST);
      expect(fs.statSync(lockDir).mtimeMs).toBeLessThanOrEqual(Date.now() + 5);
      expect(fs.statSync(lockDir).mtimeMs).toBeGreaterThanOrEqual(before - 1000);
      await held.release();
    }
    expect(fs.readdirSync(home)).toEqual([]); // the precision probe's scratch dir is gone
  });

  it("excludes a second holder in the same process until the first releases", async () => {
    const order: string[] = [];
    const gate = deferred();
    const first = withStorageLock(
      home,
      async () => {
        order.push("first-in");
        await gate.promise;
        order.push("first-out");
      },
      FAST,
    );
    await pollUntil(() => order.includes("first-in"), 2000, "first holder", 20);
    const second = withStorageLock(home, () => void order.push("second-in"), FAST);
    await new Promise((r) => setTimeout(r, 150));
    expect(order).toEqual(["first-in"]);
    gate.resolve();
    await Promise.all([first, second]);
    expect(order).toEqual(["first-in", "first-out", "second-in"]);
  });

  it("releases when fn throws, and the error propagates", async () => {
    await expect(
      withStorageLock(
        home,
        () => {
          throw new Error("boom");
        },
        FAST,
      ),
    ).rejects.toThrow("boom");
    expect(fs.existsSync(lockDir)).toBe(false);
  });

  it("times out with LockTimeoutError naming the lock while a live holder keeps it fresh", async () => {
    const held = await acquireStorageLock(home, FAST);
    try {
      const err = await withStorageLock(home, () => 1, { ...FAST, timeoutMs: 300 }).catch((e) => e);
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect((err as Error).message).toContain(lockDir);
    } finally {
      await held.release();
    }
  });

  it("rejects timing that would let others reclaim a healthy lock", async () => {
    await expect(acquireStorageLock(home, { staleMs: 10_000, updateMs: 500 })).rejects.toThrow(/lockUpdateMs/);
    await expect(acquireStorageLock(home, { staleMs: 3000, updateMs: 2000 })).rejects.toThrow(/lockStaleMs/);
    expect(holderTrustWindowMs(10_000, 2000)).toBe(8000);
    expect(holderTrustWindowMs(2000, 1000)).toBe(1500);
  });
});

describe("stale eviction and the reclaim race", () => {
  it("evicts an abandoned lock (old heartbeat) at once", async () => {
    makeStaleLock(lockDir);
    const t0 = Date.now();
    await withStorageLock(home, (g) => g.assertHeld(), FAST);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("a reclaim mutex left by a reclaimer that died is cleaned up", async () => {
    makeStaleLock(lockDir);
    makeStaleLock(`${lockDir}.reclaim`);
    await withStorageLock(home, (g) => g.assertHeld(), { ...FAST, timeoutMs: 3000 });
    expect(fs.existsSync(`${lockDir}.reclaim`)).toBe(false);
  });

  it("weak spot demonstrated: with proper-lockfile's own stale reclaim, a slow waiter removes a fresh lock and both hold", async () => {
    const target = path.join(home, "storage");
    makeStaleLock(lockDir);
    const gate = deferred();
    // Waiter A stats the lock now (stale) but acts on the result only after B has reclaimed and locked.
    const slowFs = {
      ...fs,
      stat: (p: string, cb: (e: NodeJS.ErrnoException | null, s?: fs.Stats) => void) =>
        fs.stat(p, (e, s) => void gate.promise.then(() => cb(e, s))),
    };
    const noop = () => {};
    const a = lockfile.lock(target, { stale: 2000, realpath: false, fs: slowFs, onCompromised: noop });
    await new Promise((r) => setTimeout(r, 50));
    const releaseB = await lockfile.lock(target, { stale: 2000, realpath: false, onCompromised: noop });
    gate.resolve();
    const releaseA = await a; // A removed B's live lock and created its own: two holders.
    expect(typeof releaseA).toBe("function");
    expect(typeof releaseB).toBe("function");
    await releaseA().catch(noop);
    await releaseB().catch(noop);
    fs.rmSync(lockDir, { recursive: true, force: true });
  });

  it("ours: the slow waiter re-checks under the reclaim mutex and leaves the new holder's lock alone", async () => {
    makeStaleLock(lockDir);
    const aObservedStale = deferred();
    const letAGo = deferred();
    const events: string[] = [];
    const a = withStorageLock(
      home,
      (g) => {
        g.assertHeld();
        events.push("A-in");
      },
      {
        ...FAST,
        timeoutMs: 10_000,
        afterStaleObservedForTests: async () => {
          aObservedStale.resolve();
          await letAGo.promise;
        },
      },
    );
    await aObservedStale.promise;
    // B reclaims the stale lock and holds it while A resumes with its outdated "stale" verdict.
    const b = await acquireStorageLock(home, FAST);
    events.push("B-in");
    const bIno = fs.statSync(lockDir).ino;
    letAGo.resolve();
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.statSync(lockDir).ino).toBe(bIno);
    b.guard.assertHeld();
    expect(events).toEqual(["B-in"]);
    events.push("B-out");
    await b.release();
    await a;
    expect(events).toEqual(["B-in", "B-out", "A-in"]);
  });
});

describe("compromise handling", () => {
  it("weak spot: proper-lockfile's default onCompromised throws and kills the process", () => {
    const script = `
      const lockfile = require(${JSON.stringify(require.resolve("proper-lockfile"))});
      const fs = require("fs");
      lockfile.lock(${JSON.stringify(path.join(home, "storage"))}, { realpath: false, update: 1000, stale: 2000 })
        .then(() => { fs.rmdirSync(${JSON.stringify(lockDir)}); setTimeout(() => process.exit(0), 4000); });
    `;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 15_000, env: cleanEnv() });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("ECOMPROMISED");
  });

  it("ours: a removed lock marks the guard lost (no crash), assertHeld aborts the write, release is quiet", async () => {
    const held = await acquireStorageLock(home, FAST);
    fs.rmdirSync(lockDir);
    // Detected by assertHeld at once, and by the heartbeat within one update period.
    await pollUntil(() => held.guard.lost, 3000, "heartbeat to notice the compromise", 20);
    expect(held.guard.lostReason).toMatch(/compromised/);
    expect(() => held.guard.assertHeld()).toThrow(LockLostError);
    await expect(held.release()).resolves.toBeUndefined();
  });

  it("ours: a lock replaced by another holder fails assertHeld at once, and our release does not remove theirs", async () => {
    const errors: Error[] = [];
    const held = await acquireStorageLock(home, { ...FAST, onReleaseError: (e) => errors.push(e) });
    fs.rmdirSync(lockDir);
    fs.mkdirSync(lockDir); // someone else's lock now
    const theirIno = fs.statSync(lockDir).ino;
    expect(() => held.guard.assertHeld()).toThrow(/replaced/);
    await held.release();
    expect(fs.statSync(lockDir).ino).toBe(theirIno);
    expect(errors).toEqual([]);
    fs.rmdirSync(lockDir);
  });

  it("ours: a write inside withStorageLock after the lock was lost is aborted with LockLostError", async () => {
    const counter = path.join(home, "counter");
    const err = await withStorageLock(
      home,
      async (g) => {
        fs.rmdirSync(lockDir);
        g.assertHeld();
        fs.writeFileSync(counter, "written");
      },
      FAST,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(LockLostError);
    expect(fs.existsSync(counter)).toBe(false);
  });

  it("ours: a heartbeat older than the trust window fails assertHeld (others may already consider it stale)", async () => {
    const held = await acquireStorageLock(home, FAST);
    const old = new Date(Date.now() - 1800);
    fs.utimesSync(lockDir, old, old);
    expect(() => held.guard.assertHeld()).toThrow(/heartbeat/);
    await held.release();
  });

  it("the heartbeat keeps a long hold fresh: no waiter gets in past the stale window", async () => {
    const held = await acquireStorageLock(home, FAST);
    const m0 = fs.statSync(lockDir).mtimeMs;
    let waiterIn = false;
    const waiter = withStorageLock(home, () => void (waiterIn = true), { ...FAST, timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 3200)); // > staleMs
    expect(waiterIn).toBe(false);
    held.guard.assertHeld();
    expect(fs.statSync(lockDir).mtimeMs).not.toBe(m0);
    await held.release();
    await waiter;
    expect(waiterIn).toBe(true);
  });
});
