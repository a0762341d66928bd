// The part of the OpenAI Responses API (streaming, SSE) the real Codex CLI needs from a loopback model
// server, as pure functions: what a request says (prompt, session, kind of call) and the events of a
// minimal reply (response.created → output_item.added → output_text.delta → output_item.done →
// response.completed), plus the `x-codex-*` quota headers codex turns into `token_count.rate_limits`.
import zlib from "node:zlib";

export type Headers = Record<string, string | string[] | undefined>;

/**
 * "turn": a model call for a user turn; "title": the TUI's side request that names the thread (its own
 * throw-away session id, `thread_source: "thread_title"`, a JSON-schema output); "other": not a
 * POST …/responses.
 */
export type RequestKind = "turn" | "title" | "other";

/** Rate-limit state reported to codex through the `x-codex-*` headers. Omitted fields are not sent. */
export interface Quota {
  primaryUsedPercent?: number;
  primaryWindowMinutes?: number;
  /** Epoch seconds. */
  primaryResetAt?: number;
  secondaryUsedPercent?: number;
  secondaryWindowMinutes?: number;
  /** Epoch seconds. */
  secondaryResetAt?: number;
}

/** The `x-codex-*` headers for a quota. */
export function quotaHeaders(q: Quota): Record<string, string> {
  const h: Record<string, string> = {};
  const put = (name: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) h[name] = String(v);
  };
  put("x-codex-primary-used-percent", q.primaryUsedPercent);
  put("x-codex-primary-window-minutes", q.primaryWindowMinutes);
  put("x-codex-primary-reset-at", q.primaryResetAt);
  put("x-codex-secondary-used-percent", q.secondaryUsedPercent);
  put("x-codex-secondary-window-minutes", q.secondaryWindowMinutes);
  put("x-codex-secondary-reset-at", q.secondaryResetAt);
  return h;
}

/** The body codex recognises as the hard usage limit (HTTP 429). */
export function usageLimitBody(resetsAtEpochSeconds: number, nowEpochSeconds: number, planType = "plus"): unknown {
  return {
    error: {
      type: "usage_limit_reached",
      message: "The usage limit has been reached",
      plan_type: planType,
      resets_at: resetsAtEpochSeconds,
      resets_in_seconds: Math.max(0, resetsAtEpochSeconds - nowEpochSeconds),
    },
  };
}

/** Texts of the user-role message items in a Responses request body. */
export function userTextsOf(body: unknown): string[] {
  const input = (body as { input?: unknown } | null)?.input;
  if (!Array.isArray(input)) return [];
  const out: string[] = [];
  for (const item of input) {
    if (!item || typeof item !== "object") continue;
    const it = item as { type?: unknown; role?: unknown; content?: unknown };
    if (it.role !== "user" || (it.type !== undefined && it.type !== "message")) continue;
    if (typeof it.content === "string") {
      out.push(it.content);
    } else if (Array.isArray(it.content)) {
      const parts = it.content
        .map((p) => (p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : null))
        .filter((t): t is string => t !== null);
      if (parts.length > 0) out.push(parts.join(""));
    }
  }
  return out;
}

/**
 * Codex injects context as user-role messages too (`<environment_context>`, AGENTS.md instructions,
 * all wrapped in a tag); the prompt is the last user text that is not such a block.
 */
