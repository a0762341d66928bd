// "Why did codex restart?" must stay answerable. The supervisor prints its notice after restoring the
// terminal and before relaunching, and writes it to the job log. Measured on codex 0.169.0 in tmux: a
// resumed TUI with a conversation of several turns clears the screen and the scrollback before it
// redraws the transcript, so that line is wiped (logged below, not asserted: it is codex's behaviour).
// What we guarantee: the line is in the job log, and when the session ends the supervisor prints it
// again ("earlier in this session: …") below codex's last screen, where it stays.
import { afterEach, describe, expect, it } from "vitest";
import { requestControl } from "../../lib/jobs/control.js";
import { readEvents } from "../helpers/event-log.js";
import { findMarkedProcesses, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { addApiKeyAccount, cli, startBed, submitPrompt, waitForComposerReady, waitForJob, waitForRecord, type Bed } from "./harness.js";

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});

const NOTICE = /codex-supervisor: switching account A → B \([^)]*\)[^\n]*; resuming session [0-9a-f-]{36}/;

describe("the rotation notice after the resumed TUI has redrawn the conversation", () => {
  it("is in the job log, and repeated below codex's last screen when the session ends", async () => {
    bed = await startBed({ apiKey: "sk-test-unrelated-login" });
    const b = bed;
    addApiKeyAccount(b, "A", "sk-test-A");
    addApiKeyAccount(b, "B", "sk-test-B");
    expect(cli(b, ["accounts", "use", "A", "--force"]).code).toBe(0);
    const quota = (used: number) => ({ primaryUsedPercent: used, primaryWindowMinutes: 300, primaryResetAt: Math.floor(Date.now() / 1000) + 3600, secondaryUsedPercent: 5, secondaryWindowMinutes: 10080 });
    b.server.setQuota("sk-test-A", quota(40));
    b.server.setQuota("sk-test-B", quota(10));

    b.shell.sendText(`codex "visibility turn 1"`);
    b.shell.sendKeys("Enter");
    await b.server.waitForRequests(1, 30_000);
    const id = await waitForJob(b.home);
    await waitForComposerReady(b.shell);
    await submitPrompt(b.shell, "visibility turn 2");
    await b.server.waitForRequests(2, 30_000);
    await waitForComposerReady(b.shell);
    // The third turn reports A nearly used up: the rotation follows once it has ended.
    b.server.setQuota("sk-test-A", quota(96));
    await submitPrompt(b.shell, "visibility turn 3");
    await waitForRecord(b.home, id, (r) => r.status === "running" && r.restarts === 1 && r.account === "B", "the rotation to B", 40_000);
    // The resumed TUI is up and has redrawn the conversation.
    await waitForComposerReady(b.shell);
    const during = (b.shell.captureHistory().match(new RegExp(NOTICE.source, "g")) ?? []).length;
    console.log(`rotation notice lines in the scrollback while the resumed TUI runs: ${during}`);
    const logged = readEvents(b.home, id).events.filter((e) => e.type === "notice").map((e) => (e as { line?: string }).line);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(NOTICE);

    const tree = findMarkedProcesses(id);
    requestControl(b.home, id, "stop");
    expect(await waitForGone(tree as TrackedProcess[], 15_000)).toEqual([]);
    await waitForRecord(b.home, id, (r) => r.status === "stopped", "stopped");
    const after = await b.shell.waitFor((t) => t.trimEnd().endsWith("READY$"), 10_000, { history: true });
    // Below the last of codex's screen: the repeat of the line, then our stop line and the shell prompt.
    const recap = logged[0]!.replace("codex-supervisor: ", "codex-supervisor: earlier in this session: ");
    expect(after.lastIndexOf(recap), after).toBeGreaterThan(after.lastIndexOf("visibility turn 3"));
  }, 180_000);
});
