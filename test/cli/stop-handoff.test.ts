// `stop` at every stage of a detached job's start, with real processes and the real pinned codex:
// the control file is written (by the real `stop` command) before the detached supervisor exists,
// while it waits for the launcher's handoff (claimSupervision), right after `run --detach` printed
// the id (the CI sequence that lost the request), and once codex runs. Each time the job must end
// `stopped`, `stop` must exit 0, and no process of the job may be left.
//
// The first two stages are deterministic versions of the race: the request is already on disk when
// the supervisor starts watching, so the watcher hands it to the loop before any codex is spawned.
// Uses the compiled CLI: build first (npx tsc -p .).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { spawnDetachedSupervisor } from "../../lib/jobs/detach.js";
import { newJobId } from "../../lib/jobs/ids.js";
import { createJob, updateJob } from "../../lib/jobs/records.js";
import { readEvents } from "../helpers/event-log.js";
import { jobControlFile, jobOutFile } from "../../lib/paths.js";
import { readIdentity } from "../../lib/process/identity.js";
import { pollUntil } from "../helpers/poll.js";
import { isStillRunning, killTracked, waitForGone } from "../helpers/processes.js";
import { makeWorld, readRecordRaw, waitForRecord, type World, disposeWorld } from "../helpers/job-world.js";
import { CLI_BIN, type CliResult } from "../helpers/cli.js";

const EXEC = ["exec", "--skip-git-repo-check"];

describe("stop at every stage of a detached job's start", () => {
  let w: World | null = null;
  const placeholders: ChildProcess[] = [];
  const supervisors: number[] = [];
  afterEach(async () => {
    killTracked(placeholders.splice(0).map((p) => p.pid!));
    if (!w) return;
    await disposeWorld(w);
    // The detached supervisors are gone too (cleanup kills a survivor; the tests assert it ended by itself).
    expect(await waitForGone(supervisors.splice(0), 5000)).toEqual([]);
    w = null;
  });

  /**
   * The launcher's half of `run --detach`, with the handoff under the test's control: a record naming a
   * live stand-in launcher (as `run` names itself), then the detached supervisor, then `handOver()`.
   */
  async function startByHand(world: World) {
    const launcher = spawn("sleep", ["300"], { stdio: "ignore" });
    placeholders.push(launcher);
    await new Promise<void>((r) => launcher.once("spawn", () => r()));
    const me = readIdentity(launcher.pid!)!;
    const id = newJobId("job");
    createJob(world.home, { id, kind: "job", name: null, supervisor: { pid: me.pid, identity: { ...me } }, cwd: world.codex.workDir, argv: [...EXEC, "stop me early"] });
    world.jobs.add(id);
    return {
      id,
      spawnSupervisor: async () => {
        const { pid } = await spawnDetachedSupervisor({ jobId: id, outFile: jobOutFile(world.home, id), cwd: world.codex.workDir, env: world.env, binFile: CLI_BIN });
        supervisors.push(pid);
        return pid;
      },
      /** What run.ts does after the spawn: name the supervisor as the record's owner. */
      handOver: (pid: number) => updateJob(world.home, id, { supervisor: { pid, identity: readIdentity(pid)! } }),
    };
  }

  /**
   * Start `stop <id>` and return once its control request is on disk, with the command still running
   * (wrapped: an async function returning the bare promise would wait for it).
   */
  async function stopRequested(world: World, id: string): Promise<{ result: Promise<CliResult> }> {
    const result = world.cli(["stop", id], { timeoutMs: 40_000 });
    await pollUntil(() => fs.existsSync(jobControlFile(world.home, id)), 15_000, "the stop request file", 10);
    return { result };
  }

  async function expectStopped(world: World, id: string, stop: Promise<CliResult>) {
    const s = await stop;
    expect(s.code, `${s.stdout}${s.stderr}\nevents: ${fs.readFileSync(`${world.home}/jobs/${id}.log`, "utf8")}`).toBe(0);
    expect(s.stdout).toContain(`${id}: stopped`);
    const rec = readRecordRaw(world.home, id)!;
    expect(rec).toMatchObject({ status: "stopped", child: null });
    expect(isStillRunning({ pid: rec.supervisor.pid, startTicks: rec.supervisor.identity.startTicks })).toBe(false);
  }

  it("stage: requested before the detached supervisor exists", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const job = await startByHand(w);
    const stop = await stopRequested(w, job.id);
    const pid = await job.spawnSupervisor();
    job.handOver(pid);
    await expectStopped(w, job.id, stop.result);
  });

  it("stage: requested while the supervisor waits for the handoff (claimSupervision)", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const job = await startByHand(w);
    const pid = await job.spawnSupervisor();
    const world = w;
    await pollUntil(() => readEvents(world.home, job.id).events.some((e) => e.type === "handoff-wait"), 15_000, "the supervisor waiting for the handoff", 10);
    const stop = await stopRequested(w, job.id);
    job.handOver(pid);
    await expectStopped(w, job.id, stop.result);
  });

  it("stage: requested right after `run --detach` printed the id (the CI sequence)", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const r = await w.cli(["run", "--detach", "--name", "early", "--", ...EXEC, "stop me at once"]);
    const id = r.stdout.split("\n")[0]!;
    expect(id, r.stderr).toMatch(/^j-\d{8}-[0-9a-f]{8}$/);
    w.jobs.add(id);
    supervisors.push(readRecordRaw(w.home, id)!.supervisor.pid);
    await expectStopped(w, id, w.cli(["stop", "--name", "early"], { timeoutMs: 40_000 }));
  });

  it("stage: requested once codex runs", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const r = await w.cli(["run", "--detach", "--", ...EXEC, "stop me later"]);
    const id = r.stdout.split("\n")[0]!;
    w.jobs.add(id);
    const rec = await waitForRecord(w.home, id, (x) => x.status === "running" && x.child !== null, 20_000, "job running");
    supervisors.push(rec.supervisor.pid);
    await w.server.waitForRequests(1, 20_000);
    await expectStopped(w, id, w.cli(["stop", id], { timeoutMs: 40_000 }));
  });
});
