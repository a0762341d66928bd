// The test bed's ChatGPT authority on its own (no codex): JWT-shaped logins, rotating refresh tokens,
// reuse → 401 refresh_token_reused and the whole login revoked, stale access tokens, the account check.
import http from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { identityFromAuth } from "../../lib/accounts/jwt.js";
import { ChatgptAuthority } from "./chatgpt-auth.js";
import { startModelServer, type ModelServer } from "./model-server.js";

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

function request(url: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; headers?: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { "content-type": "application/json", ...headers } }, (res) => {
      let b = "";
      res.setEncoding("utf8").on("data", (d: string) => (b += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: b.startsWith("{") ? JSON.parse(b) : b, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe("ChatgptAuthority", () => {
  it("a login is an auth.json with JWT-shaped tokens: email, plan, account and user id claims, exp as asked", () => {
    const a = new ChatgptAuthority();
    const acct = a.addAccount({ name: "alpha", plan: "pro" });
    const before = Math.floor(Date.now() / 1000);
    const login = a.login("alpha", { accessTtlSec: 120 });
    expect(login).toMatchObject({ auth_mode: "chatgpt", tokens: { account_id: acct.accountId } });
    expect(identityFromAuth(login)).toEqual({ email: "alpha@example.test", plan: "pro", accountId: acct.accountId, userId: acct.userId });
    const at = claims(login.tokens!.access_token);
    expect(at.exp as number).toBeGreaterThanOrEqual(before + 120);
    expect(at.exp as number).toBeLessThanOrEqual(before + 121);
    expect(JSON.parse(Buffer.from(login.tokens!.id_token.split(".")[0]!, "base64url").toString())).toEqual({ alg: "none", typ: "JWT" });
  });

  it("refresh rotates; a consumed token again → 401 refresh_token_reused and the whole login is revoked", () => {
    const a = new ChatgptAuthority();
    a.addAccount({ name: "alpha" });
    const rt0 = a.login("alpha").tokens!.refresh_token;
    const r1 = a.tokenEndpoint({ grant_type: "refresh_token", refresh_token: rt0 });
    expect(r1.status).toBe(200);
    const rt1 = (r1.body as { refresh_token: string }).refresh_token;
    expect(rt1).not.toBe(rt0);
    expect(a.latestRefreshToken("alpha")).toBe(rt1);
    const again = a.tokenEndpoint({ grant_type: "refresh_token", refresh_token: rt0 });
    expect(again).toMatchObject({ status: 401, body: { error: { code: "refresh_token_reused" } } });
    expect(a.tokenEndpoint({ grant_type: "refresh_token", refresh_token: rt1 })).toMatchObject({ status: 401, body: { error: { code: "refresh_token_invalidated" } } });
    expect(a.tokenRequests.map((t) => t.outcome)).toEqual(["refreshed", "reused", "revoked"]);
    expect([a.refreshCount, a.reuseCount]).toEqual([1, 1]);
    expect(a.tokenEndpoint({ grant_type: "refresh_token", refresh_token: "rt_nobody" }).status).toBe(401);
    expect(a.tokenEndpoint({ grant_type: "password" }).status).toBe(400);
  });

  it("model calls are attributed; stale access tokens rejected only when asked; expired ones always", () => {
    const a = new ChatgptAuthority();
    a.addAccount({ name: "alpha" });
    const login = a.login("alpha");
    const at0 = login.tokens!.access_token;
    const at1 = (a.tokenEndpoint({ grant_type: "refresh_token", refresh_token: login.tokens!.refresh_token }).body as { access_token: string }).access_token;
    expect(a.checkModelCall(1, at0, null)).toBeNull();
    a.rejectStaleAccessTokens();
    expect(a.checkModelCall(2, at0, null)?.status).toBe(401);
    expect(a.checkModelCall(3, at1, null)).toBeNull();
    expect(a.checkModelCall(4, "sk-api-key", null)).toBeNull();
    a.expireAccessTokens("alpha");
    expect(a.checkModelCall(5, at1, null)?.status).toBe(401);
    expect(a.modelAuths.map((m) => [m.account, m.generation, m.current, m.rejected])).toEqual([
      ["alpha", 0, false, false],
      ["alpha", 0, false, true],
      ["alpha", 1, true, false],
      [null, null, false, false],
      ["alpha", 1, true, true],
    ]);
  });
});

describe("the model server's ChatGPT endpoints", () => {
  let s: ModelServer;
  beforeEach(async () => {
    s = await startModelServer();
  });
  afterEach(async () => {
    await s.close();
  });

  it("POST tokenUrl refreshes, GET …/wham/accounts/check names the account, a rejected token gets 401 on /responses", async () => {
    const acct = s.chatgpt.addAccount({ name: "alpha" });
    const login = s.chatgpt.login("alpha");
    const r = await request(s.tokenUrl, "POST", { grant_type: "refresh_token", refresh_token: login.tokens!.refresh_token, client_id: "x" });
    expect(r.status).toBe(200);
    const { headers: _h, ...check } = await request(`${s.chatgptBaseUrl}/wham/accounts/check`, "GET", undefined, { "chatgpt-account-id": acct.accountId });
    expect(check).toEqual({
      status: 200,
      json: { accounts: [{ id: acct.accountId, workspace_backend_origin: "https://chatgpt.com", account_routing_override: "NO_CONSTRAINT" }], account_ordering: [acct.accountId] },
    });
    s.chatgpt.rejectStaleAccessTokens();
    const stale = await request(`${s.baseUrl}/responses`, "POST", { input: [] }, { authorization: `Bearer ${login.tokens!.access_token}` });
    expect(stale.status).toBe(401);
    s.setQuota("alpha", { primaryUsedPercent: 12 });
    const fresh = (r.json as { access_token: string }).access_token;
    const ok = await request(`${s.baseUrl}/responses`, "POST", { input: [] }, { authorization: `Bearer ${fresh}` });
    expect(ok.status).toBe(200);
    // A ChatGPT login's quota follows the account's name across refreshes.
    expect(ok.headers!["x-codex-primary-used-percent"]).toBe("12");
  });
});
