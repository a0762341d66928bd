// The configuration: one table of fields drives the zod schema of <home>/config.json, the
// CODEX_AUTH_* environment overrides, the defaults, and the documentation (`describeConfig()` feeds
// the README table and `doctor`), so the four can never drift apart.
import * as z from "zod/mini";
import { useZodMessages } from "./zod-messages.js";

// The mini build: this module is on the supervised launch path (see accounts/schema.ts).
useZodMessages();

type WhenAllExhausted = "wait" | "stay";
/** How a notice that matters reaches the user besides the terminal text (lib/terminal/notify.ts). */
export type NotifyMode = "auto" | "osc9" | "osc777" | "bell" | "off";

export interface Config {
  /** Run interactive sessions under the supervisor (the opt-in). */
  codexCliSessionSupervisor: boolean;
  /** Explicit path of the real codex; null = search PATH, then the global npm root. */
  realCodexBin: string | null;
  /** Escalation: how long to wait after SIGINT before SIGTERM. */
  sigintWaitMs: number;
  /** Escalation: how long to wait after SIGTERM before SIGKILL. */
  sigtermWaitMs: number;
  /** Storage lock: a holder silent for this long is considered dead and evicted. */
  lockStaleMs: number;
  /** Storage lock: heartbeat interval while held. */
  lockUpdateMs: number;
  /** Crash recovery: at most this many automatic restarts within the window (0 = never restart). */
  crashRestartMax: number;
  /** Crash recovery: the sliding window for the cap. */
  crashRestartWindowMs: number;
  /** Crash recovery: delay before the first restart; doubles with each restart in the window. */
  crashBackoffMs: number;
  /** Crash recovery: the doubled delay never exceeds this. */
  crashBackoffMaxMs: number;
  /** Rotate when the 5 h or 7 d window has at most this many percent left. */
  rotateAtRemainingPercent: number;
  /** Pick the successor account when at most this many percent are left. */
  preselectAtRemainingPercent: number;
  /** Every account exhausted: wait for the earliest reset ("wait") or keep going on the current one ("stay"). */
  whenAllExhausted: WhenAllExhausted;
  /** A turn cut by a usage limit or a refused login is resumed with `continuePrompt`, no keystroke needed. */
  continueCutTurns: boolean;
  /** What a resumed session is told so that the cut turn carries on. */
  continuePrompt: string;
  /** Notices that matter also as a desktop notification (OSC 9 / OSC 777) and the bell. */
  notify: NotifyMode;
}

export type ConfigField = keyof Config;

type FieldKind = "switch" | "path" | "ms" | "count" | "percent" | "choice" | "text";

interface FieldSpec<K extends ConfigField> {
  env: string;
  kind: FieldKind;
  default: Config[K];
  /** What a valid value looks like, for error messages. */
  expected: string;
  meaning: string;
  schema: z.ZodMiniType<Config[K]>;
}

type FieldTable = { [K in ConfigField]: FieldSpec<K> };

const ms = (min: number) =>
  z.int().check(z.minimum(min), z.maximum(24 * 60 * 60 * 1000));
const msExpected = (min: number) => `a whole number of milliseconds from ${min} to 86400000`;

