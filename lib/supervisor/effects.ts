// What the supervisor does, as data: step.ts returns these, core.ts performs them in order. Effects
// that take time (spawn, escalation, store reads and writes) answer with an event (events.ts).
import type { RateLimits } from "../quota/rate-limits.js";
import type { ExitAs, ChildExit } from "./exit-policy.js";
import type { TimerId } from "./events.js";
import type { Binding } from "./state.js";

/** One stage of a stop: send `signal`, then give the tree `graceMs` to be gone. */
export interface StopStep {
  signal: "SIGINT" | "SIGTERM" | "SIGKILL";
  graceMs: number;
}

export interface JobPatch {
  status?: "starting" | "running" | "restarting" | "exited" | "stopped" | "failed";
  childPid?: number | null;
  sessionId?: string | null;
  rolloutPath?: string | null;
  account?: string | null;
  restarts?: number;
  exitCode?: number | null;
  signal?: string | null;
  reason?: string | null;
}

export interface SuperviseResult {
  status: "exited" | "stopped" | "failed";
  /** The last child's exit (null only if no child ran). */
  exit: ChildExit | null;
  /** How our own process should end (entry.ts / run mirror it). */
  exitAs: ExitAs;
  sessionId: string | null;
  restarts: number;
  reason: string;
}

export type Effect =
  | { kind: "load-accounts"; req: number }
  | { kind: "spawn"; seq: number; argv: string[] }
  /** `recheck`: the session is bound; only an exact answer (the rollout codex holds open) counts. */
  | { kind: "bind"; seq: number; recheck: boolean }
  /** Follow the rollout from the first line written at or after `since` (epoch ms). */
  | { kind: "follow"; seq: number; binding: Binding; since: number }
  | { kind: "stop-tree"; seq: number; steps: StopStep[] }
  /**
   * After child `seq` ended, in this order: restore the terminal, end what still carries the job's
   * marker (`leftoverSteps`; null when our own escalation just confirmed nothing is left), read the
   * rollout's last lines and stop following it, bind if `bind`.
   */
  | { kind: "settle"; seq: number; bind: boolean; leftoverSteps: StopStep[] | null }
  /** Store what codex refreshed in auth.json under its owner (answers `synced`). */
  | { kind: "sync-back"; seq: number }
  | { kind: "switch"; to: string; from: string | null; coolDownUntil: number | null }
  | { kind: "record-usage"; account: string; limits: RateLimits; at: number }
  | { kind: "record"; patch: JobPatch }
  | { kind: "log"; type: string; data: Record<string, unknown> }
  /** `screen`: print it (false while codex owns the screen); `alert`: also a desktop notification. */
  | { kind: "notice"; line: string; screen: boolean; alert: boolean }
  /** A line rewritten in place (the countdown); `done` ends it. */
  | { kind: "status"; line: string; done: boolean }
  | { kind: "timer"; id: TimerId; ms: number }
  | { kind: "cancel-timer"; id: TimerId }
  | { kind: "finish"; result: SuperviseResult };
