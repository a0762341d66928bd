// Where our state lives. Pure functions of the environment, so tests pass their own env.
import os from "node:os";
import path from "node:path";

export type Env = Record<string, string | undefined>;

/** Codex's own home: $CODEX_HOME or ~/.codex. */
export function codexHome(env: Env = process.env): string {
  const h = env.CODEX_HOME;
  return h && h.length > 0 ? path.resolve(h) : path.join(env.HOME || os.homedir(), ".codex");
}

/** Our storage home: $CODEX_AUTH_SUPERVISOR_HOME or <codexHome>/supervisor (0700). */
export function supervisorHome(env: Env = process.env): string {
  const h = env.CODEX_AUTH_SUPERVISOR_HOME;
  return h && h.length > 0 ? path.resolve(h) : path.join(codexHome(env), "supervisor");
}

export const configFile = (home: string) => path.join(home, "config.json");
export const accountsFile = (home: string) => path.join(home, "accounts.json");
export const jobsDir = (home: string) => path.join(home, "jobs");
export const jobRecordFile = (home: string, id: string) => path.join(jobsDir(home), `${id}.json`);
export const jobLogFile = (home: string, id: string) => path.join(jobsDir(home), `${id}.log`);
export const jobOutFile = (home: string, id: string) => path.join(jobsDir(home), `${id}.out`);
export const jobControlFile = (home: string, id: string) => path.join(jobsDir(home), `${id}.control`);
/** The unredacted command line of a job whose record's argv had secrets replaced (0600). */
export const jobLaunchArgvFile = (home: string, id: string) => path.join(jobsDir(home), `${id}.argv`);
/** The active set: an empty file per job whose record is active (lib/jobs/active-index.ts). */
export const activeJobsDir = (home: string) => path.join(jobsDir(home), ".active");
export const jobActiveMarker = (home: string, id: string) => path.join(activeJobsDir(home), id);
/** The file the storage lock protects (proper-lockfile locks `<file>.lock`). */
export const storageLockTarget = (home: string) => path.join(home, "storage");
/** The storage lock itself: a directory whose mtime is the holder's heartbeat. */
export const storageLockDir = (home: string) => `${storageLockTarget(home)}.lock`;
/** Where an internal error's details go (the user sees one line naming this file). */
export const internalErrorLog = (home: string) => path.join(home, "internal-errors.log");
