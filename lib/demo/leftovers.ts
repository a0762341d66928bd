// Find and end processes whose environment holds KEY=VALUE (Linux /proc; elsewhere nothing is found).
// The demo uses it with its own unique CODEX_HOME path, so it can only ever match processes it started.
// Each match is named by its identity (pid + start time + boot) read at scan time, and every signal
// goes through lib/process (identity re-verified right before kill), never to a bare pid: a pid that
// exits and is reused by an unrelated process between the scan and the signal is left alone.
import fs from "node:fs";
import { escalateTree, type EscalationReport, type EscalationWaits } from "../process/escalate.js";
import { readIdentity, sameIdentity, type ProcessIdentity } from "../process/identity.js";

export function findProcessesWithEnv(key: string, value: string): ProcessIdentity[] {
  let names: string[];
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const needle = `${key}=${value}`;
  const out: ProcessIdentity[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const pid = Number(n);
    if (pid === process.pid) continue;
    // Identity before and after the environ read: the same process both times, or it is skipped.
    const before = readIdentity(pid);
    if (!before) continue;
    let env: string;
    try {
      env = fs.readFileSync(`/proc/${n}/environ`, "utf8");
    } catch {
      continue; // gone, or not ours
    }
    if (!env.split("\0").includes(needle)) continue;
    const after = readIdentity(pid);
    if (after && sameIdentity(before, after)) out.push(before);
  }
  return out;
}

/** Leftovers get a short escalation: the demo is over and its home is about to be deleted. */
export const LEFTOVER_WAITS: EscalationWaits = { sigintWaitMs: 500, sigtermWaitMs: 1000, sigkillWaitMs: 1000 };

/** End the processes named by `identities` and their descendants (SIGINT → SIGTERM → SIGKILL, verified). */
export async function endLeftovers(identities: readonly ProcessIdentity[], waits: Partial<EscalationWaits> = LEFTOVER_WAITS): Promise<EscalationReport> {
  if (identities.length === 0) return { signalled: [], skipped: [], left: [], leftDetails: [] };
  return escalateTree({ identities, waits });
}
