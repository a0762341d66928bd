// A loopback model server that speaks enough of the OpenAI Responses API (streaming, SSE) for the real
// Codex CLI: `codex exec`, the interactive TUI and `resume`. Used by `codex-supervisor demo` and by the
// end-to-end tests, so it is production code: no test-framework imports, no network beyond 127.0.0.1.
//
// What it does per request:
// - records it (method, path, headers incl. Authorization, parsed JSON body, user-message texts,
//   the codex session id from `x-codex-window-id` / `x-codex-turn-metadata`);
// - POST .../responses: asks the responder what to say, then streams a minimal SSE reply
//   (response.created → output_item.added → output_text.delta → output_item.done → response.completed),
//   with the per-account rate-limit headers codex turns into `token_count.rate_limits`;
// - anything else: 404 with a small JSON error (codex treats its optional endpoints as absent).
// It never loops on its own: every byte it writes answers one request.
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";

/** One request as the server saw it. */
export interface RecordedRequest {
  /** 1-based arrival order over the server's life. */
  seq: number;
  method: string;
  path: string;
  /** Lower-cased header names as Node parses them. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw Authorization header, or null. */
  authorization: string | null;
  /** The token after `Bearer `, or null: identifies the account that made the request. */
  bearerKey: string | null;
  /** The parsed JSON body, or null when there was none or it was not JSON. */
  body: unknown;
  /** Why the body could not be parsed, if it could not. */
  bodyError: string | null;
  /** Texts of every `input` item with role "user" (each content part's text), in order. */
  userTexts: string[];
  /** The last user text: the prompt of this turn. Null when there is none. */
  prompt: string | null;
  /** Codex's session (thread) id from `x-codex-window-id` (`<id>:<n>`) or `x-codex-turn-metadata`. */
  sessionId: string | null;
  /** The parsed `x-codex-turn-metadata` header, when present and JSON. */
  turnMetadata: unknown;
  /**
   * "turn": a model call for a user turn; "title": the TUI's side request that names the thread
   * (its own throw-away session id, `thread_source: "thread_title"`, a JSON-schema output);
   * "other": not a POST …/responses.
   */
  kind: RequestKind;
  /** How many "turn" requests this bearer key had made including this one (0 for other paths). */
  countForKey: number;
  receivedAt: number;
}

/** What to answer one /responses request with. Every field is optional. */
export interface Reply {
  /** The assistant's text (default: an echo of the prompt). */
  text?: string;
  /** Wait this long after `response.created` before the rest of the stream (makes a turn slow). */
  delayMs?: number;
  /** Extra response headers (override the quota headers of the same name). */
  headers?: Record<string, string>;
  /** A non-200 status: then `body` (or a generic error) is sent as JSON instead of a stream. */
  status?: number;
  /** Body for a non-200 status: an object is sent as JSON, a string as is. */
  body?: unknown;
}

export type RequestKind = "turn" | "title" | "other";

export type Responder = (req: RecordedRequest) => Reply | Promise<Reply>;

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

/** A fixed quota, or one computed from the key's turn count (1 for its first user turn). */
export type QuotaSource = Quota | ((countForKey: number, req: RecordedRequest) => Quota);

export interface ModelServerOptions {
  responder?: Responder;
  /** Default delay for every reply when the responder gives none. */
  delayMs?: number;
  /** Called after each request is recorded (e.g. for a demo's log). Errors are ignored. */
  onRequest?: (req: RecordedRequest) => void;
}

/** The body codex recognises as the hard usage limit (HTTP 429). */
export function usageLimitBody(resetsAtEpochSeconds: number, planType = "plus"): unknown {
  const now = Math.floor(Date.now() / 1000);
  return {
    error: {
      type: "usage_limit_reached",
      message: "The usage limit has been reached",
      plan_type: planType,
      resets_at: resetsAtEpochSeconds,
      resets_in_seconds: Math.max(0, resetsAtEpochSeconds - now),
    },
  };
}

/** The `x-codex-*` headers for a quota. Pure. */
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

/** Texts of the user-role message items in a Responses request body. Pure. */
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

