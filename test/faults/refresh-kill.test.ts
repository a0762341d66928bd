// Fault: the supervisor SIGKILLed right after codex refreshed alpha's ChatGPT login. The refresh
// consumed alpha's old refresh token; the only live one is what codex renamed over auth.json. The
// supervisor's login watch stores it while codex still runs (no exit, no sync-back needed), so a
// kill at any point after loses nothing: the store holds the new refresh token, and a later
// activation of alpha (a rotation back) refreshes with it — no reuse, nobody logged out.
import { afterEach, describe, expect, it } from "vitest";
import { readAccounts } from "../../lib/accounts/store.js";
import { pollUntil } from "../helpers/poll.js";
import { findMarkedProcesses, isStillRunning, killTracked, track, waitForGone } from "../helpers/processes.js";
import { submitCodexPrompt, CODEX_COMPOSER_READY } from "../helpers/tmux.js";
import { rec, sharedBed, type Shared } from "../e2e/shared-bed.js";

let bed: Shared | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});

const storedRefresh = (b: Shared, name: string) => readAccounts(b.home).accounts.find((a) => a.name === name)!.auth.tokens!.refresh_token;

describe("supervisor SIGKILLed right after codex refreshed the login", () => {
  it("the store holds alpha's new refresh token; going back to alpha later refreshes with it, no reuse", async () => {
    // alpha's refreshed tokens fall due 15 s later, so using alpha again needs its newest refresh token.
    bed = await sharedBed(1, { alphaRefreshedTtlSec: 315 });
    const b = bed;
    const original = storedRefresh(b, "alpha");
    const id = await b.codex(0);
    await submitCodexPrompt(b.terminals[0]!, "refresh now");
    // codex refreshed (its token was due) before the request: the new refresh token is in auth.json.
    await pollUntil(() => (b.server.chatgpt.refreshCount === 1 ? true : undefined), 30_000, "codex's refresh");
    const fresh = b.server.chatgpt.latestRefreshToken("alpha");
    expect(fresh).not.toBe(original);
    await pollUntil(() => (b.h.readAuth().tokens?.refresh_token === fresh ? true : undefined), 10_000, "the refresh in auth.json");
    // While codex runs — no child exit, no sync-back — the watch has stored it.
    await pollUntil(() => (storedRefresh(b, "alpha") === fresh ? true : undefined), 5_000, "the store to hold the new refresh token");
    const sup = track(rec(b, id).supervisor.pid)!;
    const tree = findMarkedProcesses(id);
    killTracked([sup], "SIGKILL");
    expect(await waitForGone([sup], 5000)).toEqual([]);
    expect(storedRefresh(b, "alpha")).toBe(fresh);

    // The orphaned codex is ended by reap (its supervisor is gone).
    expect(b.cli(["reap"]).code).toBe(0);
    expect(await waitForGone(tree, 10_000)).toEqual([]);

    // Later: beta, then back to alpha once its token is due — the refresh uses the stored token.
    expect(b.cli(["accounts", "use", "beta"]).code).toBe(0);
    expect(b.cli(["accounts", "use", "alpha"]).code).toBe(0);
    expect(b.h.readAuth().tokens?.refresh_token).toBe(fresh);
    // The clock, not a race: wait until alpha's access token is due (≤ 300 s before its exp).
    const exp = (JSON.parse(Buffer.from(b.h.readAuth().tokens!.access_token!.split(".")[1]!, "base64url").toString()) as { exp: number }).exp;
    await pollUntil(() => (Date.now() > exp * 1000 - 300_000 + 500 ? true : undefined), 30_000, "alpha's access token to fall due", 100);
    const id2 = await b.codex(0);
    await b.terminals[0]!.waitFor(CODEX_COMPOSER_READY, 30_000);
    await submitCodexPrompt(b.terminals[0]!, "alpha again");
    await pollUntil(() => (b.server.chatgpt.refreshCount === 2 ? true : undefined), 30_000, "the second refresh");
    expect(b.server.chatgpt.tokenRequests.at(-1)).toMatchObject({ refreshToken: fresh, outcome: "refreshed", account: "alpha" });
    expect(b.server.chatgpt.reuseCount).toBe(0);
    await pollUntil(() => (storedRefresh(b, "alpha") === b.server.chatgpt.latestRefreshToken("alpha") ? true : undefined), 10_000, "the store to follow the second refresh");
    expect(isStillRunning(track(rec(b, id2).supervisor.pid)!)).toBe(true);
  }, 120_000);
});
