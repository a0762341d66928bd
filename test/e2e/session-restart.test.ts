// Issue #3 "Done when", end to end: the real codex TUI, supervised through the shim in a tmux shell,
// against the loopback model. Start with an initial prompt → recorded running with its session id →
// no CODEX_AUTH_* in any marked process → `restart` replaces the whole tree with `resume <id>` → the
// next prompt continues the same session (history kept, first prompt not re-sent) → `stop` leaves no
// marked process, a record that is not running, and a cooked terminal in the pane.
// Needs the compiled dist/ (`npx tsc -p .`): the shim and the CLI run as real processes.
import { afterEach, describe, expect, it } from "vitest";
import { requestControl } from "../../lib/jobs/control.js";
import { findMarkedProcesses, isStillRunning, track, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { pollUntil } from "../helpers/poll.js";
import {
  cli,
  cliCommandBuilt,
  cmdline,
  countOccurrences,
  ourKeysInMarkedProcesses,
  PROMPT,
  record,
  startBed,
  submitPrompt,
  waitForJob,
  waitForRecord,
  type Bed,
} from "./harness.js";

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});

/** `codex-supervisor ls --json` when that command is built, else the record file (noted in the report). */
function listed(b: Bed, id: string): { status: string; sessionId: string | null } {
  if (cliCommandBuilt("ls")) {
    const r = cli(b, ["ls", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ id: string; status: string; sessionId: string | null }>;
    const row = rows.find((x) => x.id === id);
    expect(row, `ls --json lists ${id}: ${r.stdout}`).toBeTruthy();
    return row!;
  }
  const rec = record(b.home, id);
  return { status: rec.status, sessionId: rec.sessionId };
}

async function control(b: Bed, id: string, what: "stop" | "restart"): Promise<void> {
  if (cliCommandBuilt(what)) {
    const r = cli(b, [what, id]);
    expect(r.code, r.stderr).toBe(0);
    return;
  }
  await requestControl(b.home, id, what);
}

describe("supervised interactive session", () => {
  it("start → ls running with sessionId → clean env → restart resumes by id → same session continues → stop", async () => {
    bed = await startBed();
    const b = bed;
    const first = "first prompt alpha";
    b.shell.sendText(`codex "${first}"`);
    b.shell.sendKeys("Enter");

    const [turn1] = await b.server.waitForRequests(1, 30_000);
    expect(turn1!.prompt).toBe(first);
    const sessionId = turn1!.sessionId;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    const id = await waitForJob(b.home);
    await waitForRecord(b.home, id, (r) => r.status === "running" && r.sessionId !== null, "the session to be bound");
    const row = listed(b, id);
    expect(row).toMatchObject({ status: "running", sessionId });

    // The marker reaches codex; none of our CODEX_AUTH_* settings does.
    const before = findMarkedProcesses(id);
    expect(before.length).toBeGreaterThan(0);
    expect(ourKeysInMarkedProcesses(id)).toEqual([]);
    const oldChild = record(b.home, id).child!;
    expect(before.map((p) => p.pid)).toContain(oldChild.pid);

    // Restart from "another terminal".
    await control(b, id, "restart");
    const left = await waitForGone(before as TrackedProcess[], 15_000);
    expect(left, "every process of the old tree is gone").toEqual([]);
    const rec = await waitForRecord(b.home, id, (r) => r.status === "running" && r.child !== null && r.child.pid !== oldChild.pid, "the resumed child", 20_000);
    expect(rec.restarts).toBe(1);
    const argv = cmdline(rec.child!.pid);
    const at = argv.indexOf("resume");
    expect(at, `new child argv: ${argv.join(" ")}`).toBeGreaterThan(0);
    expect(argv[at + 1]).toBe(sessionId);
    expect(argv).not.toContain(first);
    expect(argv).toContain("--no-daemon");
    expect(ourKeysInMarkedProcesses(id)).toEqual([]);

    // The resumed TUI shows the first turn; the next prompt continues the same session.
    await b.shell.waitFor((s) => s.includes(first), 20_000);
    const second = "second prompt beta";
    await submitPrompt(b.shell, second);
    const turns = await b.server.waitForRequests(2, 30_000);
    const turn2 = turns[1]!;
    expect(turn2.prompt).toBe(second);
    expect(turn2.sessionId).toBe(sessionId);
    expect(countOccurrences(turn2.userTexts, first)).toBe(1);
    // The initial prompt went to the model once: only the first turn request carries it as its prompt.
    expect(b.server.turnRequests.filter((r) => r.prompt === first)).toHaveLength(1);

    // Stop: nothing marked left, record not running, the shell's terminal cooked.
    const tree = findMarkedProcesses(id);
    await control(b, id, "stop");
    expect(await waitForGone(tree as TrackedProcess[], 15_000)).toEqual([]);
    const end = await waitForRecord(b.home, id, (r) => r.status !== "running" && r.status !== "restarting", "the record to leave running");
    expect(end.status).toBe("stopped");
    expect(findMarkedProcesses(id)).toEqual([]);
    const supervisor = track(end.supervisor.pid);
    await pollUntil(() => (supervisor && isStillRunning(supervisor) ? undefined : true), 10_000, "the supervisor to exit");
    await b.shell.waitFor((s) => s.trimEnd().endsWith(PROMPT.trimEnd()), 10_000);
    b.shell.sendText("stty -a");
    b.shell.sendKeys("Enter");
    const screen = await b.shell.waitFor(/\bicanon\b|-icanon/, 10_000);
    expect(screen).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(screen).toMatch(/(^|\s)echo(\s|$)/m);
    expect(screen).not.toMatch(/-icanon/);
  }, 150_000);

  it("`/new` in the TUI: the record follows the new conversation, and a restart resumes that one", async () => {
    bed = await startBed({ env: { CODEX_AUTH_SIGINT_WAIT_MS: "1500" } });
    const b = bed;
    b.shell.sendText(`codex "first conversation"`);
    b.shell.sendKeys("Enter");
    const [turn1] = await b.server.waitForRequests(1, 30_000);
    const id = await waitForJob(b.home);
    await waitForRecord(b.home, id, (r) => r.sessionId === turn1!.sessionId, "the first conversation bound");
    await b.shell.waitFor(/Mock reply/, 20_000);
    await submitPrompt(b.shell, "/new");
    await submitPrompt(b.shell, "second conversation");
    const [turn2] = await b.server.waitForRequests(1, 30_000, (r) => r.kind === "turn" && r.prompt === "second conversation");
    expect(turn2!.sessionId).not.toBe(turn1!.sessionId);
    await waitForRecord(b.home, id, (r) => r.sessionId === turn2!.sessionId, "the record to follow /new", 20_000);

    await control(b, id, "restart");
    const rec = await waitForRecord(b.home, id, (r) => r.status === "running" && r.restarts === 1, "the resumed child", 20_000);
    const argv = cmdline(rec.child!.pid);
    expect(argv.slice(argv.indexOf("resume"))).toEqual(["resume", turn2!.sessionId]);
  }, 120_000);
});
