// What of a rollout event matters to the quota decision (quota/decide.ts): turn boundaries, the
// account's main rate limits, usage-limit errors. Pure; shared by the supervisor and the quota bench.
import type { QuotaEvent } from "./decide.js";
import type { RateLimitWindow as RolloutRateWindow, RolloutEvent } from "../session/rollout-events.js";

/** Rollout events → the quota fold (quota/decide.ts). */
export function toQuotaEvent(e: RolloutEvent): QuotaEvent | null {
  switch (e.type) {
    case "task_started":
      return { kind: "task_started" };
    case "task_complete":
      return { kind: "task_complete", error: e.error?.usageLimit ? "usage_limit_exceeded" : (e.error?.codexErrorInfo ?? null) };
    case "turn_aborted":
      return { kind: "turn_aborted" };
    case "token_count":
      // Only the account's main limit ("codex"); per-model limits do not say when to rotate.
      if (!e.rateLimits || (e.rateLimits.limitId !== null && e.rateLimits.limitId !== "codex")) return null;
      return { kind: "token_count", rateLimits: { primary: snake(e.rateLimits.primary), secondary: snake(e.rateLimits.secondary) } };
    case "error":
      return e.usageLimit ? { kind: "usage_limit", resetsAt: null } : null;
    default:
      return null;
  }
}

/** rollout-events keeps codex's epoch seconds under camelCase names; quota/rate-limits reads codex's own shape. */
function snake(w: RolloutRateWindow | null) {
  return w ? { used_percent: w.usedPercent, window_minutes: w.windowMinutes, resets_at: w.resetsAt } : null;
}

