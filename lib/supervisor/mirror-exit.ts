// Ending the way the child ended (SPEC §2/§3: "a death by signal is re-raised as the same signal"),
// shared by the shim's supervised session (entry.ts) and a foreground `codex-supervisor run` job.
import { shellStatus, type ChildExit } from "./exit-policy.js";

/**
 * The status to exit with; a death by signal is first re-raised on ourselves with the default action
 * restored (our listeners for it removed), so a shell or parent sees the same signal death. SIGSTOP /
 * SIGTSTP are never re-raised (they would stop us instead of ending us). Where the signal cannot end
 * us (it was ignored by inheritance, or the kill failed), the shell-style 128 + n is returned.
 */
export function mirrorExit(exit: ChildExit | null): number {
  if (!exit) return 1;
  if (exit.signal && exit.signal !== "SIGSTOP" && exit.signal !== "SIGTSTP") {
    process.removeAllListeners(exit.signal);
    try {
      process.kill(process.pid, exit.signal);
    } catch {
      /* fall through to the numeric status */
    }
  }
  return shellStatus(exit);
}
