// How a supervised session ends (issue #3 items 8 and 10), end to end in a tmux shell:
// - the user quits codex (Ctrl+C in the TUI) → the supervisor ends with codex's status (0), record `exited`;
// - SIGTERM to the supervisor → the whole tree is stopped with the escalation, the terminal is restored,
//   the record is `stopped`, and the shell sees the child's status (its death by SIGINT re-raised: 130).
import { afterEach, describe, expect, it } from "vitest";
import { pollUntil } from "../helpers/codex-home.js";
import { findMarkedProcesses, isStillRunning, track, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { quitCodexTui } from "../helpers/tmux.js";
import { PROMPT, startBed, waitForJob, waitForRecord, type Bed } from "./harness.js";

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});

const atPrompt = (s: string) => s.trimEnd().endsWith(PROMPT.trimEnd());

async function lastStatus(b: Bed): Promise<number> {
  b.shell.sendText("echo status=$?");
  b.shell.sendKeys("Enter");
  const screen = await b.shell.waitFor(/status=\d+/, 10_000);
  return Number(/status=(\d+)/.exec(screen)![1]);
}

async function startSession(b: Bed, prompt: string) {
  b.shell.sendText(`codex "${prompt}"`);
  b.shell.sendKeys("Enter");
  await b.server.waitForRequests(1, 30_000);
  const id = await waitForJob(b.home);
  const rec = await waitForRecord(b.home, id, (r) => r.status === "running" && r.sessionId !== null, "bound session");
  await b.shell.waitFor((s) => s.includes(prompt), 10_000);
  return { id, rec };
}

describe("ending a supervised session", () => {
  it("the user quitting codex ends the supervisor with codex's status and the record `exited`", async () => {
    bed = await startBed();
    const b = bed;
    const { id, rec } = await startSession(b, "quit test prompt");
    const tree = findMarkedProcesses(id);
    await quitCodexTui(b.shell, atPrompt, 20_000);
    expect(await waitForGone(tree as TrackedProcess[], 10_000)).toEqual([]);
    const end = await waitForRecord(b.home, id, (r) => r.status === "exited", "exited");
    expect(end).toMatchObject({ exitCode: 0, signal: null, restarts: 0 });
    const sup = track(rec.supervisor.pid);
    await pollUntil(() => (sup && isStillRunning(sup) ? undefined : true), 10_000, "the supervisor to exit");
    expect(await lastStatus(b)).toBe(0);
  }, 90_000);

  it("SIGTERM to the supervisor stops the whole tree, restores the terminal, and mirrors the child's status", async () => {
    bed = await startBed();
    const b = bed;
    const { id, rec } = await startSession(b, "sigterm test prompt");
    const tree = findMarkedProcesses(id);
    const sup = track(rec.supervisor.pid)!;
    expect(sup).not.toBeNull();
    process.kill(sup.pid, "SIGTERM"); // the supervisor this test started (tracked by start time)
    expect(await waitForGone(tree as TrackedProcess[], 15_000)).toEqual([]);
    const end = await waitForRecord(b.home, id, (r) => r.status === "stopped", "stopped");
    expect(end.reason).toMatch(/SIGTERM/);
    await pollUntil(() => (isStillRunning(sup) ? undefined : true), 10_000, "the supervisor to exit");
    await b.shell.waitFor(atPrompt, 10_000);
    // codex died of our SIGINT; the supervisor re-raised it: the shell reports 128 + 2.
    expect(await lastStatus(b)).toBe(130);
    // (Asked from the shell: at its prompt readline keeps the tty in its own mode.)
    b.shell.sendText("stty -a");
    b.shell.sendKeys("Enter");
    expect(await b.shell.waitFor(/\bicanon\b/, 10_000)).toMatch(/(^|\s)icanon(\s|$)/m);
  }, 90_000);
});
