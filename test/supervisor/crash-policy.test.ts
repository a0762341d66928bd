import { describe, expect, it } from "vitest";
import { backoffDelay, decideCrashRestart, type CrashPolicyConfig } from "../../lib/supervisor/crash-policy.js";
import { countdownLine, crashCapNotice, stoppedNotice } from "../../lib/supervisor/notices.js";

const cfg: CrashPolicyConfig = { crashRestartMax: 5, crashRestartWindowMs: 600_000, crashBackoffMs: 500, crashBackoffMaxMs: 30_000 };
const MIN = 60_000;

describe("decideCrashRestart", () => {
  it.each([
    // previous restart times (minutes before now), expected action, delay, attempt
    { prev: [], action: "restart", delayMs: 500, attempt: 1 },
    { prev: [1], action: "restart", delayMs: 1000, attempt: 2 },
    { prev: [1, 2], action: "restart", delayMs: 2000, attempt: 3 },
    { prev: [1, 2, 3, 4], action: "restart", delayMs: 8000, attempt: 5 },
    { prev: [1, 2, 3, 4, 5], action: "give-up" },
    // restarts older than the window no longer count
    { prev: [11, 12, 13, 14, 15], action: "restart", delayMs: 500, attempt: 1 },
    { prev: [9, 11, 12, 13, 14], action: "restart", delayMs: 1000, attempt: 2 },
    { prev: [1, 2, 3, 4, 10], action: "restart", delayMs: 8000, attempt: 5 }, // exactly 10 min ago: out
    { prev: [1, 2, 3, 4, 9.99], action: "give-up" },
  ])("previous $prev min ago → $action", ({ prev, action, delayMs, attempt }) => {
    const now = 100 * MIN;
    const d = decideCrashRestart(prev.map((m) => now - m * MIN), now, cfg);
    expect(d.action).toBe(action);
    if (d.action === "restart") {
      expect(d.restart).toBe(true);
      expect(d.delayMs).toBe(delayMs);
      expect(d.attempt).toBe(attempt);
      expect(d.max).toBe(5);
    } else {
      expect(d).toEqual({ action: "give-up", restart: false, max: 5, windowMs: 600_000 });
    }
  });

  it("caps the doubling delay", () => {
    expect(backoffDelay(1, cfg)).toBe(500);
    expect(backoffDelay(7, cfg)).toBe(30_000); // 500·64 = 32000 > cap
    expect(backoffDelay(1000, cfg)).toBe(30_000); // no overflow to Infinity/NaN
    expect(backoffDelay(3, { crashBackoffMs: 0, crashBackoffMaxMs: 0 })).toBe(0);
  });

  it("never restarts when crashRestartMax is 0", () => {
    const d = decideCrashRestart([], 0, { ...cfg, crashRestartMax: 0 });
    expect(d.action).toBe("give-up");
  });
});

// The give-up line lives in notices.ts only (crash-policy's own mode-aware text was never shown: the
// real ports built the tracker without a context). The manual command depends on the mode.
describe("manual resume command in the notices", () => {
  it("names `codex exec resume <id>` for exec jobs and `codex resume <id>` for sessions", () => {
    expect(crashCapNotice("exited with status 1", 5, 600_000, "s1", "exec")).toMatch(/Resume it yourself with: codex exec resume s1$/);
    expect(crashCapNotice("exited with status 1", 5, 600_000, "s1", "tui")).toMatch(/Resume it yourself with: codex resume s1$/);
    expect(crashCapNotice("exited with status 1", 5, 600_000, null, "exec")).toMatch(/No session was recorded yet/);
    expect(stoppedNotice("s1", "exec")).toBe("codex-supervisor: stopped; resume with: codex exec resume s1");
    expect(stoppedNotice("s1", "tui")).toBe("codex-supervisor: stopped; resume with: codex resume s1");
    expect(countdownLine(4000, "s1", "exec")).toMatch(/later: codex exec resume s1\)$/);
  });
});
