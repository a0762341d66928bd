// The supervisor dies in a way it did not plan while the real codex TUI runs (raw mode, in the
// terminal's foreground group): its last-resort exit hook (lib/supervisor/last-resort.ts) kills every
// process of the job (verified identities) and puts the terminal back to cooked mode.
//
// The uncaught exception is made by a test preload (fixtures/throw-on-sigusr2.mjs through
// NODE_OPTIONS): SIGUSR2 then makes the supervisor throw from a listener, at the moment the test
// chooses. Without it SIGUSR2 is simply a signal the supervisor does not handle.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { readEvents } from "../helpers/event-log.js";
import { readIdentity, sameIdentity, type ProcessIdentity } from "../../lib/process/identity.js";
import { findMarkedProcesses, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { sttyModes } from "../helpers/tmux.js";
import { PROMPT, startBed, waitForJob, waitForRawMode, waitForRecord, type Bed } from "./harness.js";

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.close(); // also asserts that no process kept the job marker
  bed = null;
});

async function crashSupervisorMidSession(env: NodeJS.ProcessEnv, prompt: string) {
  bed = await startBed({ env });
  const b = bed;
  b.shell.sendText(`codex "${prompt}"`);
  b.shell.sendKeys("Enter");
  await b.server.waitForRequests(1, 30_000);
  const id = await waitForJob(b.home);
  const rec = await waitForRecord(b.home, id, (r) => r.status === "running" && r.child !== null, "codex running");
  await waitForRawMode(b.shell);
  const tree = findMarkedProcesses(id);
  expect(tree.map((p) => p.pid)).toContain(rec.child!.pid);

  // Signal the supervisor itself (not the group), after checking the pid is still that process.
  const sup = rec.supervisor.identity as ProcessIdentity;
  const now = readIdentity(sup.pid);
  expect(now && sameIdentity(now, sup)).toBe(true);
  process.kill(sup.pid, "SIGUSR2");

  expect(await waitForGone(tree as TrackedProcess[], 10_000)).toEqual([]);
  // Back at the shell, in cooked mode with echo, and on the normal screen.
  await b.shell.waitFor((s) => s.trimEnd().endsWith(PROMPT.trimEnd()), 10_000);
  const screen = b.shell.capture();
  expect(b.shell.paneState()).toMatchObject({ alternateScreen: false, cursorVisible: true });
  // As the shell sees the terminal when it runs a command (readline itself reads keys in raw mode).
  const modes = await sttyModes(b.shell);
  expect(modes.has("icanon") && modes.has("echo")).toBe(true);
  expect(modes.has("-icanon")).toBe(false);
  const lastWord = readEvents(b.home, id).events.find((e) => e.type === "last-resort") as { killed?: number[] } | undefined;
  expect(lastWord?.killed).toContain(rec.child!.pid);
  return { id, screen };
}

describe("supervisor ends unexpectedly while codex runs", () => {
  it("an uncaught exception: no marked process is left, the terminal is cooked", async () => {
    const preload = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "throw-on-sigusr2.mjs")).href;
    const { screen } = await crashSupervisorMidSession({ NODE_OPTIONS: `--import=${preload}` }, "last resort uncaught");
    expect(screen).toContain("test-only crash");
  }, 120_000);

  it("a signal the supervisor does not handle (SIGUSR2): same", async () => {
    await crashSupervisorMidSession({}, "last resort signal");
  }, 120_000);
});
