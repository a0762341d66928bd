import { describe, expect, it } from "vitest";
import { decodeJwtPayload, identityFromAuth, identityFromIdToken } from "../../lib/accounts/jwt.js";
import { ownershipOf, sameJson } from "../../lib/accounts/owner.js";
import { accountKindOf, parseAuthBlob } from "../../lib/accounts/schema.js";
import { apiKeyAuth, chatgptAuth, fakeJwt, idToken } from "./fixtures.js";

describe("jwt: identity from id_token claims, offline", () => {
  it("reads email, plan, account id and user id where codex reads them", () => {
    expect(identityFromIdToken(idToken({ email: "a@x.io", plan: "pro", accountId: "acc-1", userId: "u-1" }))).toEqual({
      email: "a@x.io",
      plan: "pro",
      accountId: "acc-1",
      userId: "u-1",
    });
  });
  it("falls back to the profile claim for email and to user_id for the user", () => {
    const t = fakeJwt({ "https://api.openai.com/profile": { email: "p@x.io" }, "https://api.openai.com/auth": { user_id: "u-old" } });
    expect(identityFromIdToken(t)).toEqual({ email: "p@x.io", userId: "u-old" });
  });
  it("garbage gives no identity and never throws", () => {
    const garbage: unknown[] = [
      undefined, null, 42, "", "abc", "a.b", "a.b.c.d", "..", "a..c", "x.!!!.y",
      `x.${Buffer.from("not json").toString("base64url")}.y`,
      `x.${Buffer.from("[1,2]").toString("base64url")}.y`,
      `x.${Buffer.from('"str"').toString("base64url")}.y`,
      fakeJwt({ email: 5, "https://api.openai.com/auth": "nope" }),
      fakeJwt({ "https://api.openai.com/auth": { chatgpt_plan_type: { nested: true } } }),
    ];
    for (const g of garbage) expect(identityFromIdToken(g)).toEqual({});
    expect(decodeJwtPayload("a.b")).toBeNull();
  });
  it("tokens.account_id wins over the claim; an API key has no identity", () => {
    const a = chatgptAuth("amy");
    a.tokens!.account_id = "acct-from-tokens";
    expect(identityFromAuth(a).accountId).toBe("acct-from-tokens");
    expect(identityFromAuth(apiKeyAuth("k"))).toEqual({});
  });
});

describe("ownership: does codex's auth.json belong to the stored account?", () => {
  it("refreshed tokens of the same login: same", () => {
    expect(ownershipOf(chatgptAuth("amy", 2), chatgptAuth("amy", 1))).toBe("same");
  });
  it("another login: different", () => {
    expect(ownershipOf(chatgptAuth("bob", 1), chatgptAuth("amy", 1))).toBe("different");
  });
  it("same workspace, different user: different", () => {
    const a = chatgptAuth("amy");
    const b = chatgptAuth("bob");
    b.tokens!.account_id = a.tokens!.account_id;
    b.tokens!.id_token = idToken({ accountId: "acct-amy", userId: "user-bob" });
    expect(ownershipOf(b, a)).toBe("different");
  });
  it("no ids to compare: different (never clobber on doubt), unless the refresh token is the same", () => {
    const a = chatgptAuth("amy");
    const b = structuredClone(a);
    a.tokens!.account_id = null;
    a.tokens!.id_token = "garbage";
    b.tokens!.account_id = null;
    b.tokens!.id_token = "garbage";
    b.tokens!.access_token = "new";
    expect(ownershipOf(b, a)).toBe("same");
    b.tokens!.refresh_token = "other";
    expect(ownershipOf(b, a)).toBe("different");
  });
  it("API keys: same key only; kinds differ: different", () => {
    expect(ownershipOf(apiKeyAuth("k"), apiKeyAuth("k"))).toBe("same");
    expect(ownershipOf(apiKeyAuth("k"), apiKeyAuth("j"))).toBe("different");
    expect(ownershipOf(apiKeyAuth("k"), chatgptAuth("k"))).toBe("different");
  });
  it("sameJson ignores key order and undefined fields", () => {
    expect(sameJson({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1, d: undefined })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameJson([1], { 0: 1 })).toBe(false);
  });
});

describe("auth blob validation", () => {
  it("accepts codex's API-key and ChatGPT shapes and keeps unknown fields", () => {
    expect(accountKindOf(parseAuthBlob({ auth_mode: "apikey", OPENAI_API_KEY: "sk-1" }))).toBe("api-key");
    const withExtra = parseAuthBlob({ ...chatgptAuth("amy"), agent_identity: { x: 1 } });
    expect(accountKindOf(withExtra)).toBe("chatgpt");
    expect((withExtra as Record<string, unknown>).agent_identity).toEqual({ x: 1 });
    // An older auth.json without auth_mode but with tokens is a ChatGPT login.
    const { auth_mode: _drop, ...noMode } = chatgptAuth("amy");
    expect(accountKindOf(parseAuthBlob(noMode))).toBe("chatgpt");
  });
  it("names what is wrong, never the value", () => {
    expect(() => parseAuthBlob({ OPENAI_API_KEY: "" })).toThrow(/neither `tokens`/);
    expect(() => parseAuthBlob({ tokens: { id_token: "x", access_token: "SECRET-ACCESS-zz" } })).toThrow(/tokens\.refresh_token/);
    let message = "";
    try {
      parseAuthBlob({ tokens: { id_token: 5, access_token: "SECRET-ACCESS-zz", refresh_token: "" } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/tokens\.id_token/);
    expect(message).toMatch(/tokens\.refresh_token/);
    expect(message).not.toContain("SECRET");
    expect(() => parseAuthBlob([])).toThrow();
    expect(() => parseAuthBlob("sk-x")).toThrow();
  });
});
