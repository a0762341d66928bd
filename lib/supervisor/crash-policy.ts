// Crash recovery policy (pure): after an unexpected child death, restart with a doubling delay, at
// most `crashRestartMax` times within a sliding `crashRestartWindowMs`; past the cap, give up with the
// manual resume command. What counts as a crash (vs the user quitting) is exit-policy.ts's job.
import type { Config } from "../config/schema.js";

export type CrashPolicyConfig = Pick<Config, "crashRestartMax" | "crashRestartWindowMs" | "crashBackoffMs" | "crashBackoffMaxMs">;

/**
 * `restart`/`attempt`/`max`/`windowMs` match core.ts's CrashDecision port; `action` is the readable tag.
 * attempt = 1 for the first restart in the window.
 */
export type CrashDecision =
  | { action: "restart"; restart: true; delayMs: number; attempt: number; max: number; windowMs: number }
  | { action: "give-up"; restart: false; max: number; windowMs: number; message: string };

export interface GiveUpContext {
  /** The session to resume by hand; null when codex died before recording one. */
  sessionId?: string | null;
  /** `tui` → `codex resume <id>`; `exec` → `codex exec resume <id>`. */
  mode?: "tui" | "exec";
}

/** "10 minutes", "90 seconds", "1.5 hours". */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  const fmt = (n: number, unit: string) => `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}${n === 1 ? "" : "s"}`;
  if (s < 120) return fmt(s, "second");
  if (s < 7200) return fmt(s / 60, "minute");
  return fmt(s / 3600, "hour");
}

/** The backoff delay before restart number `attempt` (1-based): base · 2^(attempt-1), capped. */
export function backoffDelay(attempt: number, cfg: Pick<CrashPolicyConfig, "crashBackoffMs" | "crashBackoffMaxMs">): number {
  const exp = Math.min(attempt - 1, 40); // 2^40 · base is past any cap; avoids Infinity
  return Math.min(cfg.crashBackoffMs * 2 ** exp, cfg.crashBackoffMaxMs);
}

/**
 * Decide about a crash at `now`, given the times of the restarts already made (`previous`). Only
 * restarts within the window count; the oldest fall out as time passes.
 */
export function decideCrashRestart(previous: readonly number[], now: number, cfg: CrashPolicyConfig, ctx: GiveUpContext = {}): CrashDecision {
  const recent = previous.filter((t) => now - t < cfg.crashRestartWindowMs && t <= now).length;
  const base = { max: cfg.crashRestartMax, windowMs: cfg.crashRestartWindowMs };
  if (recent >= cfg.crashRestartMax) {
    const resume = ctx.sessionId
      ? `resume it with: codex ${ctx.mode === "exec" ? "exec resume" : "resume"} ${ctx.sessionId}`
      : "no session was recorded yet, so start codex again";
    const times = cfg.crashRestartMax === 0 ? "automatic restarts are off (crashRestartMax = 0)" : `it already restarted ${recent} time${recent === 1 ? "" : "s"} within ${formatDuration(cfg.crashRestartWindowMs)} (cap ${cfg.crashRestartMax})`;
    return { action: "give-up", restart: false, ...base, message: `codex keeps crashing; ${times}, so it is not restarted again — ${resume}` };
  }
  const attempt = recent + 1;
  return { action: "restart", restart: true, delayMs: backoffDelay(attempt, cfg), attempt, ...base };
}

/** Stateful wrapper for the supervisor loop: remembers its restarts; `onCrash` fits core.ts's port. */
export class CrashTracker {
  private readonly restartsAt: number[] = [];
  constructor(
    private readonly cfg: CrashPolicyConfig,
    private readonly ctx: () => GiveUpContext = () => ({}),
  ) {}

  onCrash(now: number): CrashDecision {
    const d = decideCrashRestart(this.restartsAt, now, this.cfg, this.ctx());
    if (d.restart) this.restartsAt.push(now);
    // Forget restarts that can no longer count, so a long-lived session does not grow this list.
    while (this.restartsAt.length > 0 && now - this.restartsAt[0]! >= this.cfg.crashRestartWindowMs) this.restartsAt.shift();
    return d;
  }

  get history(): readonly number[] {
    return this.restartsAt;
  }
}
