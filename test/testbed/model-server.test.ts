// The loopback model server on its own (no codex): the demo's server and its `answer` contract; the
// test bed's recording server: per-key quota headers, 429 mode, delay, waiting with a deadline, and
// close() ending open streams.
import http from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startModelServer as startLoopbackServer, type Reply } from "../../lib/demo/model-server.js";
import { promptOf, quotaHeaders, requestKindOf, sessionIdOf, userTextsOf } from "../../lib/demo/responses-protocol.js";
import { startModelServer, type ModelServer } from "./model-server.js";

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
      let b = "";
      res.setEncoding("utf8").on("data", (d: string) => (b += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

const turnBody = (text: string) => ({
  model: "m",
  input: [
    { type: "message", role: "user", content: [{ type: "input_text", text: "<environment_context>x</environment_context>" }] },
    { type: "message", role: "user", content: [{ type: "input_text", text }] },
  ],
});

function sseEvents(body: string): Array<{ type: string } & Record<string, unknown>> {
  return body
    .split("\n\n")
    .filter((b) => b.includes("data: "))
    .map((b) => JSON.parse(b.slice(b.indexOf("data: ") + 6)) as { type: string });
}

describe("pure parts", () => {
  it("quotaHeaders sends only given fields", () => {
    expect(quotaHeaders({ primaryUsedPercent: 60, primaryWindowMinutes: 300 })).toEqual({
      "x-codex-primary-used-percent": "60",
      "x-codex-primary-window-minutes": "300",
    });
    expect(quotaHeaders({ secondaryUsedPercent: 1.5, secondaryResetAt: 123 })).toEqual({
      "x-codex-secondary-used-percent": "1.5",
      "x-codex-secondary-reset-at": "123",
    });
  });
  it("user texts, prompt (skips injected context blocks), session id from headers", () => {
    const texts = userTextsOf(turnBody("hello"));
    expect(texts).toEqual(["<environment_context>x</environment_context>", "hello"]);
    expect(promptOf(texts)).toBe("hello");
    expect(promptOf(["<environment_context>only</environment_context>"])).toBe("<environment_context>only</environment_context>");
    expect(userTextsOf({ input: "not an array" })).toEqual([]);
    expect(sessionIdOf({ "x-codex-window-id": "0199-abc:3" }).sessionId).toBe("0199-abc");
    expect(sessionIdOf({ "x-codex-turn-metadata": '{"session_id":"s1","thread_id":"t1"}', "x-codex-window-id": "w:0" }).sessionId).toBe("s1");
    expect(sessionIdOf({}).sessionId).toBeNull();
  });
  it("request kinds", () => {
    expect(requestKindOf("GET", "/v1/models", null, null)).toBe("other");
    expect(requestKindOf("POST", "/v1/responses", {}, { thread_source: "user" })).toBe("turn");
    expect(requestKindOf("POST", "/v1/responses", {}, { thread_source: "thread_title" })).toBe("title");
  });
});

describe("ModelServer", () => {
  let s: ModelServer;
  beforeEach(async () => {
    s = await startModelServer();
  });
  afterEach(async () => {
    await s.close();
  });

  it("listens on 127.0.0.1 and streams a Responses-API reply; records the request", async () => {
    expect(s.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const r = await post(`${s.baseUrl}/responses`, turnBody("hi"), {
      authorization: "Bearer sk-one",
      "x-codex-window-id": "sess-1:0",
    });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/event-stream");
    const ev = sseEvents(r.body);
    expect(ev.map((e) => e.type)).toEqual([
      "response.created",
      "response.output_item.added",
      "response.output_text.delta",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(JSON.stringify(ev[3])).toContain('Mock reply 1: you said \\"hi\\".');
    const [rec] = s.requests;
    expect(rec).toMatchObject({ method: "POST", path: "/v1/responses", bearerKey: "sk-one", authorization: "Bearer sk-one", sessionId: "sess-1", prompt: "hi", kind: "turn", countForKey: 1 });
  });

  it("per-key quota headers, a function of the key's turn count", async () => {
    const climb = [60, 85, 96];
    s.setQuota("sk-a", (n) => ({ primaryUsedPercent: climb[Math.min(n, climb.length) - 1], primaryWindowMinutes: 300 }));
    s.setQuota("sk-b", { primaryUsedPercent: 5 });
    const got: string[] = [];
    for (const key of ["sk-a", "sk-a", "sk-b", "sk-a", "sk-a"]) {
      const r = await post(`${s.baseUrl}/responses`, turnBody("q"), { authorization: `Bearer ${key}` });
      got.push(`${key}:${String(r.headers["x-codex-primary-used-percent"])}`);
    }
    expect(got).toEqual(["sk-a:60", "sk-a:85", "sk-b:5", "sk-a:96", "sk-a:96"]);
    const none = await post(`${s.baseUrl}/responses`, turnBody("q"), { authorization: "Bearer sk-unknown" });
    expect(none.headers["x-codex-primary-used-percent"]).toBeUndefined();
  });

  it("429 usage_limit_reached mode per key, and responder-chosen status/body", async () => {
    s.setUsageLimitReached("sk-a", 2_000_000_000);
    const r = await post(`${s.baseUrl}/responses`, turnBody("q"), { authorization: "Bearer sk-a" });
    expect(r.status).toBe(429);
    expect(JSON.parse(r.body)).toMatchObject({ error: { type: "usage_limit_reached", resets_at: 2_000_000_000 } });
    s.setUsageLimitReached("sk-a", null);
    s.setResponder(() => ({ status: 503, body: { error: { type: "overloaded" } }, headers: { "x-extra": "1" } }));
    const r2 = await post(`${s.baseUrl}/responses`, turnBody("q"), { authorization: "Bearer sk-a" });
    expect(r2.status).toBe(503);
    expect(r2.headers["x-extra"]).toBe("1");
  });

  it("other paths get 404 and are recorded as kind other", async () => {
    const r = await new Promise<number>((resolve, reject) => {
      http.get(`${s.baseUrl}/models`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject);
    });
    expect(r).toBe(404);
    expect(s.requests[0]).toMatchObject({ method: "GET", path: "/v1/models", kind: "other", countForKey: 0 });
  });

  it("waitForRequests resolves on arrival and rejects at its deadline naming what came", async () => {
    const waiting = s.waitForRequests(2, 5000);
    await post(`${s.baseUrl}/responses`, turnBody("a"));
    await post(`${s.baseUrl}/responses`, turnBody("b"));
    expect((await waiting).map((r) => r.prompt)).toEqual(["a", "b"]);
    await expect(s.waitForRequests(3, 100)).rejects.toThrow(/waited 100 ms for 3 request\(s\), got 2/);
  });

  it("delay holds the stream open after response.created; close() ends it", async () => {
    s.setDelay(60_000);
    const started = Date.now();
    const pending = post(`${s.baseUrl}/responses`, turnBody("slow")).catch((e: Error) => e);
    await s.waitForRequests(1, 5000);
    await s.close();
    const res = await pending;
    expect(Date.now() - started).toBeLessThan(10_000);
    // Either the socket was cut (error) or the body ended early without response.completed.
    if (!(res instanceof Error)) expect(res.body).not.toContain("response.completed");
  });

  it("a short delay still completes the stream", async () => {
    const started = Date.now();
    s.setResponder(() => ({ text: "late", delayMs: 300 }));
    const r = await post(`${s.baseUrl}/responses`, turnBody("x"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(sseEvents(r.body).map((e) => e.type)).toContain("response.completed");
  });
});

describe("the demo's server (lib/demo/model-server.ts)", () => {
  it("asks `answer` about every request: a stream for model calls, JSON for other paths, 404 for null", async () => {
    const seen: string[] = [];
    const s = await startLoopbackServer({
      answer: (req): Reply | null => {
        seen.push(`${req.kind}:${req.path}`);
        if (req.path === "/v1/json") return { body: { ok: true }, headers: { "x-a": "1" } };
        if (req.kind === "other") return null;
        return { text: `n=${req.countForKey}`, headers: { "x-codex-primary-used-percent": "7" } };
      },
    });
    try {
      const r = await post(`${s.baseUrl}/responses`, turnBody("hi"), { authorization: "Bearer sk-x" });
      expect(r.headers["x-codex-primary-used-percent"]).toBe("7");
      expect(JSON.stringify(sseEvents(r.body)[3])).toContain("n=1");
      const j = await post(`${s.baseUrl}/json`, {});
      expect([j.status, JSON.parse(j.body), j.headers["x-a"]]).toEqual([200, { ok: true }, "1"]);
      const n = await post(`${s.baseUrl}/nothing`, {});
      expect(n.status).toBe(404);
      expect(seen).toEqual(["turn:/v1/responses", "other:/v1/json", "other:/v1/nothing"]);
      expect(s.turnRequests.map((t) => t.bearerKey)).toEqual(["sk-x"]);
    } finally {
      await s.close();
    }
  });
});
