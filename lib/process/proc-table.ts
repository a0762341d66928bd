// The process table read with the job markers every process of a supervised job carries
// (docs/architecture.md §3): CODEX_SUPERVISOR_JOB=<job id> and CODEX_SUPERVISOR_HOME=<its home>.
import { hostPlatform } from "./host.js";
import { JOB_HOME_ENV, JOB_MARKER_ENV } from "./markers.js";
import type { ProcessPlatform, ProcWithEnv } from "./platform.js";

export { JOB_HOME_ENV, JOB_MARKER_ENV } from "./markers.js";
export type { ProcInfo, ProcWithEnv } from "./platform.js";

const MARKER_KEYS = [JOB_MARKER_ENV, JOB_HOME_ENV];

/** Every process with the markers it was started with, in one read of the table. */
export function listMarked(platform: ProcessPlatform = hostPlatform()): ProcWithEnv[] {
  return platform.listWithEnv(MARKER_KEYS);
}

/** A row's value of a marker variable; null when unset, empty or unreadable. */
export function markerOf(p: ProcWithEnv, key: string = JOB_MARKER_ENV): string | null {
  return p.env?.get(key) || null;
}

/** One process's markers now; null when it does not exist or its environment cannot be read. */
export function readMarkers(pid: number, platform: ProcessPlatform = hostPlatform()): ReadonlyMap<string, string> | null {
  return platform.envOf(pid, MARKER_KEYS);
}