/** The single source of truth. Order = documentation order. */
export const CONFIG_FIELDS: FieldTable = {
  codexCliSessionSupervisor: {
    env: "CODEX_AUTH_CLI_SESSION_SUPERVISOR",
    kind: "switch",
    default: false,
    expected: "true or false (in the environment: 1/true/yes/on or 0/false/no/off/empty)",
    meaning: "run interactive codex sessions under the supervisor (otherwise the shim is a pure passthrough)",
    schema: z.boolean(),
  },
  realCodexBin: {
    env: "CODEX_AUTH_REAL_CODEX_BIN",
    kind: "path",
    default: null,
    expected: "a non-empty path to the real codex, or null",
    meaning: "the real codex to run; unset = the next `codex` on PATH that is not this shim, then the global npm root",
    schema: z.nullable(z.string().check(z.minLength(1))),
  },
  sigintWaitMs: {
    env: "CODEX_AUTH_SIGINT_WAIT_MS",
    kind: "ms",
    default: 2000,
    expected: msExpected(0),
    meaning: "when stopping a process tree: wait after SIGINT before sending SIGTERM",
    schema: ms(0),
  },
  sigtermWaitMs: {
    env: "CODEX_AUTH_SIGTERM_WAIT_MS",
    kind: "ms",
    default: 2000,
    expected: msExpected(0),
    meaning: "when stopping a process tree: wait after SIGTERM before sending SIGKILL",
    schema: ms(0),
  },
  lockStaleMs: {
    // proper-lockfile raises anything below 2000 to 2000; we reject it instead of silently changing it.
    env: "CODEX_AUTH_LOCK_STALE_MS",
    kind: "ms",
    default: 10000,
    expected: msExpected(2000),
    meaning: "storage lock: a holder that has not refreshed the lock for this long is presumed dead and evicted",
    schema: ms(2000),
  },
  lockUpdateMs: {
    env: "CODEX_AUTH_LOCK_UPDATE_MS",
    kind: "ms",
    default: 2000,
    expected: `${msExpected(1000)}, at most half of lockStaleMs`,
    meaning: "storage lock: heartbeat interval while the lock is held",
    schema: ms(1000),
  },
  crashRestartMax: {
    env: "CODEX_AUTH_CRASH_RESTART_MAX",
    kind: "count",
    default: 5,
    expected: "a whole number from 0 to 1000 (0 = never restart automatically)",
    meaning: "crash recovery: at most this many automatic restarts within crashRestartWindowMs",
    schema: z.int().check(z.minimum(0), z.maximum(1000)),
  },
  crashRestartWindowMs: {
    env: "CODEX_AUTH_CRASH_RESTART_WINDOW_MS",
    kind: "ms",
    default: 600000,
    expected: msExpected(1000),
    meaning: "crash recovery: the sliding window the restart cap counts in",
    schema: ms(1000),
  },
  crashBackoffMs: {
    env: "CODEX_AUTH_CRASH_BACKOFF_MS",
    kind: "ms",
    default: 500,
    expected: msExpected(0),
    meaning: "crash recovery: delay before the first restart; doubles with each further restart in the window",
    schema: ms(0),
  },
  crashBackoffMaxMs: {
    env: "CODEX_AUTH_CRASH_BACKOFF_MAX_MS",
    kind: "ms",
    default: 30000,
    expected: `${msExpected(0)}, at least crashBackoffMs`,
    meaning: "crash recovery: upper bound of the doubling delay",
    schema: ms(0),
  },
  rotateAtRemainingPercent: {
    env: "CODEX_AUTH_ROTATE_AT_PERCENT",
    kind: "percent",
    default: 5,
    expected: "a number from 0 to 100",
    meaning: "rotate to another account when the 5 h or 7 d window has at most this many percent left",
    schema: z.number().check(z.minimum(0), z.maximum(100)),
  },
  preselectAtRemainingPercent: {
    env: "CODEX_AUTH_PRESELECT_AT_PERCENT",
    kind: "percent",
    default: 10,
    expected: "a number from 0 to 100, at least rotateAtRemainingPercent",
    meaning: "choose the successor account when at most this many percent are left",
    schema: z.number().check(z.minimum(0), z.maximum(100)),
  },
  whenAllExhausted: {
    env: "CODEX_AUTH_WHEN_ALL_EXHAUSTED",
    kind: "choice",
    default: "wait",
    expected: '"wait" or "stay"',
    meaning: 'every account exhausted: "wait" for the earliest reset with a countdown, or "stay" on the current account',
    schema: z.enum(["wait", "stay"]),
  },
  continueCutTurns: {
    env: "CODEX_AUTH_CONTINUE_CUT_TURNS",
    kind: "switch",
    default: true,
    expected: "true or false (in the environment: 1/true/yes/on or 0/false/no/off/empty)",
    meaning: "a turn cut by a usage limit (or a login codex refused) is resumed on the next account with continuePrompt, so nobody has to type it again",
    schema: z.boolean(),
  },
  continuePrompt: {
    env: "CODEX_AUTH_CONTINUE_PROMPT",
    kind: "text",
    default: "Continue the task from where you left off.",
    expected: "a non-empty text of at most 2000 characters",
    meaning: "what a resumed session is told when its cut turn is continued (also the prompt of a resumed background job)",
    schema: z.string().check(z.trim(), z.minLength(1), z.maxLength(2000)),
  },
  notify: {
    env: "CODEX_AUTH_NOTIFY",
    kind: "choice",
    default: "auto",
    expected: '"auto", "osc9", "osc777", "bell" or "off"',
    meaning:
      'notices that matter (rotation, waiting for a reset, no account left) also reach you outside the screen: "auto" = a desktop notification where the terminal is known to show one (OSC 9 / OSC 777, through tmux\'s passthrough) plus the bell; "osc9" / "osc777" force that sequence; "bell" only the bell; "off" nothing',
    schema: z.enum(["auto", "osc9", "osc777", "bell", "off"]),
  },
};

