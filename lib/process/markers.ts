// The environment variables every process of a supervised job carries (docs/architecture.md §3).

/** The job id every process of a supervised job inherits. */
export const JOB_MARKER_ENV = "CODEX_SUPERVISOR_JOB";
/** Which supervisor home holds that job's record. */
export const JOB_HOME_ENV = "CODEX_SUPERVISOR_HOME";
