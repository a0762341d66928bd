// How a supervised session ends, end to end in a tmux shell with the real codex:
// - the user quits codex (Ctrl+C in the TUI) → the supervisor ends with codex's status (0), record `exited`;
// - SIGTERM to the supervisor → the whole tree is stopped with the escalation, the terminal is restored,
//   the record is `stopped`, and the supervisor dies of that SIGTERM (the shell reports 143);
// - `codex-supervisor stop` → status 143 as a plain exit, so the shell runs the rest of the line;
// - start failures are not retried: `resume` of an unknown id shows codex's error once and ends with
//   its status; without a terminal the invocation passes through unsupervised.
import { afterEach, describe, expect, it } from "vitest";
import { pollUntil } from "../helpers/poll.js";
import { findMarkedProcesses, isStillRunning, track, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { quitCodexTui } from "../helpers/tmux.js";
import { readEvents } from "../helpers/event-log.js";
import { cli, jobIds, PROMPT, startBed, waitForJob, waitForRecord, type Bed } from "./harness.js";

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

  it("SIGTERM to the supervisor stops the whole tree, restores the terminal, and ends it by SIGTERM", async () => {
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
    // The supervisor was terminated: it dies of the SIGTERM it got (re-raised after the tree is gone).
    expect(await lastStatus(b)).toBe(143);
    // (Asked from the shell: at its prompt readline keeps the tty in its own mode.)
    b.shell.sendText("stty -a");
    b.shell.sendKeys("Enter");
    expect(await b.shell.waitFor(/\bicanon\b/, 10_000)).toMatch(/(^|\s)icanon(\s|$)/m);
  }, 90_000);

  it("`codex-supervisor stop` ends the session with status 143 and the shell goes on with the command line", async () => {
    bed = await startBed();
    const b = bed;
    b.shell.sendText(`codex "stop status prompt"; echo "after-codex status=$?"`);
    b.shell.sendKeys("Enter");
    await b.server.waitForRequests(1, 30_000);
    const id = await waitForJob(b.home);
    await waitForRecord(b.home, id, (r) => r.status === "running" && r.sessionId !== null, "bound session");
    const tree = findMarkedProcesses(id);
    const r = cli(b, ["stop", id]);
    expect(r.code, r.stderr).toBe(0);
    expect(await waitForGone(tree as TrackedProcess[], 15_000)).toEqual([]);
    const screen = await b.shell.waitFor(/after-codex status=\d+/, 15_000, { history: true });
    expect(/after-codex status=(\d+)/.exec(screen)![1]).toBe("143");
    expect(screen).toMatch(/codex-supervisor: stopped; resume with: codex resume \S+/);
    await waitForRecord(b.home, id, (rec) => rec.status === "stopped" && rec.reason === "stop requested", "stopped");
  }, 90_000);

  it("resume of an unknown session id: codex's error once, its status, no restart", async () => {
    bed = await startBed();
    const b = bed;
    b.shell.sendText("codex resume 00000000-0000-0000-0000-000000000000");
    b.shell.sendKeys("Enter");
    await b.shell.waitFor(atPrompt, 30_000);
    const status = await lastStatus(b);
    expect(status).not.toBe(0);
    const [id] = jobIds(b.home);
    const rec = await waitForRecord(b.home, id!, (r) => r.status === "failed", "failed");
    expect(rec.restarts).toBe(0);
    expect(rec.exitCode).toBe(status);
    expect(rec.reason).toMatch(/before any session started; not restarted/);
    const spawns = readEvents(b.home, id!).events.filter((e) => e.type === "spawn");
    expect(spawns).toHaveLength(1);
    // codex said why, once (not once per crash restart).
    const screen = b.shell.captureHistory();
    const said = screen.split("\n").filter((l) => /00000000-0000-0000-0000-000000000000/.test(l) && !l.includes("codex resume 0000"));
    expect(said.length).toBe(1);
  }, 60_000);

  it("without a terminal (stdin from /dev/null) an interactive invocation passes through: no session record", async () => {
    bed = await startBed();
    const b = bed;
    b.shell.sendText(`codex "no tty prompt" </dev/null; echo "notty status=$?"`);
    b.shell.sendKeys("Enter");
    const screen = await b.shell.waitFor(/notty status=\d+/, 30_000, { history: true });
    expect(/notty status=(\d+)/.exec(screen)![1]).not.toBe("0");
    expect(jobIds(b.home)).toEqual([]);
  }, 60_000);
});
