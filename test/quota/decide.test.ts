import { describe, expect, it } from "vitest";
import {
  applyQuotaEvent,
  decide,
  decideFromState,
  initialQuotaState,
  isUsageLimitError,
  type DecideInput,
  type QuotaEvent,
} from "../../lib/quota/decide.js";
import { rateLimitsFromCodex, rateLimitsFromUsage, usageFromRateLimits, type RateLimits } from "../../lib/quota/rate-limits.js";

const NOW = Date.parse("2025-06-01T12:00:00Z");
const H = 3_600_000;

function rl(primaryUsed: number | null, secondaryUsed: number | null = null, opts: { pReset?: number | null; sReset?: number | null } = {}): RateLimits {
  return {
    primary: primaryUsed === null ? null : { usedPercent: primaryUsed, windowMinutes: 300, resetsAt: opts.pReset === undefined ? NOW + 2 * H : opts.pReset },
    secondary: secondaryUsed === null ? null : { usedPercent: secondaryUsed, windowMinutes: 10080, resetsAt: opts.sReset === undefined ? NOW + 72 * H : opts.sReset },
  };
}

function input(p: Partial<DecideInput>): DecideInput {
  return { turn: "idle", rateLimits: null, lastTurnUsageLimit: false, now: NOW, ...p };
}

describe("decide: thresholds and idle gate (table)", () => {
  const cases: { name: string; in: Partial<DecideInput>; action: string; window?: string | null; cool?: number | null }[] = [
    { name: "nothing reported yet", in: {}, action: "none", window: null, cool: null },
    { name: "plenty left", in: { rateLimits: rl(50, 20) }, action: "none", window: "primary", cool: null },
    { name: "11% left: nothing yet", in: { rateLimits: rl(89) }, action: "none" },
    { name: "exactly 10% left: preselect", in: { rateLimits: rl(90) }, action: "preselect", window: "primary", cool: null },
    { name: "6% left: preselect", in: { rateLimits: rl(94) }, action: "preselect" },
    { name: "exactly 5% left, idle: rotate", in: { rateLimits: rl(95) }, action: "rotate", window: "primary", cool: NOW + 2 * H },
    { name: "4% left in a turn: rotate when idle", in: { turn: "in-turn", rateLimits: rl(96) }, action: "rotate-when-idle", window: "primary", cool: NOW + 2 * H },
    { name: "preselect also mid-turn", in: { turn: "in-turn", rateLimits: rl(92) }, action: "preselect" },
    { name: "7d window is the tight one", in: { rateLimits: rl(10, 97) }, action: "rotate", window: "secondary", cool: NOW + 72 * H },
    { name: "only 7d known", in: { rateLimits: rl(null, 91) }, action: "preselect", window: "secondary" },
    { name: "both exhausted: cool down until the later reset", in: { rateLimits: rl(99, 98) }, action: "rotate", window: "primary", cool: NOW + 72 * H },
    { name: "over 100% used counts as 0 left", in: { rateLimits: rl(130) }, action: "rotate" },
    { name: "reset passed: the window counts as fresh", in: { rateLimits: rl(99, null, { pReset: NOW - 1 }) }, action: "none" },
    { name: "reset exactly now counts as passed", in: { rateLimits: rl(99, null, { pReset: NOW }) }, action: "none" },
    { name: "no reset time: cool down one window length", in: { rateLimits: rl(97, null, { pReset: null }) }, action: "rotate", cool: NOW + 300 * 60_000 },
    { name: "usage-limit error, idle: rotate even with room left", in: { rateLimits: rl(40), lastTurnUsageLimit: true }, action: "rotate", cool: NOW + 300 * 60_000 },
    { name: "usage-limit error with its reset time", in: { lastTurnUsageLimit: true, usageLimitResetsAt: NOW + 3 * H }, action: "rotate", window: null, cool: NOW + 3 * H },
    { name: "usage-limit error, later window reset wins", in: { rateLimits: rl(100), lastTurnUsageLimit: true, usageLimitResetsAt: NOW + H }, action: "rotate", cool: NOW + 2 * H },
    { name: "usage-limit while a new turn runs: wait", in: { turn: "in-turn", lastTurnUsageLimit: true }, action: "rotate-when-idle" },
    {
      name: "custom thresholds: rotate at 20",
      in: { rateLimits: rl(81), thresholds: { rotateAtRemainingPercent: 20, preselectAtRemainingPercent: 30 } },
      action: "rotate",
    },
    {
      name: "custom thresholds: preselect at 30",
      in: { rateLimits: rl(71), thresholds: { rotateAtRemainingPercent: 20, preselectAtRemainingPercent: 30 } },
      action: "preselect",
    },
    {
      name: "preselect below rotate is lifted to rotate",
      in: { rateLimits: rl(85), thresholds: { rotateAtRemainingPercent: 20, preselectAtRemainingPercent: 5 } },
      action: "rotate",
    },
    {
      name: "threshold 0 rotates only at 100% used",
      in: { rateLimits: rl(99.5), thresholds: { rotateAtRemainingPercent: 0, preselectAtRemainingPercent: 0 } },
      action: "none",
    },
    {
      name: "threshold 0 at 100% used",
      in: { rateLimits: rl(100), thresholds: { rotateAtRemainingPercent: 0, preselectAtRemainingPercent: 0 } },
      action: "rotate",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decide(input(c.in));
      expect(d.action).toBe(c.action);
      if (c.window !== undefined) expect(d.window).toBe(c.window);
      if (c.cool !== undefined) expect(d.coolDownUntil).toBe(c.cool);
      expect(d.reason.length).toBeGreaterThan(0);
      if (d.action === "rotate" || d.action === "rotate-when-idle") expect(d.coolDownUntil).toBeGreaterThan(NOW);
      else expect(d.coolDownUntil).toBeNull();
    });
  }

  it("reason names the window, the usage and the threshold", () => {
    const d = decide(input({ rateLimits: rl(96) }));
    expect(d.reason).toContain("5h window 96% used (4% left)");
    expect(d.reason).toContain("5% rotation threshold");
    expect(decide(input({ turn: "in-turn", rateLimits: rl(96) })).reason).toContain("waiting for the turn to end");
  });
});