/** The session id from codex's request headers. Pure. */
export function sessionIdOf(headers: Record<string, string | string[] | undefined>): { sessionId: string | null; turnMetadata: unknown } {
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

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

/** What kind of call this is. Pure. */
export function requestKindOf(method: string, path: string, body: unknown, turnMetadata: unknown): RequestKind {
  if (method !== "POST" || !/\/responses$/.test(path)) return "other";
  const source = (turnMetadata as { thread_source?: unknown } | null)?.thread_source;
  if (source === "thread_title") return "title";
  const schema = (body as { text?: { format?: { schema?: { properties?: Record<string, unknown> } } } } | null)?.text?.format?.schema;
  if (schema?.properties && Object.keys(schema.properties).length === 1 && "title" in schema.properties) return "title";
  return "turn";
}

const defaultResponder: Responder = (req) =>
  req.kind === "title"
    ? // The title request asks for JSON matching {"title": string (1..36)}.
      { text: JSON.stringify({ title: "Mock session" }) }
    : { text: `Mock reply ${req.countForKey}: you said "${truncate(req.prompt ?? "", 80)}".` };

function truncate(s: string, n: number): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? one.slice(0, n - 1) + "…" : one;
}

interface Waiter {
  n: number;
  filter: ((r: RecordedRequest) => boolean) | undefined;
  resolve: (reqs: RecordedRequest[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class ModelServer {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private responder: Responder;
  private delayMs: number;
  private readonly onRequest: ((req: RecordedRequest) => void) | undefined;
  private readonly quotas = new Map<string, QuotaSource>();
  private readonly usageLimits = new Map<string, number>();
  private readonly perKeyCount = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private readonly openResponses = new Set<http.ServerResponse>();
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private closed = false;
  private port_ = 0;

  private constructor(private readonly server: http.Server, opts: ModelServerOptions) {
    this.responder = opts.responder ?? defaultResponder;
    this.delayMs = opts.delayMs ?? 0;
    this.onRequest = opts.onRequest;
  }

  /** Listen on 127.0.0.1 with a kernel-chosen port. */
  static async start(opts: ModelServerOptions = {}): Promise<ModelServer> {
    const server = http.createServer();
    const ms = new ModelServer(server, opts);
    server.on("request", (req, res) => {
      ms.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { type: "server_error", message: String(err) } }));
        } else {
          res.destroy();
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    ms.port_ = (server.address() as AddressInfo).port;
    return ms;
  }

  get port(): number {
    return this.port_;
  }
  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.port_}`;
  }
  /** The provider `base_url` for codex's config: codex POSTs to `{baseUrl}/responses`. */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  setResponder(responder: Responder | null): void {
    this.responder = responder ?? defaultResponder;
  }
  setDelay(ms: number): void {
    this.delayMs = ms;
  }
  /** Rate-limit headers for requests made with this bearer key (null: send none). */
  setQuota(key: string, quota: QuotaSource | null): void {
    if (quota === null) this.quotas.delete(key);
    else this.quotas.set(key, quota);
  }
  /** Answer this key's /responses requests with 429 usage_limit_reached (null: stop doing so). */
  setUsageLimitReached(key: string, resetsAtEpochSeconds: number | null): void {
    if (resetsAtEpochSeconds === null) this.usageLimits.delete(key);
    else this.usageLimits.set(key, resetsAtEpochSeconds);
  }

  /** Only the model calls for user turns (not the TUI's title request, not other paths). */
  get turnRequests(): RecordedRequest[] {
    return this.requests.filter(isTurnRequest);
  }

  /** Resolve once at least `n` requests (matching `filter`, default: user-turn model calls) have arrived. */
  waitForRequests(n: number, timeoutMs: number, filter: ((r: RecordedRequest) => boolean) | undefined = isTurnRequest): Promise<RecordedRequest[]> {
    const now = this.matching(filter);
    if (now.length >= n) return Promise.resolve(now);
    if (this.closed) return Promise.reject(new Error("model server is closed"));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        n,
        filter,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          const got = this.matching(filter);
          reject(
            new Error(
              `model server: waited ${timeoutMs} ms for ${n} request(s), got ${got.length} matching of ${this.requests.length} total: ` +
                this.requests.map((r) => `${r.method} ${r.path}`).join(", "),
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** Stop listening, end open streams and pending delays, reject waiters. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.pendingTimers) clearTimeout(t);
    this.pendingTimers.clear();
    for (const res of this.openResponses) res.destroy();
    this.openResponses.clear();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error("model server closed while waiting for requests"));
    }
    this.waiters.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private matching(filter: ((r: RecordedRequest) => boolean) | undefined): RecordedRequest[] {
    return filter ? this.requests.filter(filter) : [...this.requests];
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const { body, bodyError } = parseBody(raw, headerValue(req.headers, "content-encoding"));
    const authorization = headerValue(req.headers, "authorization");
    const bearerKey = authorization && /^Bearer\s+/i.test(authorization) ? authorization.replace(/^Bearer\s+/i, "") : null;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    const userTexts = userTextsOf(body);
    const { sessionId, turnMetadata } = sessionIdOf(req.headers);
    const kind = requestKindOf(method, path, body, turnMetadata);
    const responsesCall = kind !== "other";
    // Quota climbs per user turn; the TUI's title side-request reports the current state.
    const k = bearerKey ?? "";
    const countForKey = kind === "other" ? 0 : (this.perKeyCount.get(k) ?? 0) + (kind === "turn" ? 1 : 0);
    if (kind === "turn") this.perKeyCount.set(k, countForKey);
    const rec: RecordedRequest = {
      seq: ++this.seq,
      method,
      path,
      headers: { ...req.headers },
      authorization,
      bearerKey,
      body,
      bodyError,
      userTexts,
      prompt: promptOf(userTexts),
      sessionId,
      turnMetadata,
      kind,
      countForKey,
      receivedAt: Date.now(),
    };
    this.requests.push(rec);
    try {
      this.onRequest?.(rec);
    } catch {
      // A logging hook must not break the reply.
    }
    this.notifyWaiters();

    if (!responsesCall) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { type: "not_found", message: `mock model server: no ${method} ${path}` } }));
      return;
    }

    const quotaSrc = bearerKey !== null ? this.quotas.get(bearerKey) : undefined;
    const quota = quotaSrc === undefined ? {} : typeof quotaSrc === "function" ? quotaSrc(countForKey, rec) : quotaSrc;
    const limitResetsAt = bearerKey !== null ? this.usageLimits.get(bearerKey) : undefined;
    const reply: Reply =
      limitResetsAt !== undefined ? { status: 429, body: usageLimitBody(limitResetsAt) } : await this.responder(rec);
    const headers = { ...quotaHeaders(quota), ...(reply.headers ?? {}) };
    const status = reply.status ?? 200;
    if (this.closed) {
      res.destroy();
      return;
    }
    if (status !== 200) {
      const payload =
        typeof reply.body === "string"
          ? reply.body
          : JSON.stringify(reply.body ?? { error: { type: "server_error", message: `mock status ${status}` } });
      res.writeHead(status, { ...headers, "content-type": "application/json" });
      res.end(payload);
      return;
    }
    await this.stream(res, rec, reply, headers);
  }

  private async stream(res: http.ServerResponse, rec: RecordedRequest, reply: Reply, headers: Record<string, string>): Promise<void> {
    this.openResponses.add(res);
    res.on("close", () => this.openResponses.delete(res));
    res.writeHead(200, { ...headers, "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const respId = `resp_mock_${rec.seq}`;
    const itemId = `msg_mock_${rec.seq}`;
    const text = reply.text ?? (defaultResponder(rec) as Reply).text ?? "";
    const send = (type: string, data: Record<string, unknown>) => {
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    };
    send("response.created", { response: { id: respId, object: "response", status: "in_progress" } });
    const delay = reply.delayMs ?? this.delayMs;
    if (delay > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.pendingTimers.delete(t);
          resolve();
        }, delay);
        this.pendingTimers.add(t);
        res.once("close", () => {
          clearTimeout(t);
          this.pendingTimers.delete(t);
          resolve();
        });
      });
    }
    if (this.closed || res.destroyed) return;
    const item = (status: string, t: string) => ({
      type: "message",
      id: itemId,
      role: "assistant",
      status,
      content: t === "" && status === "in_progress" ? [] : [{ type: "output_text", text: t, annotations: [] }],
    });
    send("response.output_item.added", { output_index: 0, item: item("in_progress", "") });
    send("response.output_text.delta", { item_id: itemId, output_index: 0, content_index: 0, delta: text });
    send("response.output_item.done", { output_index: 0, item: item("completed", text) });
    const outTokens = Math.max(1, Math.ceil(text.length / 4));
    const inTokens = Math.max(1, Math.ceil(JSON.stringify(rec.body ?? "").length / 4));
    send("response.completed", {
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
    });
    res.end();
  }

  private notifyWaiters(): void {
    for (const w of [...this.waiters]) {
      const got = this.matching(w.filter);
      if (got.length >= w.n) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(got);
      }
    }
  }
}

/** A model call (POST …/responses) of any kind. */
export function isResponsesCall(r: RecordedRequest): boolean {
  return r.kind !== "other";
}

/** A model call for a user turn. */
export function isTurnRequest(r: RecordedRequest): boolean {
  return r.kind === "turn";
}

/** Convenience: `await startModelServer({...})`. */
export function startModelServer(opts: ModelServerOptions = {}): Promise<ModelServer> {
  return ModelServer.start(opts);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseBody(raw: Buffer, encoding: string | null): { body: unknown; bodyError: string | null } {
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
