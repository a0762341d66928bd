// Issue #4 "Done when", end to end: accounts A and B (API keys) in the store, A active. The model server
// reports 96 % primary usage for A in the first turn; the supervisor reads it from the rollout, waits
// for the turn to end, and moves the session to B: before the second turn CODEX_HOME/auth.json holds
// B; the second prompt reaches the model with B's key in the same session, with the first turn in its
// history and the first prompt sent once. `accounts list --json` shows A near its limit. No key in
// any of our files (besides the store and auth.json) or --json output.
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { requestControl } from "../../lib/jobs/control.js";
import { readEvents } from "../helpers/event-log.js";
import { pollUntil } from "../helpers/poll.js";
import { findMarkedProcesses, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { addApiKeyAccount, cli, cliCommandBuilt, cmdline, countOccurrences, startBed, submitPrompt, waitForJob, waitForRecord, type Bed } from "./harness.js";

const KEY_A = "sk-test-A";
const KEY_B = "sk-test-B";

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});

/** Every file under `dir` (recursively) except `skip`, with the keys found in it. */
function filesWithKeys(dir: string, skip: Set<string>): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !skip.has(p)) {
        const text = fs.readFileSync(p, "utf8");
        if (text.includes(KEY_A) || text.includes(KEY_B)) hits.push(p);
      }
    }
  };
  walk(dir);
  return hits;
}

