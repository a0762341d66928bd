// Find and end processes whose environment holds KEY=VALUE, through the process-table port (Linux
// /proc, macOS ps). The demo uses it with its own unique CODEX_HOME path, so it can only ever match
// processes it started. Each match is named by its identity (pid + start time + boot) read in the same
// read of the table, and every signal goes through lib/process (identity re-verified right before
// kill), never to a bare pid: a pid that exits and is reused by an unrelated process between the scan
// and the signal is left alone.
import { escalateTree, type EscalationReport, type EscalationWaits } from "../process/escalate.js";
import { hostPlatform } from "../process/host.js";
import type { ProcessIdentity, ProcessPlatform } from "../process/platform.js";

export function findProcessesWithEnv(key: string, value: string, platform: ProcessPlatform = hostPlatform()): ProcessIdentity[] {
  return platform
    .listWithEnv([key])
    .filter((p) => p.pid !== process.pid && p.env?.get(key) === value)
    .map((p) => p.identity);
}

/** Leftovers get a short escalation: the demo is over and its home is about to be deleted. */
const LEFTOVER_WAITS: EscalationWaits = { sigintWaitMs: 500, sigtermWaitMs: 1000, sigkillWaitMs: 1000 };

/** End the processes named by `identities` and their descendants (SIGINT → SIGTERM → SIGKILL, verified). */
export async function endLeftovers(identities: readonly ProcessIdentity[], waits: Partial<EscalationWaits> = LEFTOVER_WAITS): Promise<EscalationReport> {
  if (identities.length === 0) return { signalled: [], skipped: [], left: [], leftDetails: [] };
  return escalateTree({ identities, waits });
}
