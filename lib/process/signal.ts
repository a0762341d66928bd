// The only way this project sends a signal: to an identity, re-verified immediately before kill(2),
// so a pid that was reused by an unrelated process is never hit.
import { hostPlatform } from "./host.js";
import { isExitedState, sameIdentity, type ProcessIdentity, type ProcessPlatform } from "./platform.js";

type SignalResult =
  | { sent: true; state: string }
  | { sent: false; reason: "gone" | "reused" | "exited" | "error"; detail?: string };

/**
 * Send `signal` to the process named by `identity` if it is still that process. Not sent when the pid
 * is gone, now belongs to another process ("reused": different start time, boot or, on macOS,
 * executable), or is a zombie ("exited": nothing left to signal; its parent must reap it). ESRCH
 * between the check and kill → gone.
 */
export function signalVerified(identity: ProcessIdentity, signal: NodeJS.Signals, platform: ProcessPlatform = hostPlatform()): SignalResult {
  if (!Number.isInteger(identity.pid) || identity.pid <= 1) return { sent: false, reason: "error", detail: `refusing pid ${identity.pid}` };
  const now = platform.probe([identity.pid]).get(identity.pid);
  if (!now) return { sent: false, reason: "gone" };
  if (!sameIdentity(now.identity, identity)) {
    const was = `${identity.startTicks} (${identity.bootId}${identity.comm !== undefined ? `, ${identity.comm}` : ""})`;
    const is = `${now.identity.startTicks} (${now.identity.bootId}${now.identity.comm !== undefined ? `, ${now.identity.comm}` : ""})`;
    return { sent: false, reason: "reused", detail: `start ${is} ≠ expected ${was}` };
  }
  if (isExitedState(now.state)) return { sent: false, reason: "exited" };
  try {
    process.kill(identity.pid, signal);
    return { sent: true, state: now.state };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return { sent: false, reason: "gone" };
    return { sent: false, reason: "error", detail: code ?? String(err) };
  }
}
