// Issue #3 crash recovery, end to end: SIGKILL the native codex mid-session → the supervisor resumes
// the same session by id on its own; a codex that always dies is restarted up to the cap, then the
// supervisor gives up with the manual `codex resume` line and codex's status.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { requestControl } from "../../lib/jobs/control.js";
import { readEvents } from "../../lib/jobs/event-log.js";
import { cleanBaseEnv } from "../helpers/codex-home.js";
import { findMarkedProcesses, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { cmdline, jobIds, record, SHIM_DIR, startBed, waitForJob, waitForRecord, type Bed } from "./harness.js";

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});

describe("crash recovery (issue #3)", () => {
  it("a SIGKILLed codex is resumed by id automatically", async () => {
    bed = await startBed({ env: { CODEX_AUTH_CRASH_BACKOFF_MS: "100" } });
    const b = bed;
    b.shell.sendText(`codex "crash test prompt"`);
    b.shell.sendKeys("Enter");
    const [turn1] = await b.server.waitForRequests(1, 30_000);
    const sessionId = turn1!.sessionId!;
    const id = await waitForJob(b.home);
    const bound = await waitForRecord(b.home, id, (r) => r.status === "running" && r.sessionId === sessionId, "the bound session");
    const victim = bound.child!;

    // The test's own session: this pid carries the test's unique job marker.
    expect(findMarkedProcesses(id).map((p) => p.pid)).toContain(victim.pid);
    process.kill(victim.pid, "SIGKILL");

    const rec = await waitForRecord(b.home, id, (r) => r.status === "running" && r.restarts === 1 && r.child !== null && r.child.pid !== victim.pid, "the crash restart", 20_000);
    const argv = cmdline(rec.child!.pid);
    expect(argv.slice(argv.indexOf("resume"))).toEqual(["resume", sessionId]);
    const events = readEvents(b.home, id).events.map((e) => e.type);
    expect(events).toContain("crash");
    await b.shell.waitFor(/killed by SIGKILL; resuming session/, 10_000, { history: true });

    const tree = findMarkedProcesses(id);
    await requestControl(b.home, id, "stop");
    expect(await waitForGone(tree as TrackedProcess[], 15_000)).toEqual([]);
    await waitForRecord(b.home, id, (r) => r.status === "stopped", "stopped");
  }, 120_000);

  it("a codex that always dies is restarted up to the cap, then we give up with the manual command", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-crash-"));
    try {
      const standIn = path.join(dir, "codex-dies");
      fs.writeFileSync(standIn, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
      const home = path.join(dir, "sup");
      const env = {
        ...cleanBaseEnv(),
        CODEX_HOME: path.join(dir, "codex-home"),
        CODEX_AUTH_SUPERVISOR_HOME: home,
        PATH: `${SHIM_DIR}:${process.env.PATH}`,
        CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1",
        CODEX_AUTH_REAL_CODEX_BIN: standIn,
        CODEX_AUTH_CRASH_BACKOFF_MS: "10",
        CODEX_AUTH_CRASH_RESTART_MAX: "3",
      };
      const child = spawn(path.join(SHIM_DIR, "codex"), ["hello"], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
      expect(code).toBe(1);
      const lines = stderr.split("\n");
      const restartLines = (pred: (l: string) => boolean) => lines.filter(pred).map((l) => /crash restart \d of 3/.exec(l)?.[0]).filter(Boolean);
      expect(restartLines((l) => !l.includes("earlier in this session"))).toEqual(["crash restart 1 of 3", "crash restart 2 of 3", "crash restart 3 of 3"]);
      expect(stderr).toMatch(/giving up after 3 crash restarts/);
      // The resumed TUIs may have wiped them: repeated once, after the give-up line.
      const giveUp = lines.findIndex((l) => /giving up after 3 crash restarts/.test(l));
      expect(restartLines((l) => l.includes("earlier in this session"))).toEqual(["crash restart 1 of 3", "crash restart 2 of 3", "crash restart 3 of 3"]);
      expect(lines.findIndex((l) => l.includes("earlier in this session"))).toBeGreaterThan(giveUp);
      const [id] = jobIds(home);
      const rec = record(home, id!);
      expect(rec).toMatchObject({ status: "failed", restarts: 3, exitCode: 1 });
      expect(readEvents(home, id!).events.filter((e) => e.type === "spawn")).toHaveLength(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
