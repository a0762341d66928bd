// Crash recovery policy (pure): after an unexpected child death, restart with a doubling delay, at
// most `crashRestartMax` times within a sliding `crashRestartWindowMs`; past the cap, give up with the
// manual resume command. What counts as a crash (vs the user quitting) is exit-policy.ts's job; the
// give-up line (with the mode-aware manual command) is notices.ts crashCapNotice — the one place for it.
import type { Config } from "../config/schema.js";

export type CrashPolicyConfig = Pick<Config, "crashRestartMax" | "crashRestartWindowMs" | "crashBackoffMs" | "crashBackoffMaxMs">;

/**
 * `action` is the readable tag; `restart` the same as a boolean.
 * attempt = 1 for the first restart in the window.
 */
type CrashDecision =
  | { action: "restart"; restart: true; delayMs: number; attempt: number; max: number; windowMs: number }
  | { action: "give-up"; restart: false; max: number; windowMs: number };

/** The backoff delay before restart number `attempt` (1-based): base · 2^(attempt-1), capped. */
export function backoffDelay(attempt: number, cfg: Pick<CrashPolicyConfig, "crashBackoffMs" | "crashBackoffMaxMs">): number {
  const exp = Math.min(attempt - 1, 40); // 2^40 · base is past any cap; avoids Infinity
  return Math.min(cfg.crashBackoffMs * 2 ** exp, cfg.crashBackoffMaxMs);
}

/**
 * Decide about a crash at `now`, given the times of the restarts already made (`previous`). Only
 * restarts within the window count; the oldest fall out as time passes.
 */
export function decideCrashRestart(previous: readonly number[], now: number, cfg: CrashPolicyConfig): CrashDecision {
  const recent = previous.filter((t) => now - t < cfg.crashRestartWindowMs && t <= now).length;
  const base = { max: cfg.crashRestartMax, windowMs: cfg.crashRestartWindowMs };
  if (recent >= cfg.crashRestartMax) return { action: "give-up", restart: false, ...base };
  const attempt = recent + 1;
  return { action: "restart", restart: true, delayMs: backoffDelay(attempt, cfg), attempt, ...base };
}
