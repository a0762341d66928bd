// The quota decision for the active account, from what codex already recorded — no request of our own.
// Pure: the supervisor feeds it the turn state (idle gate), the latest rate limits and whether the last
// turn ended with a usage-limit error; it answers what to do and, for a rotation, until when the
// account being left should cool down.
import { rateLimitsFromCodex, tightestWindow, WINDOWS, type RateLimits, type WindowName } from "./rate-limits.js";

/** "idle": after task_complete / turn_aborted with no newer task_started (or before the first turn). */
type TurnState = "idle" | "in-turn";

export interface Thresholds {
  /** Rotate when either window has this many percent or fewer left. */
  rotateAtRemainingPercent: number;
  /** Pick the successor ahead of time at this many percent or fewer left. */
  preselectAtRemainingPercent: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { rotateAtRemainingPercent: 5, preselectAtRemainingPercent: 10 };

type QuotaAction = "none" | "preselect" | "rotate" | "rotate-when-idle";

export interface DecideInput {
  turn: TurnState;
  /** Latest rate limits of the active account (null: codex has reported none yet). */
  rateLimits: RateLimits | null;
  /** The last turn ended with a usage-limit error (and no turn started since). */
  lastTurnUsageLimit: boolean;
  /** Reset time the usage-limit error named, epoch ms, when known. */
  usageLimitResetsAt?: number | null;
  thresholds?: Thresholds;
  /** Epoch ms. */
  now: number;
}

export interface Decision {
  action: QuotaAction;
  /** One human line, for the notice and the job log. */
  reason: string;
  trigger: "usage-limit" | "threshold" | null;
  /** The window that triggered, when a threshold did. */
  window: WindowName | null;
  /** Remaining percent of the tightest window (null when unknown). */
  remainingPercent: number | null;
  /** For rotate / rotate-when-idle: mark the account left as cooling down until then (epoch ms). */
  coolDownUntil: number | null;
}

/** Without any reset time we assume the 5 h window: a cooled-down account is retried after it. */
const FALLBACK_COOLDOWN_MINUTES = 300;

const LABEL: Record<WindowName, string> = { primary: "5h", secondary: "7d" };

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/**
 * When the account left becomes usable again: the latest reset among the windows that are at or below
 * the rotation threshold (all of them must reset), else the error's reset, else a window length.
 */
function coolDownUntil(input: DecideInput, rotateAt: number): number {
  const { rateLimits: rl, now } = input;
  let until: number | null = input.usageLimitResetsAt ?? null;
  let fallbackMinutes: number | null = null;
  for (const name of WINDOWS) {
    const w = rl?.[name];
    if (!w) continue;
    const stillCounts = w.resetsAt === null || w.resetsAt > now;
    const exhausted = stillCounts && 100 - w.usedPercent <= rotateAt;
    if (!exhausted) continue;
    if (w.resetsAt !== null) until = until === null ? w.resetsAt : Math.max(until, w.resetsAt);
    else if (w.windowMinutes !== null) fallbackMinutes = Math.max(fallbackMinutes ?? 0, w.windowMinutes);
  }
  if (until !== null && until > now) return until;
  return now + (fallbackMinutes ?? rl?.primary?.windowMinutes ?? FALLBACK_COOLDOWN_MINUTES) * 60_000;
}

export function decide(input: DecideInput): Decision {
  const th = input.thresholds ?? DEFAULT_THRESHOLDS;
  const rotateAt = th.rotateAtRemainingPercent;
  // A pre-selection point below the rotation point would never fire before the rotation.
  const preselectAt = Math.max(th.preselectAtRemainingPercent, rotateAt);
  const tight = tightestWindow(input.rateLimits, input.now);
  const remaining = tight?.remaining ?? null;
  const idle = input.turn === "idle";

  if (input.lastTurnUsageLimit) {
    return {
      action: idle ? "rotate" : "rotate-when-idle",
      reason: "the last turn hit the usage limit",
      trigger: "usage-limit",
      window: tight?.window ?? null,
      remainingPercent: remaining,
      coolDownUntil: coolDownUntil(input, rotateAt),
    };
  }
  if (!tight) {
    return { action: "none", reason: "no rate limits reported yet", trigger: null, window: null, remainingPercent: null, coolDownUntil: null };
  }
  const w = input.rateLimits![tight.window]!;
  const what = `${LABEL[tight.window]} window ${fmt(w.usedPercent)}% used (${fmt(tight.remaining)}% left)`;
  if (tight.remaining <= rotateAt) {
    return {
      action: idle ? "rotate" : "rotate-when-idle",
      reason: `${what}, at or below the ${fmt(rotateAt)}% rotation threshold${idle ? "" : "; waiting for the turn to end"}`,
      trigger: "threshold",
      window: tight.window,
      remainingPercent: tight.remaining,
      coolDownUntil: coolDownUntil(input, rotateAt),
    };
  }
  if (tight.remaining <= preselectAt) {
    return {
      action: "preselect",
      reason: `${what}, at or below the ${fmt(preselectAt)}% pre-selection threshold`,
      trigger: "threshold",
      window: tight.window,
      remainingPercent: tight.remaining,
      coolDownUntil: null,
    };
  }
  return { action: "none", reason: what, trigger: null, window: tight.window, remainingPercent: tight.remaining, coolDownUntil: null };
}

// ---------------------------------------------------------------------------------------------------
// Turn tracking: the idle gate and the usage-limit flag, folded from the rollout's events.

export type QuotaEvent =
  | { kind: "task_started" }
  | { kind: "task_complete"; error?: string | null }
  | { kind: "turn_aborted" }
  /** rate_limits as codex wrote them (snake_case) or already converted; null/absent windows keep the last known. */
  | { kind: "token_count"; rateLimits: unknown }
  /** An error event in the turn that says the usage limit was reached. */
  | { kind: "usage_limit"; resetsAt?: number | null };

export interface QuotaState {
  turn: TurnState;
  rateLimits: RateLimits | null;
  lastTurnUsageLimit: boolean;
  usageLimitResetsAt: number | null;
}

/** Before the first prompt the TUI is waiting for input: idle. */
export function initialQuotaState(): QuotaState {
  return { turn: "idle", rateLimits: null, lastTurnUsageLimit: false, usageLimitResetsAt: null };
}

/** Codex names the hard limit `usage_limit_reached` / `usage_limit_exceeded` depending on where it reports it. */
export function isUsageLimitError(error: unknown): boolean {
  return typeof error === "string" && /usage_limit/i.test(error);
}

export function applyQuotaEvent(s: QuotaState, e: QuotaEvent): QuotaState {
  switch (e.kind) {
    case "task_started":
      // A new turn: the previous turn's error no longer describes the account's state.
      return { ...s, turn: "in-turn", lastTurnUsageLimit: false, usageLimitResetsAt: null };
    case "task_complete":
      return isUsageLimitError(e.error) ? { ...s, turn: "idle", lastTurnUsageLimit: true } : { ...s, turn: "idle" };
    case "turn_aborted":
      return { ...s, turn: "idle" };
    case "token_count": {
      const rl = rateLimitsFromCodex(e.rateLimits);
      return rl ? { ...s, rateLimits: rl } : s;
    }
    case "usage_limit":
      return { ...s, lastTurnUsageLimit: true, usageLimitResetsAt: e.resetsAt ?? s.usageLimitResetsAt };
  }
}

/** `decide` for a folded state. */
export function decideFromState(s: QuotaState, now: number, thresholds?: Thresholds): Decision {
  return decide({
    turn: s.turn,
    rateLimits: s.rateLimits,
    lastTurnUsageLimit: s.lastTurnUsageLimit,
    usageLimitResetsAt: s.usageLimitResetsAt,
    now,
    ...(thresholds ? { thresholds } : {}),
  });
}
