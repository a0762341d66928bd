// Crash recovery, end to end: SIGKILL the native codex mid-session → the supervisor resumes the same
// session by id on its own; a codex that always crashes is restarted up to the cap, then the
// supervisor gives up with the manual `codex resume` line and codex's status; what a codex leaves
// behind (carrying the job's marker) ends with it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { requestControl } from "../../lib/jobs/control.js";
import { readEvents } from "../helpers/event-log.js";
import { findMarkedProcesses, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { cmdline, jobIds, record, startBed, waitForJob, waitForRecord, type Bed } from "./harness.js";

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});

describe("crash recovery", () => {
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

  it("a codex that always crashes is restarted up to the cap, then we give up with the manual command", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-crash-"));
    try {
      // Dies of a signal each time (a crash, never a start failure), after the supervisor saw it run.
      const standIn = path.join(dir, "codex-dies");
      fs.writeFileSync(standIn, "#!/bin/sh\nsleep 0.2\nkill -SEGV $$\n", { mode: 0o755 });
      bed = await startBed({ env: { CODEX_AUTH_REAL_CODEX_BIN: standIn, CODEX_AUTH_CRASH_BACKOFF_MS: "10", CODEX_AUTH_CRASH_RESTART_MAX: "3" } });
      const b = bed;
      b.shell.sendText(`codex hello; echo "crash status=$?"`);
      b.shell.sendKeys("Enter");
      const screen = await b.shell.waitFor(/crash status=\d+/, 30_000, { history: true });
      // The supervisor re-raised codex's SIGSEGV: the shell reports 128 + 11.
      expect(/crash status=(\d+)/.exec(screen)![1]).toBe("139");
      const lines = screen.split("\n");
      const restartLines = (pred: (l: string) => boolean) => lines.filter(pred).map((l) => /crash restart \d of 3/.exec(l)?.[0]).filter(Boolean);
      expect(restartLines((l) => !l.includes("earlier in this session"))).toEqual(["crash restart 1 of 3", "crash restart 2 of 3", "crash restart 3 of 3"]);
      expect(screen).toMatch(/giving up after 3 crash restarts/);
      // The resumed TUIs may have wiped them: repeated once, after the give-up line.
      const giveUp = lines.findIndex((l) => /giving up after 3 crash restarts/.test(l));
      expect(restartLines((l) => l.includes("earlier in this session"))).toEqual(["crash restart 1 of 3", "crash restart 2 of 3", "crash restart 3 of 3"]);
      expect(lines.findIndex((l) => l.includes("earlier in this session"))).toBeGreaterThan(giveUp);
      const [id] = jobIds(b.home);
      const rec = record(b.home, id!);
      expect(rec).toMatchObject({ status: "failed", restarts: 3, signal: "SIGSEGV" });
      expect(readEvents(b.home, id!).events.filter((e) => e.type === "spawn")).toHaveLength(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("processes codex leaves behind end with it: a setsid child and a plain child of a codex that exits 0", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-left-"));
    try {
      const pids = path.join(dir, "pids");
      // A stand-in codex that starts a detached (setsid) sleeper and a plain background sleeper, then exits 0.
      const standIn = path.join(dir, "codex-leaves");
      fs.writeFileSync(standIn, `#!/bin/sh\nsetsid sleep 300 </dev/null >/dev/null 2>&1 &\necho $! >> ${JSON.stringify(pids)}\nsleep 300 </dev/null >/dev/null 2>&1 &\necho $! >> ${JSON.stringify(pids)}\nsleep 0.3\nexit 0\n`, { mode: 0o755 });
      bed = await startBed({ env: { CODEX_AUTH_REAL_CODEX_BIN: standIn } });
      const b = bed;
      b.shell.sendText(`codex hello; echo "left status=$?"`);
      b.shell.sendKeys("Enter");
      const screen = await b.shell.waitFor(/left status=\d+/, 30_000, { history: true });
      expect(/left status=(\d+)/.exec(screen)![1]).toBe("0");
      const started = fs.readFileSync(pids, "utf8").trim().split("\n").map(Number);
      expect(started).toHaveLength(2);
      const [id] = jobIds(b.home);
      expect(findMarkedProcesses(id!)).toEqual([]);
      for (const pid of started) expect(fs.existsSync(`/proc/${pid}`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"))).toBe(false);
      expect(record(b.home, id!)).toMatchObject({ status: "exited", exitCode: 0 });
      expect(readEvents(b.home, id!).events.find((e) => e.type === "leftovers")).toMatchObject({ ended: 2 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