export function promptOf(userTexts: string[]): string | null {
  for (let i = userTexts.length - 1; i >= 0; i--) {
    const t = userTexts[i]!;
    if (!/^\s*<[a-z_]+[\s>]/i.test(t) && !/^\s*# AGENTS\.md/i.test(t)) return t;
  }
  return userTexts.length > 0 ? userTexts[userTexts.length - 1]! : null;
}

export function headerValue(headers: Headers, name: string): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

/** The token after `Bearer ` in the Authorization header, or null. */
export function bearerOf(headers: Headers): string | null {
  const a = headerValue(headers, "authorization");
  return a && /^Bearer\s+/i.test(a) ? a.replace(/^Bearer\s+/i, "") : null;
}

/** The session id from codex's request headers. */
export function sessionIdOf(headers: Headers): { sessionId: string | null; turnMetadata: unknown } {
  let turnMetadata: unknown = null;
  let sessionId: string | null = null;
  const meta = headerValue(headers, "x-codex-turn-metadata");
  if (meta) {
    try {
      turnMetadata = JSON.parse(meta);
      const m = turnMetadata as { session_id?: unknown; thread_id?: unknown };
      if (typeof m.session_id === "string") sessionId = m.session_id;
      else if (typeof m.thread_id === "string") sessionId = m.thread_id;
    } catch {
      turnMetadata = meta;
    }
  }
  const win = headerValue(headers, "x-codex-window-id");
  if (!sessionId && win) {
    // `<session id>:<window number>`; the id itself is a UUID without colons.
    const i = win.lastIndexOf(":");
    sessionId = i > 0 ? win.slice(0, i) : win;
  }
  if (!sessionId) sessionId = headerValue(headers, "session_id") ?? headerValue(headers, "session-id");
  return { sessionId, turnMetadata };
}

/** What kind of call this is. */
export function requestKindOf(method: string, path: string, body: unknown, turnMetadata: unknown): RequestKind {
  if (method !== "POST" || !/\/responses$/.test(path)) return "other";
  const source = (turnMetadata as { thread_source?: unknown } | null)?.thread_source;
  if (source === "thread_title") return "title";
  const schema = (body as { text?: { format?: { schema?: { properties?: Record<string, unknown> } } } } | null)?.text?.format?.schema;
  if (schema?.properties && Object.keys(schema.properties).length === 1 && "title" in schema.properties) return "title";
  return "turn";
}

/** A request body as JSON, decoded per Content-Encoding (codex may compress). */
export function decodeJsonBody(raw: Buffer, encoding: string | null): { body: unknown; bodyError: string | null } {
  if (raw.length === 0) return { body: null, bodyError: null };
  let buf = raw;
  try {
    const enc = (encoding ?? "").toLowerCase();
    if (enc === "gzip") buf = zlib.gunzipSync(raw);
    else if (enc === "deflate") buf = zlib.inflateSync(raw);
    else if (enc === "br") buf = zlib.brotliDecompressSync(raw);
    else if (enc === "zstd") {
      const z = zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer };
      if (!z.zstdDecompressSync) return { body: null, bodyError: "zstd body: this Node cannot decompress zstd" };
      buf = z.zstdDecompressSync(raw);
    }
  } catch (e) {
    return { body: null, bodyError: `cannot decode ${encoding} body: ${(e as Error).message}` };
  }
  try {
    return { body: JSON.parse(buf.toString("utf8")), bodyError: null };
  } catch (e) {
    return { body: null, bodyError: `not JSON: ${(e as Error).message}` };
  }
}

/** One server-sent event as written on the wire. */
function sseFrame(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** The first event of a reply, sent before any delay (codex then shows the turn as running). */
export function openingEvent(seq: number): string {
  return sseFrame("response.created", { response: { id: `resp_mock_${seq}`, object: "response", status: "in_progress" } });
}

/** The rest of a reply: one assistant message with `text`, then completion with a token usage. */
export function closingEvents(seq: number, text: string, requestBody: unknown): string {
  const respId = `resp_mock_${seq}`;
  const itemId = `msg_mock_${seq}`;
  const item = (status: string, t: string) => ({
    type: "message",
    id: itemId,
    role: "assistant",
    status,
    content: t === "" && status === "in_progress" ? [] : [{ type: "output_text", text: t, annotations: [] }],
  });
  const outTokens = Math.max(1, Math.ceil(text.length / 4));
  const inTokens = Math.max(1, Math.ceil(JSON.stringify(requestBody ?? "").length / 4));
  return [
    sseFrame("response.output_item.added", { output_index: 0, item: item("in_progress", "") }),
    sseFrame("response.output_text.delta", { item_id: itemId, output_index: 0, content_index: 0, delta: text }),
    sseFrame("response.output_item.done", { output_index: 0, item: item("completed", text) }),
    sseFrame("response.completed", {
      response: {
        id: respId,
        object: "response",
        status: "completed",
        usage: {
          input_tokens: inTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: inTokens + outTokens,
        },
      },
    }),
  ].join("");
}
