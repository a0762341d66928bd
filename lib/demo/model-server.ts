// The loopback model server of `codex-supervisor demo`: listens on 127.0.0.1, parses each request
// (responses-protocol.ts) and lets one `answer` function decide the reply — a streamed Responses reply
// for POST …/responses, JSON for anything else, 404 when it has nothing to say. It never loops on its
// own: every byte it writes answers one request. The test bed builds its recording server on it.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { bearerOf, closingEvents, decodeJsonBody, headerValue, openingEvent, promptOf, requestKindOf, sessionIdOf, userTextsOf, type Headers, type RequestKind } from "./responses-protocol.js";

/** One request as the server saw it. */
export interface ModelRequest {
  /** 1-based arrival order over the server's life. */
  seq: number;
  method: string;
  /** Without the query string. */
  path: string;
  /** Lower-cased header names as Node parses them. */
  headers: Headers;
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
  kind: RequestKind;
  /** How many "turn" requests this bearer key had made including this one (0 for other paths). */
  countForKey: number;
  receivedAt: number;
}

/**
 * The answer to one request. For a model call (kind turn/title): status 200 streams `text` (after
 * `delayMs`), any other status sends `body` as JSON. For any other request: `body` as JSON with
 * `status` (default 200).
 */
export interface Reply {
  text?: string;
  /** Wait this long after `response.created` before the rest of the stream (makes a turn slow). */
  delayMs?: number;
  headers?: Record<string, string>;
  status?: number;
  /** An object is sent as JSON, a string as is. */
  body?: unknown;
}

export interface ModelServerOptions {
  /** Null: 404 (codex treats its optional endpoints as absent). */
  answer: (req: ModelRequest) => Reply | null | Promise<Reply | null>;
}

export class ModelServer {
  /** Every request, in arrival order. */
  readonly requests: ModelRequest[] = [];
  private readonly perKeyCount = new Map<string, number>();
  private readonly openResponses = new Set<http.ServerResponse>();
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private closed_ = false;
  private port_ = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly opts: ModelServerOptions,
  ) {}

  /** Listen on 127.0.0.1 with a kernel-chosen port. */
  static async start(opts: ModelServerOptions): Promise<ModelServer> {
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
  get closed(): boolean {
    return this.closed_;
  }

  /** Only the model calls for user turns (not the TUI's title request, not other paths). */
  get turnRequests(): ModelRequest[] {
    return this.requests.filter((r) => r.kind === "turn");
  }

  /** Stop listening, end open streams and pending delays. Idempotent. */
  async close(): Promise<void> {
    if (this.closed_) return;
    this.closed_ = true;
    for (const t of this.pendingTimers) clearTimeout(t);
    this.pendingTimers.clear();
    for (const res of this.openResponses) res.destroy();
    this.openResponses.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const { body, bodyError } = decodeJsonBody(raw, headerValue(req.headers, "content-encoding"));
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    const userTexts = userTextsOf(body);
    const { sessionId, turnMetadata } = sessionIdOf(req.headers);
    const kind = requestKindOf(method, path, body, turnMetadata);
    const bearerKey = bearerOf(req.headers);
    // Quota climbs per user turn; the TUI's title side-request reports the current state.
    const k = bearerKey ?? "";
    const countForKey = kind === "other" ? 0 : (this.perKeyCount.get(k) ?? 0) + (kind === "turn" ? 1 : 0);
    if (kind === "turn") this.perKeyCount.set(k, countForKey);
    const rec: ModelRequest = {
      seq: ++this.seq,
      method,
      path,
      headers: { ...req.headers },
      authorization: headerValue(req.headers, "authorization"),
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
    const reply = await this.opts.answer(rec);
    if (this.closed_) {
      res.destroy();
      return;
    }
    if (reply === null) {
      sendJson(res, 404, {}, { error: { type: "not_found", message: `mock model server: no ${method} ${path}` } });
      return;
    }
    const status = reply.status ?? 200;
    if (kind === "other" || status !== 200) {
      sendJson(res, status, reply.headers ?? {}, reply.body ?? { error: { type: "server_error", message: `mock status ${status}` } });
      return;
    }
    await this.stream(res, rec, reply);
  }

  private async stream(res: http.ServerResponse, rec: ModelRequest, reply: Reply): Promise<void> {
    this.openResponses.add(res);
    res.on("close", () => this.openResponses.delete(res));
    res.writeHead(200, { ...(reply.headers ?? {}), "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const write = (frames: string) => {
      if (!res.writableEnded && !res.destroyed) res.write(frames);
    };
    write(openingEvent(rec.seq));
    const delay = reply.delayMs ?? 0;
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
    if (this.closed_ || res.destroyed) return;
    write(closingEvents(rec.seq, reply.text ?? "", rec.body));
    res.end();
  }
}

/** Convenience: `await startModelServer({...})`. */
export function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  return ModelServer.start(opts);
}

function sendJson(res: http.ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, { ...headers, "content-type": "application/json" });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
