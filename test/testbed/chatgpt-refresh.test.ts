// Facts about ChatGPT logins in the pinned real codex (0.169.0 and 0.171.0 alike), measured offline
// against the test bed's token endpoint and backend (chatgpt-auth.ts). The accounts half (lineage,
// the login watcher) and the supervisor's "login changed" event are built on exactly these: if an
// upgrade breaks one, look there first.
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { unsignedJwt } from "./chatgpt-auth.js";
import { startModelServer, type ModelServer } from "./model-server.js";
import { makeChatgptCodexHome, REAL_CODEX_NATIVE, runCodexExec, type ChatgptCodexHome } from "../helpers/codex-home.js";
import { pollUntil } from "../helpers/poll.js";
import { commOf, descendantsOf, expectNoLeftovers, killTracked, track, type TrackedProcess } from "../helpers/processes.js";
import { CODEX_COMPOSER_READY, quitCodexTui, startShell, submitCodexPrompt, type TmuxSession } from "../helpers/tmux.js";

const SIGNED_IN_ELSEWHERE = /could not be refreshed because you have since logged out or signed in to another account/;
const REUSED = /refresh token was already used/;

/** Refreshes and reuses seen by every test of this file (the report's figures). */
const tally = { refreshes: 0, reuses: 0 };