describe("turn tracking: the idle gate folded from rollout events", () => {
  const fold = (events: QuotaEvent[]) => events.reduce(applyQuotaEvent, initialQuotaState());
  const tc = (used: number): QuotaEvent => ({
    kind: "token_count",
    rateLimits: { primary: { used_percent: used, window_minutes: 300, resets_at: (NOW + 2 * H) / 1000 }, secondary: null },
  });

  it("starts idle with nothing known", () => {
    expect(initialQuotaState()).toEqual({ turn: "idle", rateLimits: null, lastTurnUsageLimit: false, usageLimitResetsAt: null });
  });

  const table: { name: string; events: QuotaEvent[]; turn: string; action: string }[] = [
    { name: "token_count inside a turn: wait", events: [{ kind: "task_started" }, tc(96)], turn: "in-turn", action: "rotate-when-idle" },
    { name: "after task_complete: rotate", events: [{ kind: "task_started" }, tc(96), { kind: "task_complete" }], turn: "idle", action: "rotate" },
    { name: "after turn_aborted: rotate", events: [{ kind: "task_started" }, tc(96), { kind: "turn_aborted" }], turn: "idle", action: "rotate" },
    {
      name: "a newer task_started closes the gate again",
      events: [{ kind: "task_started" }, tc(96), { kind: "task_complete" }, { kind: "task_started" }],
      turn: "in-turn",
      action: "rotate-when-idle",
    },
    {
      name: "usage-limit error on task_complete",
      events: [{ kind: "task_started" }, { kind: "task_complete", error: "usage_limit_exceeded" }],
      turn: "idle",
      action: "rotate",
    },
    {
      name: "usage-limit error event then turn end",
      events: [{ kind: "task_started" }, { kind: "usage_limit", resetsAt: NOW + H }, { kind: "task_complete" }],
      turn: "idle",
      action: "rotate",
    },
    {
      name: "the next turn clears the usage-limit flag",
      events: [{ kind: "task_started" }, { kind: "task_complete", error: "usage_limit_reached" }, { kind: "task_started" }, tc(20), { kind: "task_complete" }],
      turn: "idle",
      action: "none",
    },
    {
      name: "other errors are not a usage limit",
      events: [{ kind: "task_started" }, { kind: "task_complete", error: "server_overloaded" }],
      turn: "idle",
      action: "none",
    },
    {
      name: "a token_count without rate limits keeps the last known",
      events: [tc(96), { kind: "token_count", rateLimits: null }, { kind: "token_count", rateLimits: { primary: null, secondary: null } }],
      turn: "idle",
      action: "rotate",
    },
    { name: "the latest token_count wins", events: [tc(96), tc(30)], turn: "idle", action: "none" },
  ];
  for (const c of table) {
    it(c.name, () => {
      const s = fold(c.events);
      expect(s.turn).toBe(c.turn);
      expect(decideFromState(s, NOW).action).toBe(c.action);
    });
  }

  it("usage_limit event's reset time becomes the cool-down", () => {
    const s = fold([{ kind: "task_started" }, { kind: "usage_limit", resetsAt: NOW + 4 * H }, { kind: "task_complete" }]);
    expect(decideFromState(s, NOW).coolDownUntil).toBe(NOW + 4 * H);
  });

  it("isUsageLimitError", () => {
    expect(isUsageLimitError("usage_limit_exceeded")).toBe(true);
    expect(isUsageLimitError("usage_limit_reached")).toBe(true);
    expect(isUsageLimitError(null)).toBe(false);
    expect(isUsageLimitError(42)).toBe(false);
    expect(isUsageLimitError("context_window_exceeded")).toBe(false);
  });
});

