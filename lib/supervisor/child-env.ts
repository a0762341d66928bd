// The environment a supervised codex gets: the parent's, minus every key of ours
// (CODEX_AUTH_* / CODEX_MULTI_AUTH_*, case-insensitive — settings and any token material), plus the
// job marker CODEX_SUPERVISOR_JOB that every descendant inherits, so reap/stop can find processes
// that were reparented or setsid()'d. The marker replaces any inherited one: a codex started from
// inside another supervised session belongs to the new job.
import { stripOurEnv } from "../codex/env.js";

export const JOB_MARKER_ENV = "CODEX_SUPERVISOR_JOB";

export function buildChildEnv(parentEnv: NodeJS.ProcessEnv, jobId: string): NodeJS.ProcessEnv {
  if (jobId.length === 0) throw new Error("buildChildEnv: empty job id");
  const env = stripOurEnv(parentEnv);
  for (const k of Object.keys(env)) {
    // Environment names are case-sensitive on POSIX: drop look-alikes so exactly one marker exists.
    if (k !== JOB_MARKER_ENV && k.toUpperCase() === JOB_MARKER_ENV) delete env[k];
  }
  env[JOB_MARKER_ENV] = jobId;
  return env;
}
