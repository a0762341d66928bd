// The rollout lines codex writes (CODEX_HOME/sessions/.../rollout-*.jsonl), turned into the few typed
// events the supervisor acts on (quota/from-rollout.ts says which facts they are).
//
// Shapes verified against the pinned codex 0.169.0 (`codex exec`, the TUI with --no-daemon, `exec resume`,
// `fork`, a 429 usage limit; captured in test/fixtures/rollouts/):
//   {"timestamp":"…","ordinal":N,"type":"session_meta","payload":{"id","session_id","cwd","originator",
//     "cli_version","source","forked_from_id"?,"base_instructions":{…20 KB…},…}}
//   {"type":"event_msg","payload":{"type":"task_started","turn_id",…}}
//   {"type":"event_msg","payload":{"type":"task_complete","turn_id","last_agent_message":string|null,
//     "error"?:{"message","codex_error_info":"usage_limit_exceeded"}}}      ← how a usage limit shows up
//   {"type":"event_msg","payload":{"type":"turn_aborted","turn_id","reason":"interrupted"}}
//   {"type":"event_msg","payload":{"type":"token_count","info":{…}|null,"rate_limits":{"limit_id":"codex",
//     "primary":{"used_percent","window_minutes","resets_at"}|null,"secondary":…|null,"plan_type",
//     "rate_limit_reached_type"}}}
// Codex 0.169.0 did not persist a separate `error` event for the 429; older versions and other errors may
// (`{"type":"error","message","codex_error_info"}`), so that shape is understood too.
//
// Everything here is pure and total: a line cut mid-write, a giant line, invalid UTF-8 (already replaced
// by U+FFFD when decoded), or a type we do not know never throws.

export interface SessionMetaEvent {
  type: "session_meta";
  timestamp: string | null;
  /** The id `codex resume <id>` takes. */
  id: string;
  cwd: string | null;
  /** "codex-tui", "codex_exec", … (a fork keeps its parent's originator). */
  originator: string | null;
  cliVersion: string | null;
  /** "cli", "exec", "vscode", or an object for sub-agents ({"subagent": …}). */
  source: unknown;
  forkedFromId: string | null;
}

interface TaskStartedEvent {
  type: "task_started";
  timestamp: string | null;
  turnId: string | null;
}

/** Why a turn failed, as codex recorded it. */
interface TurnError {
  message: string | null;
  /** codex_error_info: a string ("usage_limit_exceeded") or the single key of an object variant. */
  codexErrorInfo: string | null;
  /** The error is the account's usage limit (the hard limit: rotating is the only way on). */
  usageLimit: boolean;
}

interface TaskCompleteEvent {
  type: "task_complete";
  timestamp: string | null;
  turnId: string | null;
  lastAgentMessage: string | null;
  error: TurnError | null;
}

interface TurnAbortedEvent {
  type: "turn_aborted";
  timestamp: string | null;
  turnId: string | null;
  reason: string | null;
}

export interface RateLimitWindow {
  usedPercent: number;
  windowMinutes: number | null;
  /** Epoch seconds, or null when codex did not get a reset time. */
  resetsAt: number | null;
}

export interface RateLimits {
  /** "codex" for the account's main limit; other ids are per-model limits. */
  limitId: string | null;
  /** The 5-hour window. */
  primary: RateLimitWindow | null;
  /** The 7-day window. */
  secondary: RateLimitWindow | null;
  planType: string | null;
  rateLimitReachedType: string | null;
}

interface TokenCountEvent {
  type: "token_count";
  timestamp: string | null;
  /** Null when the line carried no rate limits (codex got no x-codex-* headers). */
  rateLimits: RateLimits | null;
}

interface ErrorEvent {
  type: "error";
  timestamp: string | null;
  message: string | null;
  codexErrorInfo: string | null;
  usageLimit: boolean;
}

/** A well-formed line of a kind we do not act on (response items, turn context, other event_msg types…). */
interface UnknownEvent {
  type: "unknown";
  timestamp: string | null;
  /** The line's top-level type, and for event_msg the payload's type. */
  lineType: string | null;
  payloadType: string | null;
}

export type RolloutEvent =
  | SessionMetaEvent
  | TaskStartedEvent
  | TaskCompleteEvent
  | TurnAbortedEvent
  | TokenCountEvent
  | ErrorEvent
  | UnknownEvent;

/** Lines longer than this are not parsed (the follower skips them before they get here). */
const MAX_PARSED_LINE_CHARS = 8 * 1024 * 1024;

