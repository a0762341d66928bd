// A storage lock whose mtime is ahead of the clock (a clock stepped back after its holder was
// SIGKILLed) is judged by what a waiter observes on its own monotonic clock — unchanged for the stale
// window = abandoned — and never trusted until the wall clock catches up. `doctor` says so, and
// every lock failure a user meets is one line naming the lock and what to do.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorReport } from "../../lib/cli/error-table.js";
import { checkLock } from "../../lib/doctor/checks.js";
import { StalenessJudge } from "../../lib/lock/staleness.js";
import { acquireStorageLock, LockLostError, LockTimeoutError, StorageLockError } from "../../lib/lock/storage-lock.js";
import { storageLockDir } from "../../lib/paths.js";
import { cleanEnv } from "../helpers/env.js";
import { liveCliPids, runCli } from "../helpers/cli.js";

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "lock-future-"));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
  expect([...liveCliPids]).toEqual([]);
});

const HOUR_S = 3600;
function plantLock(aheadS: number): string {
  const dir = storageLockDir(home);
  fs.mkdirSync(dir);
  const t = Date.now() / 1000 + aheadS;
  fs.utimesSync(dir, t, t);
  return dir;
}

describe("StalenessJudge (fake clocks)", () => {
  it("an mtime ahead of the clock is stale once unchanged for the window on the monotonic clock; any change restarts the watch", () => {
    let wall = 1_000_000;
    let mono = 0;
    const judge = new StalenessJudge({ wallMs: () => wall, monoMs: () => mono });
    const st = (mtimeMs: number, ino = 1n) => ({ dev: 1n, ino, birthtimeNs: 0n, mtimeNs: BigInt(mtimeMs) * 1_000_000n, mtimeMs: BigInt(mtimeMs) }) as unknown as fs.BigIntStats;
    const ahead = st(wall + HOUR_S * 1000);
    expect(judge.judge("/l", ahead, 10_000)).toMatchObject({ stale: false, unchangedMs: 0 });
    mono = 9_999;
    wall += 9_999;
    expect(judge.judge("/l", ahead, 10_000).stale).toBe(false);
    mono = 10_001;
    expect(judge.judge("/l", ahead, 10_000)).toMatchObject({ stale: true, unchangedMs: 10_001 });
    // A heartbeat (new mtime) or another directory (new inode) is a new observation.
    expect(judge.judge("/l", st(wall + HOUR_S * 1000 + 1), 10_000).stale).toBe(false);
    expect(judge.judge("/l", st(wall + HOUR_S * 1000 + 1, 2n), 10_000).stale).toBe(false);
    // The wall clock still judges a plainly old heartbeat at once.
    expect(new StalenessJudge({ wallMs: () => wall, monoMs: () => 0 }).judge("/m", st(wall - 10_001), 10_000).stale).toBe(true);
  });
});

describe("a lock directory an hour ahead of the clock", () => {
  it("is taken over after one stale window of watching it, well within the wait (it used to block for the hour)", async () => {
    const dir = plantLock(HOUR_S);
    let observedAhead = false;
    const held = await acquireStorageLock(home, {
      staleMs: 2000,
      updateMs: 1000,
      afterStaleObservedForTests: () => {
        observedAhead = fs.statSync(dir).mtimeMs > Date.now() + 60_000;
      },
    });
    try {
      expect(observedAhead, "judged stale while its mtime was still in the future").toBe(true);
      held.guard.assertHeld();
      expect(fs.statSync(dir).mtimeMs).toBeLessThan(Date.now() + 60_000); // ours now, with our heartbeat
    } finally {
      await held.release();
    }
  });

  it("doctor says it is ahead of the clock and what a waiter does, not 'heartbeat 0.0 s ago'", () => {
    plantLock(HOUR_S);
    const [f] = checkLock(home, 10_000);
    expect(f!.level).toBe("warn");
    expect(f!.message).toMatch(/^storage lock heartbeat is 3600 s ahead of the clock \(was the clock set back\?\); a waiter takes the lock over once the heartbeat has not changed for the stale window \(10 s\)/);
    expect(f!.message).not.toMatch(/heartbeat 0\.0 s ago/);
  });
});

describe("every lock failure is one line naming the lock and what to do", () => {
  it("the error texts, through the error table", () => {
    const lock = storageLockDir(home);
    const cases: [Error, number, RegExp][] = [
      [new LockTimeoutError(lock, 7012, " (heartbeat 0.4 s ago)"), 1, /^codex-supervisor: timed out after 7\.0 s waiting for the storage lock .*storage\.lock: another codex-supervisor process holds it \(heartbeat 0\.4 s ago\); try again in a moment — if no codex-supervisor is running, remove .*storage\.lock\n$/],
      [new LockLostError(lock, "compromised"), 1, /^codex-supervisor: the storage lock .*storage\.lock was lost \(compromised\); the write was aborted and nothing was changed — run the command again\n$/],
      [new StorageLockError(lock, Object.assign(new Error("EROFS: read-only file system, mkdir"), { code: "EROFS" })), 1, /^codex-supervisor: cannot take the storage lock .*storage\.lock: the file system is read-only \(EROFS\)\n$/],
    ];
    for (const [err, status, text] of cases) {
      const r = errorReport(err);
      expect(r.status).toBe(status);
      expect(r.text).toMatch(text);
    }
  });

  it("`accounts use` while another process holds the lock: exit 1, the lock named, no stack trace", async () => {
    const held = await acquireStorageLock(home, { staleMs: 2000, updateMs: 1000 });
    try {
      const env = cleanEnv({ HOME: home, CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: home, CODEX_AUTH_LOCK_STALE_MS: "2000", CODEX_AUTH_LOCK_UPDATE_MS: "1000" });
      const r = await runCli(["accounts", "use", "a0"], env);
      expect(r.code).toBe(1);
      const lock = storageLockDir(home);
      expect(r.stderr).toMatch(new RegExp(`^codex-supervisor: timed out after \\d+\\.\\d s waiting for the storage lock ${lock}: another codex-supervisor process holds it \\(heartbeat \\d+\\.\\d s ago\\); try again in a moment — if no codex-supervisor is running, remove ${lock}\\n$`));
      held.guard.assertHeld(); // the waiter never took it from its live holder
    } finally {
      await held.release();
    }
  });
});
