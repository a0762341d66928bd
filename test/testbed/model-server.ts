// The test bed's loopback model server: the demo's server (lib/demo/model-server.ts) plus what tests
// need — a replaceable responder with a default echo, per-key quota headers, a per-key 429
// usage-limit mode, a default delay, and waiting for requests with a deadline. Every request is
// recorded (method, path, headers incl. Authorization, parsed body, prompt, codex session id).
// ChatGPT logins (chatgpt-auth.ts): it also answers codex's token endpoint (`tokenUrl`, for
// CODEX_REFRESH_TOKEN_URL_OVERRIDE) and `wham/accounts/check` under `chatgptBaseUrl`, and attributes
// every model call's access token — see `chatgpt`.
import { ModelServer as LoopbackServer, type ModelRequest, type Reply } from "../../lib/demo/model-server.js";
import { headerValue, quotaHeaders, usageLimitBody as usageLimitBodyAt, type Quota } from "../../lib/demo/responses-protocol.js";
import { ChatgptAuthority } from "./chatgpt-auth.js";

export type { Reply } from "../../lib/demo/model-server.js";
export type { Quota, RequestKind } from "../../lib/demo/responses-protocol.js";
export type RecordedRequest = ModelRequest;
export type Responder = (req: RecordedRequest) => Reply | Promise<Reply>;
/** A fixed quota, or one computed from the key's turn count (1 for its first user turn). */
export type QuotaSource = Quota | ((countForKey: number, req: RecordedRequest) => Quota);

export interface ModelServerOptions {
  responder?: Responder;
  /** Default delay for every reply when the responder gives none. */
  delayMs?: number;
}

/** The body codex recognises as the hard usage limit (HTTP 429), relative to now. */
export function usageLimitBody(resetsAtEpochSeconds: number, planType = "plus"): unknown {
  return usageLimitBodyAt(resetsAtEpochSeconds, Math.floor(Date.now() / 1000), planType);
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
  /** The ChatGPT accounts, logins and token endpoint this server plays. */
  readonly chatgpt = new ChatgptAuthority();
  private responder: Responder;
  private delayMs: number;
  private readonly quotas = new Map<string, QuotaSource>();
  private readonly usageLimits = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private readonly accountTurns = new Map<string, number>();
  private server!: LoopbackServer;

  private constructor(opts: ModelServerOptions) {
    this.responder = opts.responder ?? defaultResponder;
    this.delayMs = opts.delayMs ?? 0;
  }

  /** Listen on 127.0.0.1 with a kernel-chosen port. */
  static async start(opts: ModelServerOptions = {}): Promise<ModelServer> {
    const ms = new ModelServer(opts);
    ms.server = await LoopbackServer.start({ answer: (req) => ms.answer(req) });
    return ms;
  }

  /** Every request, in arrival order. */
  get requests(): RecordedRequest[] {
    return this.server.requests;
  }
  get port(): number {
    return this.server.port;
  }
  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return this.server.url;
  }
  /** The provider `base_url` for codex's config: codex POSTs to `{baseUrl}/responses`. */
  get baseUrl(): string {
    return this.server.baseUrl;
  }

  /** The whole URL of the token endpoint (CODEX_REFRESH_TOKEN_URL_OVERRIDE). */
  get tokenUrl(): string {
    return `${this.server.url}/oauth/token`;
  }
  /** codex's `chatgpt_base_url`: its backend calls (wham/accounts/check) stay here. */
  get chatgptBaseUrl(): string {
    return `${this.server.url}/backend-api`;
  }

  setResponder(responder: Responder | null): void {
    this.responder = responder ?? defaultResponder;
  }
  setDelay(ms: number): void {
    this.delayMs = ms;
  }
  /**
   * Rate-limit headers for requests made with this bearer key — or, for a ChatGPT login, this test
   * account's name (the count is then the account's turns) — null: send none.
   */
  setQuota(key: string, quota: QuotaSource | null): void {
    if (quota === null) this.quotas.delete(key);
    else this.quotas.set(key, quota);
  }
  /** Answer this key's (or test ChatGPT account's) /responses requests with 429 usage_limit_reached (null: stop doing so). */
  setUsageLimitReached(key: string, resetsAtEpochSeconds: number | null): void {
    if (resetsAtEpochSeconds === null) this.usageLimits.delete(key);
    else this.usageLimits.set(key, resetsAtEpochSeconds);
  }

  /** Only the model calls for user turns (not the TUI's title request, not other paths). */
  get turnRequests(): RecordedRequest[] {
    return this.server.turnRequests;
  }

  /** Resolve once at least `n` requests (matching `filter`, default: user-turn model calls) have arrived. */
  waitForRequests(n: number, timeoutMs: number, filter: ((r: RecordedRequest) => boolean) | undefined = isTurnRequest): Promise<RecordedRequest[]> {
    const now = this.matching(filter);
    if (now.length >= n) return Promise.resolve(now);
    if (this.server.closed) return Promise.reject(new Error("model server is closed"));
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
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error("model server closed while waiting for requests"));
    }
    this.waiters.clear();
    await this.server.close();
  }

  private matching(filter: ((r: RecordedRequest) => boolean) | undefined): RecordedRequest[] {
    return filter ? this.requests.filter(filter) : [...this.requests];
  }

  private async answer(rec: RecordedRequest): Promise<Reply | null> {
    this.notifyWaiters();
    if (rec.kind === "other") {
      if (rec.method === "POST" && rec.path === "/oauth/token") return this.chatgpt.tokenEndpoint(rec.body);
      if (rec.method === "GET" && rec.path.endsWith("/wham/accounts/check")) return this.chatgpt.accountCheck(headerValue(rec.headers, "chatgpt-account-id"), rec.bearerKey);
      return null;
    }
    const denied = this.chatgpt.checkModelCall(rec.seq, rec.bearerKey, headerValue(rec.headers, "chatgpt-account-id"));
    if (denied) return denied;
    // A ChatGPT login's bearer changes at every refresh: its quota follows the account's name.
    const chatgptAccount = rec.bearerKey !== null ? this.chatgpt.ownerOfToken(rec.bearerKey)?.account : undefined;
    const key = chatgptAccount ?? rec.bearerKey;
    let count = rec.countForKey;
    if (chatgptAccount !== undefined) {
      count = (this.accountTurns.get(chatgptAccount) ?? 0) + (rec.kind === "turn" ? 1 : 0);
      if (rec.kind === "turn") this.accountTurns.set(chatgptAccount, count);
    }
    const quotaSrc = key !== null ? this.quotas.get(key) : undefined;
    const quota = quotaSrc === undefined ? {} : typeof quotaSrc === "function" ? quotaSrc(count, rec) : quotaSrc;
    const limitResetsAt = key !== null ? this.usageLimits.get(key) : undefined;
    const reply: Reply = limitResetsAt !== undefined ? { status: 429, body: usageLimitBody(limitResetsAt) } : await this.responder(rec);
    return {
      ...reply,
      text: reply.text ?? (defaultResponder(rec) as Reply).text ?? "",
      delayMs: reply.delayMs ?? this.delayMs,
      headers: { ...quotaHeaders(quota), ...(reply.headers ?? {}) },
    };
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
