// The opt-in truthiness rule, dependency-free so the shim's hot path can share it
// with the full config loader without loading zod.

/** The opt-in switch (config field `codexCliSessionSupervisor` is the other way). */
export const OPT_IN_ENV = "CODEX_AUTH_CLI_SESSION_SUPERVISOR";

const ON = new Set(["1", "true", "yes", "on"]);
const OFF = new Set(["0", "false", "no", "off", ""]);

/**
 * "1"/"true"/"yes"/"on" → true; "0"/"false"/"no"/"off"/"" → false (case-insensitive, surrounding
 * spaces ignored); anything else → null (the caller reports a usage error naming the variable).
 */
export function parseSwitch(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  if (ON.has(v)) return true;
  if (OFF.has(v)) return false;
  return null;
}

export const SWITCH_EXPECTED = 'one of 1, true, yes, on (enable) or 0, false, no, off, "" (disable)';