describe("rate-limit conversions", () => {
  it("reads codex's snake_case rate_limits (resets_at in epoch seconds)", () => {
    const r = rateLimitsFromCodex({
      limit_id: "codex",
      primary: { used_percent: 91.5, window_minutes: 300, resets_at: 1_750_000_000 },
      secondary: { used_percent: 40, window_minutes: 10080, resets_at: null },
      plan_type: "plus",
    });
    expect(r).toEqual({
      primary: { usedPercent: 91.5, windowMinutes: 300, resetsAt: 1_750_000_000_000 },
      secondary: { usedPercent: 40, windowMinutes: 10080, resetsAt: null },
    });
  });
  it("accepts camelCase (lib/session's shape, resetsAt in epoch seconds) and epoch ms alike", () => {
    const sec = rateLimitsFromCodex({ limitId: "codex", primary: { usedPercent: 96, windowMinutes: 300, resetsAt: 1_750_000_000 }, secondary: null });
    const ms = rateLimitsFromCodex({ primary: { usedPercent: 96, windowMinutes: 300, resetsAt: 1_750_000_000_000 }, secondary: null });
    expect(sec).toEqual(ms);
    expect(sec?.primary?.resetsAt).toBe(1_750_000_000_000);
  });
  it("ignores per-model limits (limit_id other than codex)", () => {
    expect(rateLimitsFromCodex({ limit_id: "gpt-5-codex", primary: { used_percent: 99, window_minutes: 300, resets_at: 1 }, secondary: null })).toBeNull();
    expect(rateLimitsFromCodex({ limitId: "other", primary: { usedPercent: 99 }, secondary: null })).toBeNull();
    expect(rateLimitsFromCodex({ limit_id: null, primary: { used_percent: 99 }, secondary: null })).not.toBeNull();
  });
  it("rejects junk without throwing", () => {
    for (const junk of [null, undefined, 5, "x", [], {}, { primary: null, secondary: null }, { primary: { used_percent: "91" } }, { primary: { used_percent: NaN } }]) {
      expect(rateLimitsFromCodex(junk)).toBeNull();
    }
  });
  it("round-trips through the store's usage record", () => {
    const r = rl(91.5, 40);
    const u = usageFromRateLimits(r, NOW);
    expect(u).toEqual({
      observedAt: new Date(NOW).toISOString(),
      primaryUsedPercent: 91.5,
      primaryWindowMinutes: 300,
      primaryResetsAt: new Date(NOW + 2 * H).toISOString(),
      secondaryUsedPercent: 40,
      secondaryWindowMinutes: 10080,
      secondaryResetsAt: new Date(NOW + 72 * H).toISOString(),
    });
    expect(rateLimitsFromUsage(u)).toEqual(r);
  });
  it("a stored window without reset time expires one window length after it was seen", () => {
    const back = rateLimitsFromUsage({ observedAt: new Date(NOW).toISOString(), primaryUsedPercent: 99, primaryWindowMinutes: 300 });
    expect(back?.primary?.resetsAt).toBe(NOW + 300 * 60_000);
    expect(rateLimitsFromUsage({})).toBeNull();
    expect(rateLimitsFromUsage(undefined)).toBeNull();
  });
});