export const CONFIG_FIELD_NAMES = Object.keys(CONFIG_FIELDS) as ConfigField[];

export function defaultConfig(): Config {
  const out: Record<string, unknown> = {};
  for (const f of CONFIG_FIELD_NAMES) out[f] = CONFIG_FIELDS[f].default;
  return out as unknown as Config;
}

/** The schema of config.json: every field optional, unknown fields rejected (a typo must not silently do nothing). */
export const configFileSchema = z.strictObject(
  Object.fromEntries(CONFIG_FIELD_NAMES.map((f) => [f, z.optional(CONFIG_FIELDS[f].schema as z.ZodMiniType)])) as {
    [K in ConfigField]: z.ZodMiniOptional<z.ZodMiniType<Config[K]>>;
  },
);

/**
 * Rules that involve two fields. Each finding names the field to fix (the second of the pair, whose
 * documented range depends on the first).
 */
export function crossFieldProblems(c: Config): { field: ConfigField; other: ConfigField; message: string }[] {
  const out: { field: ConfigField; other: ConfigField; message: string }[] = [];
  if (c.lockUpdateMs > c.lockStaleMs / 2) {
    out.push({
      field: "lockUpdateMs",
      other: "lockStaleMs",
      message: `must be at most half of lockStaleMs (${c.lockStaleMs}), so a live holder refreshes the lock before it looks stale; got ${c.lockUpdateMs}`,
    });
  }
  if (c.crashBackoffMaxMs < c.crashBackoffMs) {
    out.push({ field: "crashBackoffMaxMs", other: "crashBackoffMs", message: `must be at least crashBackoffMs (${c.crashBackoffMs}); got ${c.crashBackoffMaxMs}` });
  }
  if (c.preselectAtRemainingPercent < c.rotateAtRemainingPercent) {
    out.push({
      field: "preselectAtRemainingPercent",
      other: "rotateAtRemainingPercent",
      message: `must be at least rotateAtRemainingPercent (${c.rotateAtRemainingPercent}), since the successor is chosen before rotating; got ${c.preselectAtRemainingPercent}`,
    });
  }
  return out;
}

interface ConfigDescription {
  field: ConfigField;
  env: string;
  /** The default as it would be written in config.json. */
  default: string;
  expected: string;
  meaning: string;
}

/** One row per field, in documentation order: for the README table and `doctor`. */
export function describeConfig(): ConfigDescription[] {
  return CONFIG_FIELD_NAMES.map((f) => {
    const s = CONFIG_FIELDS[f];
    return { field: f, env: s.env, default: JSON.stringify(s.default), expected: s.expected, meaning: s.meaning };
  });
}
