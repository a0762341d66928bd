// A record that points at an unrelated live process (a PID reused by `sleep 300`, or an identity
// forged to match it) never gets that process signalled by `stop`, `reap` or `restart`, and the
// record ends `lost`. Plus the reap rules on real marked processes: an orphan tagged with our home
// and no record is killed; a process of a live job with a live supervisor, and an untagged process
// without a record here, are left alone. Uses the compiled CLI (build first), once as it runs on
// Linux and once as on macOS (the simulated ps/sysctl/lsof; identities read with the macOS port).
// The sleepers are node processes: on a real Mac, Apple's /bin/sleep does not show its environment
// to ps (the simulation does the same), so its marker could not be read.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newJobId } from "../../lib/jobs/ids.js";
import { createJob, readJob } from "../../lib/jobs/records.js";
import { readIdentity, type ProcessIdentity } from "../../lib/process/identity.js";
import { runCli } from "../helpers/cli.js";
import { cleanEnv } from "../helpers/env.js";
import { isStillRunning, killTracked, track, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { platformCases, usePlatform } from "../platform/matrix.js";

describe.each(platformCases())("records pointing at processes that are not ours, on $label", (pc) => {
  usePlatform(pc);
  let home: string;
  let env: NodeJS.ProcessEnv;
  const started: TrackedProcess[] = [];

  const cli = (args: string[]) => runCli(args, pc.cliEnv(env));

  /** A node process we own that idles for 300 s, with an optional environment; resolves once it runs. */
  async function sleeper(extraEnv: NodeJS.ProcessEnv = {}): Promise<{ proc: ChildProcess; identity: ProcessIdentity }> {
    const proc = spawn(process.execPath, ["-e", "setTimeout(()=>{},300e3)"], { stdio: "ignore", env: cleanEnv(extraEnv) });
    await new Promise<void>((resolve, reject) => {
      proc.once("spawn", () => resolve());
      proc.once("error", reject);
    });
    // After exec: the environ we gave is visible (the spawn event comes after exec succeeded).
    const pinned = track(proc.pid!);
    if (!pinned) throw new Error(`sleeper ${proc.pid} not running`);
    started.push(pinned);
    return { proc, identity: readIdentity(proc.pid!, pc.platform)! };
  }

  /** The identity of a process that has exited (a pid nobody uses any more, most likely). */
  async function deadIdentity(): Promise<ProcessIdentity> {
    const p = spawn("true", { stdio: "ignore" });
    await new Promise<void>((resolve) => p.once("spawn", () => resolve()));
    const id = readIdentity(p.pid!, pc.platform) ?? { pid: p.pid!, startTicks: 1, bootId: "x" };
    await new Promise<void>((resolve) => (p.exitCode !== null ? resolve() : p.once("exit", () => resolve())));
    return id;
  }

  function record(supervisor: ProcessIdentity, child: ProcessIdentity | null, status: "running" | "starting" = "running"): string {
    const id = newJobId("job");
    createJob(home, {
      id,
      kind: "job",
      supervisor: { pid: supervisor.pid, identity: { ...supervisor } },
      child: child ? { pid: child.pid, identity: { ...child } } : null,
      cwd: home,
      argv: ["exec", "x"],
      status,
    });
    return id;
  }

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-unrel-"));
    env = cleanEnv({ CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_AUTH_SIGINT_WAIT_MS: "300", CODEX_AUTH_SIGTERM_WAIT_MS: "300" });
  });
  afterEach(async () => {
    killTracked(started.splice(0));
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("a reused PID (same pid, another start time): stop, restart and reap leave the process alone; the record becomes lost", async () => {
    const { identity: victim } = await sleeper();
    const reused = { ...victim, startTicks: victim.startTicks - 7 }; // what the record saw before the pid was reused
    const id = record(reused, reused);

    const stop = await cli(["stop", id]);
    const restart = await cli(["restart", id]);
    const reap = await cli(["reap"]);
    expect(isStillRunning(started[0]!)).toBe(true);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`${id}: already lost (supervisor pid ${victim.pid} is gone (the pid now belongs to another process`);
    expect(restart.code).toBe(1);
    expect(restart.stderr).toContain(`${id} is lost`);
    expect(reap.stdout).not.toContain(`pid ${victim.pid} `);
    expect(readJob(home, id).status).toBe("lost");
    const log = fs.readFileSync(path.join(home, "jobs", `${id}.log`), "utf8");
    expect(log).not.toContain('"type":"signal"');
  });

  it("a forged child identity (exact, but no marker) with its supervisor gone: never signalled; the record becomes lost", async () => {
    const { identity: victim } = await sleeper();
    const id = record(await deadIdentity(), victim);

    const restart = await cli(["restart", id]);
    expect(restart.code).toBe(1);
    expect(restart.stderr).toContain("has no live supervisor");
    const reap = await cli(["reap"]);
    expect(reap.code).toBe(0);
    const stop = await cli(["stop", id]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(isStillRunning(started[0]!)).toBe(true);
    expect(stop.stdout).toContain(`${id}: lost`);
    expect(stop.stdout).toContain(`child pid ${victim.pid} does not carry the job's marker (it is another process); not touched`);
    expect(readJob(home, id).status).toBe("lost");
    const status = await cli(["result", id]);
    expect(status.code).toBe(4);
  });

  it("reap: kills an orphan tagged with our home; keeps a live job's process, an untagged stranger, and another home's process", async () => {
    const { identity: sup } = await sleeper(); // plays a live supervisor
    const liveJob = record(sup, null);
    const { identity: liveChild } = await sleeper({ CODEX_SUPERVISOR_JOB: liveJob, CODEX_SUPERVISOR_HOME: home });
    const orphanId = newJobId("job"); // no record at all
    const { identity: orphan } = await sleeper({ CODEX_SUPERVISOR_JOB: orphanId, CODEX_SUPERVISOR_HOME: home });
    const { identity: stranger } = await sleeper({ CODEX_SUPERVISOR_JOB: newJobId("job") });
    const { identity: otherHome } = await sleeper({ CODEX_SUPERVISOR_JOB: newJobId("job"), CODEX_SUPERVISOR_HOME: "/elsewhere/home" });

    pc.sim?.reset();
    const dry = await cli(["reap", "--dry-run"]);
    expect(dry.code).toBe(0);
    // On macOS the whole table, markers included, was one ps call.
    if (pc.sim) expect(pc.sim.calls("ps").filter((c) => c.startsWith("ps -wwEA "))).toHaveLength(1);
    expect(dry.stdout).toContain(`would kill pid ${orphan.pid} (node): no record for job ${orphanId} (orphan)`);
    expect(dry.stdout).toContain(`kept pid ${liveChild.pid} (node): job ${liveJob} is running with a live supervisor (pid ${sup.pid})`);
    expect(dry.stdout).toContain(`kept pid ${stranger.pid} (node): no record for job`);
    expect(dry.stdout).toContain(`kept pid ${otherHome.pid} (node): belongs to supervisor home /elsewhere/home`);
    const pinned = (id: ProcessIdentity) => started.find((t) => t.pid === id.pid)!;
    expect(isStillRunning(pinned(orphan))).toBe(true);

    const real = await cli(["reap"]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toContain(`killed pid ${orphan.pid} (node): no record for job ${orphanId} (orphan)`);
    expect(await waitForGone([pinned(orphan)], 3000)).toEqual([]);
    for (const keep of [sup, liveChild, stranger, otherHome]) expect(isStillRunning(pinned(keep))).toBe(true);
  });
});
