// `status` (reconcile), `ls` and `stop` through the compiled CLI (build first), on both
// process-table ports: once as on Linux, once as on macOS (the CLI preloaded as darwin, the simulated
// ps/sysctl/lsof first on PATH, identities in the records read with the macOS port) — with real
// processes, and /proc as the test's own ground truth. (`restart` and `reap` on both ports:
// test/jobs/unrelated-process.test.ts.)
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
import { expectNoLeftovers, findMarkedProcesses, isStillRunning, killTracked, track, type TrackedProcess } from "../helpers/processes.js";
import { platformCases, usePlatform } from "./matrix.js";

describe.each(platformCases())("job commands on $label", (pc) => {
  usePlatform(pc);
  let home: string;
  let env: NodeJS.ProcessEnv;
  const started: ChildProcess[] = [];
  const jobs: string[] = [];

  const cli = (args: string[]) => runCli(args, pc.cliEnv(env));

  /** A node process of ours (optionally forking a setsid'd child first); resolves once all of it runs. */
  async function nodeProc(extraEnv: NodeJS.ProcessEnv, withDetachedChild = false): Promise<{ proc: ChildProcess; pids: number[] }> {
    const code = withDetachedChild
      ? `const c=require("child_process").spawn(process.execPath,["-e","setInterval(()=>{},1e6)"],{detached:true,stdio:"ignore"});c.unref();process.stdout.write(c.pid+"\\n");setInterval(()=>{},1e6)`
      : `process.stdout.write("0\\n");setInterval(()=>{},1e6)`;
    const proc = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"], env: cleanEnv(extraEnv) });
    started.push(proc);
    const line = await new Promise<string>((resolve, reject) => {
      proc.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()));
      proc.once("exit", (c, s) => reject(new Error(`test process exited early (${c ?? s})`)));
    });
    const pids = [proc.pid!, ...(withDetachedChild ? [Number(line)] : [])];
    return { proc, pids };
  }

  const identityOn = (pid: number): ProcessIdentity => {
    const id = readIdentity(pid, pc.platform);
    if (!id) throw new Error(`no process ${pid}`);
    return id;
  };

  function record(supervisor: ProcessIdentity, child: ProcessIdentity | null): string {
    const id = newJobId("job");
    jobs.push(id);
    createJob(home, {
      id,
      kind: "job",
      supervisor: { pid: supervisor.pid, identity: { ...supervisor } },
      child: child ? { pid: child.pid, identity: { ...child } } : null,
      cwd: home,
      argv: ["exec", "x"],
      status: "running",
    });
    return id;
  }

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-jobs-platform-"));
    env = cleanEnv({ CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_AUTH_SIGINT_WAIT_MS: "500", CODEX_AUTH_SIGTERM_WAIT_MS: "500" });
  });
  afterEach(async () => {
    const pinned: TrackedProcess[] = [];
    for (const c of started.splice(0)) {
      const t = c.pid ? track(c.pid) : null;
      if (t) pinned.push(t);
    }
    for (const id of jobs.splice(0)) pinned.push(...findMarkedProcesses(id));
    killTracked(pinned);
    await expectNoLeftovers(pinned);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("status reconciles: running while its supervisor lives, lost (persisted, with the reason) once supervisor and child are gone", async () => {
    const sup = await nodeProc({});
    const child = await nodeProc({});
    const id = record(identityOn(sup.proc.pid!), identityOn(child.proc.pid!));

    const alive = await cli(["status", id, "--json"]);
    expect(alive.code, alive.stderr).toBe(0);
    expect(JSON.parse(alive.stdout)).toMatchObject({ id, status: "running", pid: sup.proc.pid, childPid: child.proc.pid });

    for (const p of [sup.proc, child.proc]) {
      const gone = new Promise((r) => p.once("exit", r));
      p.kill("SIGKILL");
      await gone;
    }
    const dead = await cli(["status", id, "--json"]);
    expect(dead.code, dead.stderr).toBe(0);
    const view = JSON.parse(dead.stdout);
    expect(view).toMatchObject({ id, status: "lost" });
    expect(view.reason).toContain(`supervisor pid ${sup.proc.pid} is gone`);
    expect(readJob(home, id).status).toBe("lost");
    const ls = await cli(["ls", "--all", "--json"]);
    expect((JSON.parse(ls.stdout) as { id: string; status: string }[]).find((r) => r.id === id)?.status).toBe("lost");
  });

  it("stop with the supervisor gone: the recorded child and its setsid'd child (found by the marker) are stopped; the record says stopped", async () => {
    const deadSup = await nodeProc({});
    const supId = identityOn(deadSup.proc.pid!);
    const exited = new Promise((r) => deadSup.proc.once("exit", r));
    deadSup.proc.kill("SIGKILL");
    await exited;
    const id = newJobId("job");
    const tree = await nodeProc({ CODEX_SUPERVISOR_JOB: id, CODEX_SUPERVISOR_HOME: home }, true);
    jobs.push(id);
    createJob(home, {
      id,
      kind: "job",
      supervisor: { pid: supId.pid, identity: { ...supId } },
      child: { pid: tree.proc.pid!, identity: { ...identityOn(tree.proc.pid!) } },
      cwd: home,
      argv: ["exec", "x"],
      status: "running",
    });
    const pinned = tree.pids.map((p) => track(p)!);
    expect(pinned.every((p) => p && isStillRunning(p))).toBe(true);

    pc.sim?.reset();
    const stop = await cli(["stop", id]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`${id}: stopped`);
    await expectNoLeftovers(pinned);
    expect(readJob(home, id).status).toBe("stopped");
    const log = fs.readFileSync(path.join(home, "jobs", `${id}.log`), "utf8");
    for (const pid of tree.pids) expect(log).toContain(`"pid":${pid},"signal":"SIGINT","by":"stop"`);
    if (pc.sim) {
      // Every full read of the table was one ps call (markers included); no per-process ps.
      const full = pc.sim.calls("ps").filter((c) => c.startsWith("ps -wwEA "));
      expect(full.length).toBeGreaterThanOrEqual(2);
      expect(pc.sim.calls("ps").filter((c) => c.startsWith("ps -wwE -o")).length).toBeLessThanOrEqual(1); // the child's marker check
    }
  });
});
