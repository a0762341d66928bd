// What of a rollout event matters to the supervisor's decisions: turn boundaries, the account's main
// rate limits, usage-limit errors, and turns that failed because codex could no longer use its login.
// Pure; shared by the supervisor and the quota bench.
import type { QuotaEvent } from "./decide.js";
import type { RateLimitWindow as RolloutRateWindow, RolloutEvent } from "../session/rollout-events.js";

/** A quota event, or a turn that failed because codex refused the login (see isLoginLostMessage). */
export type RolloutFact = QuotaEvent | { kind: "login_lost" };

/**
 * Codex's texts when its in-memory login can no longer be used: auth.json now holds another account
 * ("…since logged out or signed in to another account…"), or its refresh token was consumed by
 * another process. Resuming on the login auth.json holds now is the way on in both cases.
 */
export function isLoginLostMessage(message: string | null | undefined): boolean {
  if (!message) return false;
  return /signed in to another account|refresh token was already used|access token could not be refreshed/i.test(message);
}

/** Rollout events → the facts the supervisor folds (a task_complete may yield two). */
export function toFacts(e: RolloutEvent): RolloutFact[] {
  switch (e.type) {
    case "task_started":
      return [{ kind: "task_started" }];
    case "task_complete": {
      const done: QuotaEvent = { kind: "task_complete", error: e.error?.usageLimit ? "usage_limit_exceeded" : (e.error?.codexErrorInfo ?? null) };
      return isLoginLostMessage(e.error?.message) ? [{ kind: "login_lost" }, done] : [done];
    }
    case "turn_aborted":
      return [{ kind: "turn_aborted" }];
    case "token_count":
      // Only the account's main limit ("codex"); per-model limits do not say when to rotate.
      if (!e.rateLimits || (e.rateLimits.limitId !== null && e.rateLimits.limitId !== "codex")) return [];
      return [{ kind: "token_count", rateLimits: { primary: snake(e.rateLimits.primary), secondary: snake(e.rateLimits.secondary) } }];
    case "error":
      if (e.usageLimit) return [{ kind: "usage_limit", resetsAt: null }];
      return isLoginLostMessage(e.message) ? [{ kind: "login_lost" }] : [];
    default:
      return [];
  }
}

/** The quota part only (the quota bench and older callers). */
export function toQuotaEvent(e: RolloutEvent): QuotaEvent | null {
  return (toFacts(e).find((f) => f.kind !== "login_lost") as QuotaEvent | undefined) ?? null;
}

/** rollout-events keeps codex's epoch seconds under camelCase names; quota/rate-limits reads codex's own shape. */
function snake(w: RolloutRateWindow | null) {
  return w ? { used_percent: w.usedPercent, window_minutes: w.windowMinutes, resets_at: w.resetsAt } : null;
}
