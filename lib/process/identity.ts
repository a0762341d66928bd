// Process identity: a pid alone can be reused by an unrelated process, so everything we might signal
// is named by an identity (pid + start time + boot, see platform.ts) and checked through these.
import { hostPlatform } from "./host.js";
import { isExitedState, sameIdentity, type ProcessIdentity, type ProcessPlatform } from "./platform.js";

export { isExitedState, sameIdentity, type ProcessIdentity } from "./platform.js";

/** The identity of `pid` now, or null when it does not exist. */
export function readIdentity(pid: number, platform: ProcessPlatform = hostPlatform()): ProcessIdentity | null {
  return platform.probe([pid]).get(pid)?.identity ?? null;
}

/**
 * The process named by `identity` still runs: same pid, same start, same boot, not a zombie. Read from
 * the process table, so permissions do not matter (no EPERM case).
 */
export function isAlive(identity: ProcessIdentity, platform: ProcessPlatform = hostPlatform()): boolean {
  return aliveOf([identity], platform).has(identity.pid);
}

/** The pids among `identities` whose process still runs (one read of the table for all of them). */
export function aliveOf(identities: readonly ProcessIdentity[], platform: ProcessPlatform): Set<number> {
  const now = platform.probe(identities.map((i) => i.pid));
  const out = new Set<number>();
  for (const id of identities) {
    const p = now.get(id.pid);
    if (p && sameIdentity(p.identity, id) && !isExitedState(p.state)) out.add(id.pid);
  }
  return out;
}