describe("pinned codex with ChatGPT logins (offline)", () => {
  let server: ModelServer;
  const homes: ChatgptCodexHome[] = [];
  let t: TmuxSession | null = null;
  let started: TrackedProcess[] = [];
  /** Set by the one test that presents a consumed refresh token on purpose. */
  let provokesReuse = false;

  beforeEach(async () => {
    provokesReuse = false;
    server = await startModelServer();
    server.chatgpt.addAccount({ name: "alpha" });
    server.chatgpt.addAccount({ name: "beta" });
    started = [];
  });
  afterEach(async () => {
    tally.refreshes += server.chatgpt.refreshCount;
    tally.reuses += server.chatgpt.reuseCount;
    const reuses = server.chatgpt.reuseCount;
    t?.kill();
    t = null;
    killTracked(started);
    await server.close();
    for (const h of homes.splice(0)) h.cleanup();
    if (!provokesReuse) expect(reuses, "a refresh token was presented twice").toBe(0);
  });
  afterAll(() => {
    console.log(`chatgpt-refresh facts: ${tally.refreshes} refreshes, ${tally.reuses} refresh-token reuses (all provoked on purpose)`);
  });

  const home = (auth: unknown): ChatgptCodexHome => {
    const h = makeChatgptCodexHome({ server, auth });
    homes.push(h);
    return h;
  };

  it("exec: a due access token is refreshed before the first request; auth.json is replaced by rename", async () => {
    const login = server.chatgpt.login("alpha", { accessTtlSec: 60 });
    const h = home(login);
    const before = fs.statSync(h.authPath);
    const r = await runCodexExec(h, "refresh me");
    expect(r.code, r.stderr).toBe(0);

    const [tok, ...more] = server.chatgpt.tokenRequests;
    expect(more).toEqual([]);
    expect(tok).toMatchObject({ grantType: "refresh_token", refreshReason: "proactive_expiry", refreshToken: login.tokens!.refresh_token, outcome: "refreshed", account: "alpha" });
    expect(typeof tok!.clientId).toBe("string");
    // The model call carried the refreshed access token, and the account id header from auth.json.
    const calls = server.chatgpt.modelAuths.filter((m) => server.requests.find((q) => q.seq === m.seq)?.kind === "turn");
    expect(calls).toEqual([expect.objectContaining({ account: "alpha", generation: 1, current: true, accountHeader: server.chatgpt.account("alpha").accountId })]);

    const after = fs.statSync(h.authPath);
    expect(after.ino).not.toBe(before.ino); // rename over auth.json, not an in-place rewrite
    expect(after.mode & 0o777).toBe(0o600);
    const now = h.readAuth();
    expect(now.tokens!.refresh_token).toBe(server.chatgpt.latestRefreshToken("alpha"));
    expect(now.tokens!.refresh_token).not.toBe(login.tokens!.refresh_token);
    expect(now.tokens!.account_id).toBe(login.tokens!.account_id);
    expect(Date.parse(now.last_refresh!)).toBeGreaterThan(Date.parse(login.last_refresh!));
    // Its lock files stay behind.
    expect(fs.existsSync(path.join(h.home, "auth.lock"))).toBe(true);
    expect(server.chatgpt.reuseCount).toBe(0);
  });

  it("exec: a token not due is not refreshed; two 401s in a row make codex refresh (unauthorized_recovery)", async () => {
    const h = home(server.chatgpt.login("alpha"));
    expect((await runCodexExec(h, "no refresh")).code).toBe(0);
    expect(server.chatgpt.tokenRequests).toEqual([]);

    server.chatgpt.expireAccessTokens("alpha");
    const r = await runCodexExec(h, "after expiry");
    expect(r.code, r.stderr).toBe(0);
    expect(server.chatgpt.tokenRequests.map((x) => [x.refreshReason, x.outcome])).toEqual([["unauthorized_recovery", "refreshed"]]);
    const turns = server.chatgpt.modelAuths.filter((m) => server.requests.find((q) => q.seq === m.seq)?.kind === "turn");
    // Turn 1: gen 0. Turn 2: gen 0 rejected twice (the first 401 only re-reads auth.json), then gen 1.
    expect(turns.map((m) => [m.generation, m.rejected])).toEqual([
      [0, false],
      [0, true],
      [0, true],
      [1, false],
    ]);
  });

  it("exec: a consumed refresh token presented again is refused (401 refresh_token_reused) and the turn fails", async () => {
    provokesReuse = true;
    const login = server.chatgpt.login("alpha", { accessTtlSec: 60 });
    const h = home(login);
    expect((await runCodexExec(h, "first refresh")).code).toBe(0);
    // A stale copy put back — what an account switcher that lost the new token would do.
    h.setAuth(login);
    const r = await runCodexExec(h, "stale copy");
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(REUSED);
    // Measured: the one exec presents the consumed token several times (each of its parts that needs
    // the login refreshes on its own), every one of them a reuse.
    const [first, ...rest] = server.chatgpt.tokenRequests;
    expect(first!.outcome).toBe("refreshed");
    expect(rest.length).toBeGreaterThanOrEqual(1);
    expect(rest.every((x) => x.outcome === "reused" && x.refreshToken === login.tokens!.refresh_token)).toBe(true);
    // As the real endpoint does, the whole login is revoked: even the newest refresh token is dead now.
    expect(server.chatgpt.tokenEndpoint({ grant_type: "refresh_token", refresh_token: server.chatgpt.latestRefreshToken("alpha") }).status).toBe(401);
    // The stale copy's access token belongs to the revoked login: every model call it made was refused.
    const turns = server.turnRequests.map((q) => server.chatgpt.modelAuths.find((m) => m.seq === q.seq)!);
    expect(turns[0]).toMatchObject({ generation: 1, rejected: false });
    expect(turns.length).toBeGreaterThan(1);
    expect(turns.slice(1).every((m) => m.generation === 0 && m.rejected)).toBe(true);
  });

  it("an id_token with an empty signature part is no JWT to codex: it then sends no Authorization at all", async () => {
    const login = server.chatgpt.login("alpha");
    const parts = login.tokens!.id_token.split(".");
    const h = home({ ...login, tokens: { ...login.tokens!, id_token: `${parts[0]}.${parts[1]}.` } });
    expect((await runCodexExec(h, "empty signature")).code).toBe(0);
    expect(server.turnRequests.map((q) => q.authorization)).toEqual([null]);
    // The same claims with a signature part are used.
    h.setAuth({ ...login, tokens: { ...login.tokens!, id_token: unsignedJwt(JSON.parse(Buffer.from(parts[1]!, "base64url").toString())) } });
    expect((await runCodexExec(h, "with signature")).code).toBe(0);
    expect(server.turnRequests[1]!.authorization).toBe(`Bearer ${login.tokens!.access_token}`);
  });

  describe("TUI (tmux, --no-daemon)", () => {
    const startTui = async (h: ChatgptCodexHome): Promise<{ t: TmuxSession; pid: number }> => {
      const tt = startShell({ env: h.env, cwd: h.workDir, cols: 120, rows: 40 });
      await tt.waitFor(/READY\$ $/m, 10_000);
      tt.sendText(`${REAL_CODEX_NATIVE} --no-daemon`);
      tt.sendKeys("Enter");
      const pid = await pollUntil(() => descendantsOf(tt.panePid()).find((p) => commOf(p.pid) === "codex")?.pid, 10_000, "the codex TUI process");
      started.push(track(pid)!);
      await tt.waitFor(CODEX_COMPOSER_READY, 30_000);
      return { t: tt, pid };
    };
    const quit = async (tt: TmuxSession, pid: number) => {
      const tree = [track(pid) ?? pid, ...descendantsOf(pid)];
      await quitCodexTui(tt, (s) => /READY\$ $/.test(s.trimEnd() + " ") && /To continue|Token usage|codex resume/.test(s));
      await expectNoLeftovers(tree);
    };

    it("refreshes a due token through the test bed (wham/accounts/check answered), and the prompt carries the new token", async () => {
      const h = home(server.chatgpt.login("alpha", { accessTtlSec: 60 }));
      const tui = await startTui(h);
      t = tui.t;
      await submitCodexPrompt(t, "tui refresh");
      await t.waitFor(/Mock reply 1/, 30_000);
      expect(server.requests.some((q) => q.method === "GET" && q.path === "/backend-api/wham/accounts/check")).toBe(true);
      expect(server.chatgpt.tokenRequests.map((x) => [x.refreshReason, x.outcome])).toEqual([["proactive_expiry", "refreshed"]]);
      const [turn] = server.turnRequests;
      expect(server.chatgpt.ownerOfToken(turn!.bearerKey!)).toEqual({ account: "alpha", generation: 1 });
      expect(h.readAuth().tokens!.refresh_token).toBe(server.chatgpt.latestRefreshToken("alpha"));
      await quit(t, tui.pid);
    });

    it("a second codex sharing auth.json adopts another's refresh without calling the endpoint", async () => {
      const h = home(server.chatgpt.login("alpha"));
      const tui = await startTui(h);
      t = tui.t;
      await submitCodexPrompt(t, "before");
      await t.waitFor(/Mock reply 1/, 30_000);
      // Another codex on the same CODEX_HOME refreshes (its token "expired"): auth.json gets gen 1.
      server.chatgpt.expireAccessTokens("alpha");
      expect((await runCodexExec(h, "other terminal")).code).toBe(0);
      expect(server.chatgpt.refreshCount).toBe(1);
      // The TUI still holds gen 0 in memory: 401 → it re-reads auth.json, finds the same account
      // refreshed, and uses it. No second token request.
      await submitCodexPrompt(t, "after");
      await t.waitFor(/Mock reply 2/, 30_000);
      expect(server.chatgpt.tokenRequests).toHaveLength(1);
      const last = server.turnRequests.at(-1)!;
      expect(last.prompt).toBe("after");
      expect(server.chatgpt.ownerOfToken(last.bearerKey!)).toEqual({ account: "alpha", generation: 1 });
      await quit(t, tui.pid);
    });

    it("a codex whose token falls due re-reads auth.json first: another's refresh of the same account is adopted", async () => {
      // Due (≤ 300 s left) 12 s from now: long enough for the TUI to start on it without refreshing.
      const login = server.chatgpt.login("alpha", { accessTtlSec: 312 });
      const dueAt = (JSON.parse(Buffer.from(login.tokens!.access_token.split(".")[1]!, "base64url").toString()) as { exp: number }).exp * 1000 - 300_000;
      const h = home(login);
      const tui = await startTui(h);
      t = tui.t;
      await submitCodexPrompt(t, "not due yet");
      await t.waitFor(/Mock reply 1/, 30_000);
      expect(server.chatgpt.tokenRequests, "the TUI took more than 12 s to start and answer, so its token was due already").toEqual([]);
      // The clock, not a race: wait until the token is due for every codex.
      await pollUntil(() => (Date.now() > dueAt + 500 ? true : undefined), 20_000, "alpha's access token to fall due", 100);
      expect((await runCodexExec(h, "other terminal refreshes")).code).toBe(0);
      expect(server.chatgpt.tokenRequests.map((x) => [x.refreshReason, x.outcome])).toEqual([["proactive_expiry", "refreshed"]]);
      await submitCodexPrompt(t, "due now");
      await t.waitFor(/Mock reply 2/, 30_000);
      expect(server.chatgpt.tokenRequests).toHaveLength(1);
      expect(server.chatgpt.ownerOfToken(server.turnRequests.at(-1)!.bearerKey!)).toEqual({ account: "alpha", generation: 1 });
      await quit(t, tui.pid);
    });

    it("refuses an auth.json that now holds another account: 'signed in to another account', no token request", async () => {
      const h = home(server.chatgpt.login("alpha"));
      const tui = await startTui(h);
      t = tui.t;
      await submitCodexPrompt(t, "on alpha");
      await t.waitFor(/Mock reply 1/, 30_000);
      // Another terminal rotated CODEX_HOME to beta; then alpha's token in this TUI's memory expires.
      h.setAuth(server.chatgpt.login("beta"));
      server.chatgpt.expireAccessTokens("alpha");
      await submitCodexPrompt(t, "still alpha?");
      await t.waitFor(SIGNED_IN_ELSEWHERE, 30_000);
      expect(server.chatgpt.tokenRequests).toEqual([]);
      // Only alpha's (rejected) token was tried; beta's login was never used by this codex.
      expect(server.chatgpt.modelAuths.filter((m) => m.account === "beta")).toEqual([]);
      expect(h.readAuth().tokens!.account_id).toBe(server.chatgpt.account("beta").accountId);
      await quit(t, tui.pid);
    });
  });
});
