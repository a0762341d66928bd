// Ending the way the supervisor decided (exit-policy.ts ExitAs): like the last child — its code, or
// its death by signal re-raised on ourselves — or with a plain status. Shared by the shim's
// supervised session (entry.ts) and a foreground `codex-supervisor run` job.
import os from "node:os";
import type { ExitAs } from "./exit-policy.js";

/**
 * The status to exit with; a death by signal is first re-raised on ourselves with the default action
 * restored (our listeners for it removed), so a shell or parent sees the same signal death. SIGSTOP /
 * SIGTSTP are never re-raised (they would stop us instead of ending us). Where the signal cannot end
 * us (it was ignored by inheritance, or the kill failed), the shell-style 128 + n is returned.
 */
export function mirrorExit(end: ExitAs): number {
  if (end.signal === undefined) return end.code;
  if (end.signal !== "SIGSTOP" && end.signal !== "SIGTSTP") {
    process.removeAllListeners(end.signal);
    try {
      process.kill(process.pid, end.signal);
    } catch {
      /* fall through to the numeric status */
    }
  }
  const n = os.constants.signals[end.signal];
  return typeof n === "number" ? 128 + n : 1;
}
