// One CODEX_HOME, one login, several terminals — with ChatGPT logins that the real codex refreshes
// against the test bed's token endpoint (test/testbed/chatgpt-auth.ts), the TUIs in tmux.
// The token endpoint answers a refresh token presented twice with 401 refresh_token_reused and
// revokes the login, as the real one does; stale access tokens of a refreshed login are rejected
// (standing for their expiry). What must hold, in every scenario:
//   - no refresh token is ever presented twice (no user is logged out by us);
//   - every prompt is answered with a live token of the account auth.json holds;
//   - the store ends holding the newest refresh token issued for each account;
//   - no screen shows codex's "sign in again" errors.
import fs from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { readEvents } from "../helpers/event-log.js";
import { listRollouts } from "../helpers/codex-home.js";
import { CODEX_COMPOSER_READY, submitCodexPrompt } from "../helpers/tmux.js";
import { waitForRecord } from "./harness.js";
import { answeredWith, expectNobodyLoggedOut, rec, sharedBed, tally, type Shared } from "./shared-bed.js";

let bed: Shared | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});
afterAll(() => {
  console.log(`shared-login: ${tally.refreshes} refreshes performed by codex, ${tally.reuses} refresh-token reuses`);
});


describe("several terminals on one CODEX_HOME with ChatGPT logins", () => {
  it("B open on alpha; A refreshes alpha and rotates to beta; B follows before its next prompt, answered by beta's live token", async () => {
    bed = await sharedBed(2);
    const b = bed;
    const [A, B] = [0, 1];
    const idB = await b.codex(B);
    expect(rec(b, idB).account).toBe("alpha");
    b.server.setQuota("alpha", { primaryUsedPercent: 96, primaryWindowMinutes: 300, primaryResetAt: Math.floor(Date.now() / 1000) + 3600 });
    b.server.setQuota("beta", { primaryUsedPercent: 20, primaryWindowMinutes: 300 });

    const idA = await b.codex(A, `"first prompt from A"`);
    const first = await answeredWith(b, "first prompt from A");
    // A's codex refreshed alpha (its token was due) and its turn ran on the refreshed token.
    expect(b.server.chatgpt.tokenRequests[0]).toMatchObject({ outcome: "refreshed", account: "alpha" });
    expect(first.auth).toMatchObject({ account: "alpha", current: true, rejected: false });
    // 96 % → A rotates to beta and resumes its session there.
    await waitForRecord(b.home, idA, (r) => r.account === "beta" && r.restarts === 1 && r.status === "running", "A on beta", 40_000);
    expect(b.h.readAuth().tokens!.account_id).toBe(b.server.chatgpt.account("beta").accountId);
    // B, idle, follows the login within moments: its codex restarts on beta.
    await waitForRecord(b.home, idB, (r) => r.account === "beta" && r.restarts === 1 && r.status === "running", "B on beta", 30_000);
    expect(readEvents(b.home, idB).events.some((e) => e.type === "login" && (e as { action?: string }).action === "follow")).toBe(true);
    await b.terminals[B]!.waitFor(CODEX_COMPOSER_READY, 30_000);

    await submitCodexPrompt(b.terminals[B]!, "prompt from B");
    const fromB = await answeredWith(b, "prompt from B");
    expect(fromB.auth).toMatchObject({ account: "beta", current: true, rejected: false });
    await b.terminals[B]!.waitFor(/Mock reply/, 30_000);
    expectNobodyLoggedOut(b);
  }, 180_000);

  it("three terminals and a rotation back and forth: every terminal follows, every prompt on a live token, no reuse", async () => {
    // alpha's refreshed tokens fall due again 15 s later: going back to alpha refreshes it once more,
    // with the refresh token the first refresh issued — a stale copy in the store would be a reuse.
    bed = await sharedBed(3, { alphaRefreshedTtlSec: 315 });
    const b = bed;
    const [A, B, C] = [0, 1, 2];
    const resetSoon = Math.floor(Date.now() / 1000) + 20;
    b.server.setQuota("alpha", { primaryUsedPercent: 96, primaryWindowMinutes: 300, primaryResetAt: resetSoon });
    b.server.setQuota("beta", { primaryUsedPercent: 10, primaryWindowMinutes: 300 });
    const idB = await b.codex(B);
    const idC = await b.codex(C);
    const idA = await b.codex(A, `"to beta"`);
    await answeredWith(b, "to beta");
    for (const id of [idA, idB, idC]) await waitForRecord(b.home, id, (r) => r.account === "beta" && r.status === "running", `${id} on beta`, 40_000);

    // alpha's window resets; now beta runs low on C's next turn: everyone goes back to alpha.
    await new Promise((r) => setTimeout(r, Math.max(0, resetSoon * 1000 - Date.now() + 500)));
    b.server.setQuota("alpha", { primaryUsedPercent: 5, primaryWindowMinutes: 300 });
    b.server.setQuota("beta", { primaryUsedPercent: 97, primaryWindowMinutes: 300, primaryResetAt: Math.floor(Date.now() / 1000) + 3600 });
    await b.terminals[C]!.waitFor(CODEX_COMPOSER_READY, 30_000);
    await submitCodexPrompt(b.terminals[C]!, "back to alpha");
    const back = await answeredWith(b, "back to alpha");
    expect(back.auth).toMatchObject({ account: "beta", current: true });
    for (const id of [idA, idB, idC]) await waitForRecord(b.home, id, (r) => r.account === "alpha" && r.status === "running", `${id} back on alpha`, 40_000);

    for (const [i, text] of [[A, "A again"], [B, "B again"]] as const) {
      await b.terminals[i]!.waitFor(CODEX_COMPOSER_READY, 30_000);
      await submitCodexPrompt(b.terminals[i]!, text);
      expect((await answeredWith(b, text)).auth).toMatchObject({ account: "alpha", current: true, rejected: false });
    }
    expect(b.server.chatgpt.tokenRequests.filter((t) => t.account === "alpha" && t.outcome === "refreshed").length).toBeGreaterThanOrEqual(2);
    expectNobodyLoggedOut(b);
  }, 240_000);

  it("a turn codex fails with 'signed in to another account' is resumed on the current login and continued", async () => {
    bed = await sharedBed(1);
    const b = bed;
    const id = await b.codex(0);
    await submitCodexPrompt(b.terminals[0]!, "warm up");
    await answeredWith(b, "warm up");
    await b.terminals[0]!.waitFor(/Mock reply/, 30_000);
    // The next turn is under way when another terminal switches CODEX_HOME to beta (`accounts use`);
    // alpha's tokens in this codex's memory expire meanwhile, so codex re-reads auth.json, finds
    // another account and fails the turn.
    let switched = false;
    b.server.setResponder(async (req) => {
      if (req.prompt !== "cut by the switch" || switched) return {};
      switched = true;
      const use = b.cli(["accounts", "use", "beta"]);
      if (use.code !== 0) throw new Error(use.stderr);
      b.server.chatgpt.expireAccessTokens("alpha");
      return { status: 401, body: { error: { message: "access token expired", type: "invalid_request_error", code: "token_expired" } } };
    });
    await submitCodexPrompt(b.terminals[0]!, "cut by the switch");
    const cont = await answeredWith(b, "Continue the task from where you left off.");
    expect(cont.auth).toMatchObject({ account: "beta", current: true, rejected: false });
    expect(cont.req.userTexts.filter((t) => t === "cut by the switch")).toHaveLength(1);
    const r = await waitForRecord(b.home, id, (x) => x.account === "beta" && x.status === "running", "on beta", 30_000);
    expect(r.restarts).toBe(1);
    expect(b.server.chatgpt.reuseCount).toBe(0);
    // codex recorded why the turn failed (task_complete.error), and that is what made us continue it.
    const rollout = listRollouts(b.h.home).map((f) => fs.readFileSync(f, "utf8")).join("\n");
    expect(rollout).toMatch(/"type":"task_complete".*signed in to another account/);
    const ev = readEvents(b.home, id).events;
    expect(ev.find((e) => e.type === "restart")).toMatchObject({ why: "login", continuePrompt: true });
  }, 120_000);

  it("three sessions started at once on a due login: one refresh, no reuse (the start is gated), all three answered", async () => {
    bed = await sharedBed(3);
    const b = bed;
    // Unsupervised, three codex processes started together here made 1 refresh and 2 reuses.
    const ids = await b.codexAtOnce([0, 1, 2]);
    for (const i of [0, 1, 2]) {
      await submitCodexPrompt(b.terminals[i]!, `herd ${i}`);
      expect((await answeredWith(b, `herd ${i}`)).auth).toMatchObject({ account: "alpha", current: true, rejected: false });
    }
    for (const id of ids) expect(rec(b, id).restarts).toBe(0);
    expect(b.server.chatgpt.tokenRequests.map((t) => t.outcome)).toEqual(["refreshed"]);
    expectNobodyLoggedOut(b);
  }, 120_000);
});