// Top-level line types that never carry an event we act on. Response items (tool output, file contents)
// are by far the biggest lines, so recognising them from the first bytes saves a JSON.parse of megabytes.
const SKIPPED_LINE_TYPES = new Set(["response_item", "turn_context", "world_state", "token_usage_record", "compacted"]);
const LEADING_TYPE = /"type"\s*:\s*"([a-z_]+)"/;

const USAGE_LIMIT_CODES = new Set(["usage_limit_exceeded", "usage_limit_reached"]);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}
function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** codex_error_info is a string for unit variants and `{variant: {...}}` for the others. */
function errorInfoCode(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (isObj(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1) return keys[0]!;
  }
  return null;
}

function turnError(v: unknown): TurnError | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return { message: v, codexErrorInfo: null, usageLimit: false };
  if (!isObj(v)) return null;
  const code = errorInfoCode(v.codex_error_info);
  return { message: str(v.message), codexErrorInfo: code, usageLimit: code !== null && USAGE_LIMIT_CODES.has(code) };
}

function rateWindow(v: unknown): RateLimitWindow | null {
  if (!isObj(v)) return null;
  const used = num(v.used_percent);
  if (used === null) return null;
  return { usedPercent: used, windowMinutes: num(v.window_minutes), resetsAt: num(v.resets_at) };
}

function rateLimits(v: unknown): RateLimits | null {
  if (!isObj(v)) return null;
  const primary = rateWindow(v.primary);
  const secondary = rateWindow(v.secondary);
  const reached = str(v.rate_limit_reached_type);
  if (primary === null && secondary === null && reached === null) return null;
  return { limitId: str(v.limit_id), primary, secondary, planType: str(v.plan_type), rateLimitReachedType: reached };
}

function fromEventMsg(p: Obj, timestamp: string | null): RolloutEvent {
  const payloadType = str(p.type);
  switch (payloadType) {
    case "task_started":
      return { type: "task_started", timestamp, turnId: str(p.turn_id) };
    case "task_complete":
      return {
        type: "task_complete",
        timestamp,
        turnId: str(p.turn_id),
        lastAgentMessage: str(p.last_agent_message),
        error: turnError(p.error),
      };
    case "turn_aborted":
      return { type: "turn_aborted", timestamp, turnId: str(p.turn_id), reason: str(p.reason) };
    case "token_count":
      return { type: "token_count", timestamp, rateLimits: rateLimits(p.rate_limits) };
    case "error": {
      const code = errorInfoCode(p.codex_error_info);
      return {
        type: "error",
        timestamp,
        message: str(p.message),
        codexErrorInfo: code,
        usageLimit: code !== null && USAGE_LIMIT_CODES.has(code),
      };
    }
    default:
      return { type: "unknown", timestamp, lineType: "event_msg", payloadType };
  }
}

/**
 * One rollout line → its event. Null for a blank line, a line that is not a JSON object (cut mid-write,
 * garbage, over MAX_PARSED_LINE_CHARS), or a session_meta without an id. Never throws.
 */
export function parseRolloutLine(line: string): RolloutEvent | null {
  if (typeof line !== "string" || line.length === 0 || line.length > MAX_PARSED_LINE_CHARS) return null;
  const head = LEADING_TYPE.exec(line.slice(0, 256));
  if (head && SKIPPED_LINE_TYPES.has(head[1]!)) {
    // Only trust the shortcut for a line that looks complete; a cut line must stay null.
    const t = line.trimEnd();
    if (t.startsWith("{") && t.endsWith("}")) return { type: "unknown", timestamp: null, lineType: head[1]!, payloadType: null };
  }
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObj(v)) return null;
  const timestamp = str(v.timestamp);
  const lineType = str(v.type);
  const p = v.payload;
  if (lineType === "session_meta" && isObj(p)) {
    // Older rollouts nest the meta one level down ({"meta": {...}, "git": {...}}).
    const m = isObj(p.meta) && typeof p.id !== "string" ? p.meta : p;
    const id = str(m.id) ?? str(m.session_id);
    if (id === null || id === "") return null;
    return {
      type: "session_meta",
      timestamp,
      id,
      cwd: str(m.cwd),
      originator: str(m.originator),
      cliVersion: str(m.cli_version),
      source: m.source ?? null,
      forkedFromId: str(m.forked_from_id),
    };
  }
  if (lineType === "event_msg" && isObj(p)) return fromEventMsg(p, timestamp);
  return { type: "unknown", timestamp, lineType, payloadType: isObj(p) ? str(p.type) : null };
}

/** A sub-agent's own thread (spawned by the main session), not a session the user resumes. */
export function isSubagentSource(source: unknown): boolean {
  if (typeof source === "string") return source.toLowerCase().startsWith("subagent");
  return isObj(source) && Object.keys(source).some((k) => k.toLowerCase().startsWith("subagent"));
}