describe("quota rotation", () => {
  it("A at 96 % → the session moves to B between turns, same session, history kept, nothing re-sent", async () => {
    bed = await startBed({ apiKey: "sk-test-unrelated-login" });
    const b = bed;
    addApiKeyAccount(b, "A", KEY_A);
    addApiKeyAccount(b, "B", KEY_B);
    const use = cli(b, ["accounts", "use", "A", "--force"]);
    expect(use.code, use.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(b.h.authPath, "utf8")).OPENAI_API_KEY).toBe(KEY_A);

    const resetAt = Math.floor(Date.now() / 1000) + 3600;
    b.server.setQuota(KEY_A, { primaryUsedPercent: 96, primaryWindowMinutes: 300, primaryResetAt: resetAt, secondaryUsedPercent: 20, secondaryWindowMinutes: 10080 });
    b.server.setQuota(KEY_B, { primaryUsedPercent: 10, primaryWindowMinutes: 300, secondaryUsedPercent: 5, secondaryWindowMinutes: 10080 });
    // Every bell in the pane is counted (tmux's alert-bell hook): the rotation is announced beyond the screen.
    const bells = path.join(b.h.home, "bells");
    b.shell.tmux(["set-hook", "-g", "alert-bell", `run-shell "echo bell >> ${bells}"`]);
    b.shell.tmux(["set", "-g", "monitor-bell", "on"]);
    const bellCount = () => (fs.existsSync(bells) ? fs.readFileSync(bells, "utf8").split("\n").filter(Boolean).length : 0);

    const first = "rotation prompt one";
    b.shell.sendText(`codex "${first}"`);
    b.shell.sendKeys("Enter");
    const [turn1] = await b.server.waitForRequests(1, 30_000);
    expect(turn1!.bearerKey).toBe(KEY_A);
    const sessionId = turn1!.sessionId!;
    const id = await waitForJob(b.home);

    // The rotation happens on its own once the first turn has ended.
    const rec = await waitForRecord(b.home, id, (r) => r.status === "running" && r.restarts === 1 && r.account === "B", "the rotation to B", 40_000);
    expect(JSON.parse(fs.readFileSync(b.h.authPath, "utf8")).OPENAI_API_KEY).toBe(KEY_B);
    const argv = cmdline(rec.child!.pid);
    expect(argv.slice(argv.indexOf("resume"))).toEqual(["resume", sessionId]);
    await b.shell.waitFor(/switching account A → B/, 10_000, { history: true });
    await pollUntil(() => (bellCount() >= 1 ? true : undefined), 10_000, "the rotation's bell");

    await b.shell.waitFor((s) => s.includes(first), 20_000);
    const second = "rotation prompt two";
    await submitPrompt(b.shell, second);
    const turns = await b.server.waitForRequests(2, 30_000);
    const turn2 = turns[1]!;
    expect(turn2.bearerKey).toBe(KEY_B);
    expect(turn2.prompt).toBe(second);
    expect(turn2.sessionId).toBe(sessionId);
    expect(countOccurrences(turn2.userTexts, first)).toBe(1);
    expect(b.server.turnRequests.filter((r) => r.prompt === first)).toHaveLength(1);

    const list = cli(b, ["accounts", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const accounts = JSON.parse(list.stdout) as Array<{ name: string; active: boolean; primaryUsedPercent: number | null; coolingDownUntil: string | null }>;
    const a = accounts.find((x) => x.name === "A")!;
    expect(a.primaryUsedPercent).toBe(96);
    expect(a.active).toBe(false);
    expect(a.coolingDownUntil).not.toBeNull();
    expect(accounts.find((x) => x.name === "B")!.active).toBe(true);

    const tree = findMarkedProcesses(id);
    requestControl(b.home, id, "stop");
    expect(await waitForGone(tree as TrackedProcess[], 15_000)).toEqual([]);
    await waitForRecord(b.home, id, (r) => r.status === "stopped", "stopped");

    // No key outside the store and codex's auth.json: records, logs, control files, --json output.
    const outputs = [list.stdout];
    if (cliCommandBuilt("ls")) outputs.push(cli(b, ["ls", "--all", "--json"]).stdout);
    for (const out of outputs) {
      expect(out).not.toContain(KEY_A);
      expect(out).not.toContain(KEY_B);
    }
    expect(filesWithKeys(b.home, new Set([path.join(b.home, "accounts.json")]))).toEqual([]);
  }, 150_000);

  it("a turn that hits the usage limit (HTTP 429) moves the session to B and the turn carries on there", async () => {
    bed = await startBed({ apiKey: "sk-test-unrelated-login" });
    const b = bed;
    addApiKeyAccount(b, "A", KEY_A);
    addApiKeyAccount(b, "B", KEY_B);
    expect(cli(b, ["accounts", "use", "A", "--force"]).code).toBe(0);
    b.server.setUsageLimitReached(KEY_A, Math.floor(Date.now() / 1000) + 1800);

    const first = "usage limit prompt one";
    b.shell.sendText(`codex "${first}"`);
    b.shell.sendKeys("Enter");
    const id = await waitForJob(b.home);
    const rec = await waitForRecord(b.home, id, (r) => r.status === "running" && r.restarts === 1 && r.account === "B", "the rotation to B", 40_000);
    expect(JSON.parse(fs.readFileSync(b.h.authPath, "utf8")).OPENAI_API_KEY).toBe(KEY_B);
    const limited = b.server.requests.filter((r) => r.bearerKey === KEY_A && r.kind === "turn");
    expect(limited.length).toBeGreaterThan(0);
    const sessionId = limited[0]!.sessionId!;
    const argv = cmdline(rec.child!.pid);
    // The cut turn carries on under B with the continue prompt, nobody types it again.
    expect(argv.slice(argv.indexOf("resume"))).toEqual(["resume", sessionId, "Continue the task from where you left off."]);
    const continued = await pollUntilTurn(b, "Continue the task from where you left off.");
    expect(continued.bearerKey).toBe(KEY_B);
    expect(continued.sessionId).toBe(sessionId);
    expect(countOccurrences(continued.userTexts, first)).toBe(1);
    // The resumed TUI redraws the screen (and its scrollback) at once, so the notice is checked in the job log.
    const notices = readEvents(b.home, id).events.filter((e) => e.type === "notice").map((e) => String((e as { line?: string }).line));
    expect(notices).toContainEqual(expect.stringMatching(/switching account A → B \(the last turn hit the usage limit\); resuming session \S+ and continuing the turn the limit cut/));

    await b.shell.waitFor((s) => s.includes(first), 20_000);
    const second = "usage limit prompt two";
    await submitPrompt(b.shell, second);
    const turn2 = await pollUntilTurn(b, second);
    expect(turn2.bearerKey).toBe(KEY_B);
    expect(turn2.sessionId).toBe(sessionId);
    expect(countOccurrences(turn2.userTexts, first)).toBe(1);

    const tree = findMarkedProcesses(id);
    requestControl(b.home, id, "stop");
    expect(await waitForGone(tree as TrackedProcess[], 15_000)).toEqual([]);
  }, 150_000);
});

async function pollUntilTurn(b: Bed, prompt: string) {
  const all = await b.server.waitForRequests(1, 30_000, (r) => r.kind === "turn" && r.prompt === prompt);
  return all[0]!;
}
