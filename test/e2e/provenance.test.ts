// Decisions from fresh facts only, with the real codex in tmux:
// - `codex resume <id>` of a session whose last turn ran on A at 97 %, with B active at 30 %: the old
//   reading in the rollout is neither charged to B nor a reason to stop or rotate anything; the next
//   turn's reading is B's own;
// - a new session never starts on an account that is cooling down while another has room.
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findAccount, readAccounts, updateAccounts } from "../../lib/accounts/store.js";
import { readEvents } from "../helpers/event-log.js";
import { runCodex } from "../helpers/codex-home.js";
import { CODEX_COMPOSER_READY } from "../helpers/tmux.js";
import { addApiKeyAccount, cli, startBed, submitPrompt, waitForJob, waitForRecord, type Bed } from "./harness.js";

const KEY_A = "sk-prov-A-SECRETSECRET";
const KEY_B = "sk-prov-B-SECRETSECRET";

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});

async function withAccounts(): Promise<Bed> {
  bed = await startBed({ apiKey: "sk-prov-unrelated-login" });
  addApiKeyAccount(bed, "A", KEY_A);
  addApiKeyAccount(bed, "B", KEY_B);
  return bed;
}

describe("fresh facts only", () => {
  it("resume of a session whose last turn ran on A at 97 %, B active at 30 %: nothing stopped, nothing charged to B but B's own reading", async () => {
    const b = await withAccounts();
    expect(cli(b, ["accounts", "use", "A", "--force"]).code).toBe(0);
    const resetAt = Math.floor(Date.now() / 1000) + 3600;
    b.server.setQuota(KEY_A, { primaryUsedPercent: 97, primaryWindowMinutes: 300, primaryResetAt: resetAt });
    b.server.setQuota(KEY_B, { primaryUsedPercent: 30, primaryWindowMinutes: 300, primaryResetAt: resetAt });
    // The session's earlier turn, on A, without the supervisor: its rollout now holds A's 97 %.
    const first = await runCodex(["exec", "--skip-git-repo-check", "earlier turn on A"], { env: b.h.env, cwd: b.h.workDir, timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    const sessionId = b.server.turnRequests[0]!.sessionId!;
    expect(cli(b, ["accounts", "use", "B"]).code).toBe(0);

    b.shell.sendText(`codex resume ${sessionId}`);
    b.shell.sendKeys("Enter");
    const id = await waitForJob(b.home);
    await waitForRecord(b.home, id, (r) => r.status === "running" && r.sessionId === sessionId, "the resumed session bound", 30_000);
    await b.shell.waitFor(CODEX_COMPOSER_READY, 30_000);
    await submitPrompt(b.shell, "a turn after the resume");
    const [turn] = await b.server.waitForRequests(1, 30_000, (r) => r.kind === "turn" && r.prompt === "a turn after the resume");
    expect(turn!.bearerKey).toBe(KEY_B);
    // B's own reading (30 %) is what the store shows for B; A's old 97 % was never booked anywhere.
    await waitForRecord(b.home, id, () => (findAccount(readAccounts(b.home), "B")?.usage.primaryUsedPercent ?? null) === 30, "B's reading booked", 20_000);
    expect(findAccount(readAccounts(b.home), "A")!.usage.primaryUsedPercent).toBeUndefined();
    const rec = readEvents(b.home, id).events;
    const types = rec.map((e) => e.type);
    expect(types).not.toContain("rotate");
    expect(types).not.toContain("signal");
    expect(rec.filter((e) => e.type === "quota").map((e) => (e as { primary?: { usedPercent?: number } }).primary?.usedPercent)).toEqual([30]);
    await waitForRecord(b.home, id, (r) => r.restarts === 0 && r.account === "B" && r.status === "running", "still the same codex on B");
    expect(b.shell.captureHistory()).not.toMatch(/every account is at its usage limit|switching account/);
  }, 150_000);

  it("a new session never starts on an account that is cooling down while another has room", async () => {
    const b = await withAccounts();
    expect(cli(b, ["accounts", "use", "A", "--force"]).code).toBe(0);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await updateAccounts(b.home, (draft) => {
      findAccount(draft, "A")!.coolingDownUntil = until;
      return true;
    });
    b.shell.sendText(`codex "start me where there is room"`);
    b.shell.sendKeys("Enter");
    const [turn] = await b.server.waitForRequests(1, 30_000);
    expect(turn!.bearerKey).toBe(KEY_B);
    const id = await waitForJob(b.home);
    await waitForRecord(b.home, id, (r) => r.account === "B" && r.restarts === 0, "started on B");
    expect(JSON.parse(fs.readFileSync(path.join(b.h.home, "auth.json"), "utf8")).OPENAI_API_KEY).toBe(KEY_B);
    const notices = readEvents(b.home, id).events.filter((e) => e.type === "notice").map((e) => String((e as { line?: string }).line));
    expect(notices).toContainEqual(expect.stringMatching(/^codex-supervisor: starting on B: A has no room for (59m \d\ds|1h 00m 00s)$/));
  }, 120_000);
});
