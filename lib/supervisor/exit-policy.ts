// What a child's exit that we did not cause means, and how the supervisor's own process ends. Pure
// and table-tested (test/supervisor/exit-policy.test.ts).
import os from "node:os";
import type { ChildExit, ChildFacts } from "./state.js";

export type { ChildExit, SupervisedMode } from "./state.js";

/**
 * The verdict on an exit no request of ours caused:
 * - `user-quit`: the user ended codex (quit, Ctrl+C) or a job finished — we end with its status;
 * - `terminal-gone`: it died of SIGHUP — the terminal closed; relaunching into it is pointless;
 * - `start-failure`: it failed before doing any work (e.g. `resume` of an unknown id): restarting
 *   would only repeat its error, so we end with its status and its message is shown once;
 * - `limit`: its turn hit the usage limit and it exited (an exec job): a rotation, not a crash;
 * - `login-lost`: its turn failed because codex could not use its login any more: resume on the
 *   login auth.json holds now;
 * - `crash`: anything else — resumed by id, subject to the crash policy.
 */
type ExitVerdict =
  | { kind: "user-quit" }
  | { kind: "terminal-gone" }
  | { kind: "start-failure"; why: string }
  | { kind: "limit" }
  | { kind: "login-lost" }
  | { kind: "crash"; why: string };

/** 130 = 128 + SIGINT: what codex (and shells) report for an interrupt. */
const INTERRUPTED = 128 + 2;

interface EndInput {
  exit: ChildExit;
  /** A session (rollout) is bound. */
  bound: boolean;
  /** How long the child ran (ms). */
  uptimeMs: number;
  facts: ChildFacts;
  /** An exit within this long after spawn, with no session and no turn, is a start failure. */
  startFailureWindowMs: number;
}

export function classifyEnd(i: EndInput): ExitVerdict {
  const { exit, facts } = i;
  if (exit.signal === "SIGHUP") return { kind: "terminal-gone" };
  // Ctrl+C reaches codex (same foreground group) as a key in raw mode or as SIGINT in cooked mode;
  // either way the user asked it to stop. A TUI quit and a finished `exec` both exit 0.
  if (exit.signal === "SIGINT" || exit.code === INTERRUPTED || exit.code === 0) return { kind: "user-quit" };
  if (facts.quota.lastTurnUsageLimit) return { kind: "limit" };
  if (facts.loginLost) return { kind: "login-lost" };
  // A death by signal (OOM, kill -9) is never a start failure: codex did not reject its input.
  if (exit.signal === null && !i.bound && facts.turnsStarted === 0 && i.uptimeMs < i.startFailureWindowMs) {
    return { kind: "start-failure", why: `${describeExit(exit)} after ${(i.uptimeMs / 1000).toFixed(1)} s, before any session started` };
  }
  return { kind: "crash", why: describeExit(exit) };
}

/** "exited with status 1" / "killed by SIGKILL". */
export function describeExit(exit: ChildExit): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exited with status ${exit.code ?? "unknown"}`;
}

/** The shell-style status of an exit: the code, or 128 + signal number. */
export function shellStatus(exit: ChildExit): number {
  if (exit.signal) {
    const n = os.constants.signals[exit.signal];
    return typeof n === "number" ? 128 + n : 1;
  }
  return exit.code ?? 1;
}

/**
 * How the supervisor's process ends: like the last child (its code, or its signal re-raised), or as
 * decided for a stop. A session ended by `codex-supervisor stop` exits 143 ("terminated") as a plain
 * status, never by a re-raised signal: a shell drops the rest of a command line (`codex; echo done`)
 * when its job dies of SIGINT.
 */
export type ExitAs = { code: number; signal?: never } | { signal: NodeJS.Signals; code?: never };

/** The documented status of a session or job ended by `codex-supervisor stop`. */
export const STOPPED_EXIT_CODE = 143;

export function exitAsChild(exit: ChildExit | null): ExitAs {
  if (!exit) return { code: 1 };
  return exit.signal ? { signal: exit.signal } : { code: exit.code ?? 1 };
}
