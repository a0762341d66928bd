// What a child's exit means to the supervisor, and how we mirror it. Pure: the loop in core.ts asks
// these questions; tests table-check the answers.
import os from "node:os";

/** How a child process ended, as Node reports it (exactly one of the two is non-null). */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type SupervisedMode = "tui" | "exec";

/**
 * The verdict on an exit we did NOT cause (no escalation of ours was running):
 * - `user-quit`: the user ended codex (quit, Ctrl+C) or a job finished — we end with its status;
 * - `terminal-gone`: the child died of SIGHUP — the terminal closed; relaunching into it is pointless;
 * - `crash`: anything else — resumed by id, subject to the crash policy.
 */
export type ExitVerdict =
  | { kind: "user-quit" }
  | { kind: "terminal-gone" }
  | { kind: "crash"; why: string };

/** 130 = 128 + SIGINT: what codex (and shells) report for an interrupt. */
const INTERRUPTED = 128 + 2;

export function classifyUnrequestedExit(exit: ChildExit, _mode: SupervisedMode): ExitVerdict {
  if (exit.signal === "SIGHUP") return { kind: "terminal-gone" };
  // Ctrl+C reaches codex (same foreground group) as a key in raw mode or as SIGINT in cooked mode;
  // either way the user asked it to stop. A TUI quit and a finished `exec` both exit 0.
  if (exit.signal === "SIGINT" || exit.code === INTERRUPTED || exit.code === 0) return { kind: "user-quit" };
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
