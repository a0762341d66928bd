// Background jobs end to end, with real processes and the real pinned codex (`codex exec` against the
// loopback model, made slow with a reply delay). Uses the compiled CLI: build first (npx tsc -p .).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCodex } from "../helpers/codex-home.js";
import { ignorePollTimeout, pollUntil } from "../helpers/poll.js";
import { findMarkedProcesses, isStillRunning, killTracked, waitForGone } from "../helpers/processes.js";
import { allHomeText, makeWorld, readRecordRaw, trackedOf, waitForRecord, type World, disposeWorld } from "../helpers/job-world.js";
import { CLI_BIN } from "../helpers/cli.js";

const EXEC = ["exec", "--skip-git-repo-check"];

describe("run --detach", () => {
  let w: World | null = null;
  afterEach(async () => {
    if (!w) return;
    await disposeWorld(w);
    w = null;
  });

  it("prints the id at once; the job outlives its launcher and a SIGHUP to the launcher's group; result shows codex's last message", async () => {
    w = await makeWorld({ delayMs: 2500, reply: "DETACHED-JOB-DONE-42" });
    // The launcher: a shell in its own process group that starts the job and then lingers, as a
    // terminal session would. We hang it up (SIGHUP to its whole group) while the job runs.
    const launcher = spawn("bash", ["-c", `"${process.execPath}" "${CLI_BIN}" run --detach --name first -- ${EXEC.join(" ")} "write the summary"; sleep 300`], {
      env: w.env,
      cwd: w.codex.workDir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    launcher.stdout!.on("data", (d) => (out += d));
    launcher.stderr!.on("data", (d) => (err += d));
    const t0 = Date.now();
    await pollUntil(() => out.includes("\n"), 10_000, "the job id", 10).catch(ignorePollTimeout);
    const printMs = Date.now() - t0;
    const id = out.split("\n")[0]!;
    expect(id, err).toMatch(/^j-\d{8}-[0-9a-f]{8}$/);
    w.jobs.add(id);
    // The record exists with a valid status from the first instant.
    const first = readRecordRaw(w.home, id)!;
    expect(["starting", "running"]).toContain(first.status);

    const running = await waitForRecord(w.home, id, (r) => r.status === "running" && r.child !== null, 20_000, "job running");
    const sup = trackedOf(running.supervisor);
    expect(running.supervisor.pid).not.toBe(launcher.pid);
    // Hang up the launcher's terminal group and wait until it is gone.
    process.kill(-launcher.pid!, "SIGHUP");
    expect(await waitForGone([launcher.pid!], 5000)).toEqual([]);
    expect(isStillRunning(sup)).toBe(true);
    // Own session: not in the launcher's session or group.
    const stat = fs.readFileSync(`/proc/${sup.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    expect(Number(fields[3])).toBe(sup.pid); // session id = its own pid (setsid)

    const st = await w.cli(["status", id, "--json"]);
    expect(JSON.parse(st.stdout).status).toBe("running");
    const still = await w.cli(["result", "--name", "first"]);
    expect(still.code).toBe(3);
    expect(still.stdout).toContain("still running");

    const done = await waitForRecord(w.home, id, (r) => r.status !== "running" && r.status !== "starting", 60_000, "job end");
    expect(done.status).toBe("exited");
    const res = await w.cli(["result", id]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain(`${id}: exited (exit code 0)`);
    expect(res.stdout).toContain("from the session rollout");
    expect(res.stdout).toContain("DETACHED-JOB-DONE-42");
    const json = JSON.parse((await w.cli(["result", id.slice(0, 12), "--json"])).stdout);
    expect(json).toMatchObject({ id, status: "exited", exitCode: 0, lastMessage: "DETACHED-JOB-DONE-42", lastMessageSource: "rollout" });

    // Codex's stdout went to the .out file; logs --output shows it; the event log has the story.
    const output = await w.cli(["logs", id, "--output"]);
    expect(output.stdout).toContain("DETACHED-JOB-DONE-42");
    const logs = await w.cli(["logs", "--name", "first", "--raw"]);
    const types = logs.stdout.trim().split("\n").map((l) => JSON.parse(l).type);
    expect(types).toEqual(expect.arrayContaining(["created", "start", "spawn", "bind", "exit"]));
    // No secret anywhere: our files, and what our commands print.
    const everything = allHomeText(w.home) + output.stdout + logs.stdout + res.stdout + JSON.stringify(json);
    expect(everything).not.toContain(w.apiKey);
    expect(everything).not.toContain(w.apiKey.slice(3, 20));
    console.log(`[figure] run --detach printed the id after ${printMs} ms (launcher shell + node start)`);
  });

  it("SIGKILL of supervisor and codex: the next status says lost, result agrees; status --wait returns within a second", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const r = await w.cli(["run", "--detach", "--", ...EXEC, "a long task"]);
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.split("\n")[0]!;
    w.jobs.add(id);
    console.log(`[figure] run --detach returned in ${r.ms} ms`);
    const rec = await waitForRecord(w.home, id, (x) => x.status === "running" && x.child !== null, 20_000, "running");
    await w.server.waitForRequests(1, 20_000);
    const waiter = w.cli(["status", id, "--wait", "--timeout", "30", "--json"]);
    await new Promise((res) => setTimeout(res, 500)); // let the waiter start polling
    const marked = findMarkedProcesses(id);
    expect(marked.length).toBeGreaterThan(0);
    const tKill = Date.now();
    killTracked([trackedOf(rec.supervisor), trackedOf(rec.child!), ...marked], "SIGKILL");
    const waited = await waiter;
    const latency = Date.now() - tKill;
    console.log(`[figure] status --wait returned ${latency} ms after SIGKILL of supervisor + codex`);
    expect(JSON.parse(waited.stdout).status).toBe("lost");
    expect(latency).toBeLessThan(1000 + 300); // + the CLI's own exit after its last poll

    const st = await w.cli(["status", id, "--json"]);
    const view = JSON.parse(st.stdout);
    expect(view.status).toBe("lost");
    expect(view.reason).toContain(`supervisor pid ${rec.supervisor.pid} is gone`);
    const res = await w.cli(["result", id]);
    expect(res.code).toBe(4);
    expect(res.stdout).toContain(`${id}: lost: supervisor pid ${rec.supervisor.pid} is gone`);
    expect(readRecordRaw(w.home, id)!.status).toBe("lost"); // persisted
  });

  it("SIGKILL of the supervisor only leaves orphans: reap --dry-run lists them, reap kills them, the record ends lost", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const r = await w.cli(["run", "--detach", "--", ...EXEC, "another long task"]);
    const id = r.stdout.split("\n")[0]!;
    w.jobs.add(id);
    const rec = await waitForRecord(w.home, id, (x) => x.status === "running" && x.child !== null, 20_000, "running");
    await w.server.waitForRequests(1, 20_000);
    killTracked([trackedOf(rec.supervisor)], "SIGKILL");
    expect(await waitForGone([trackedOf(rec.supervisor)], 5000)).toEqual([]);
    // The codex the supervisor left behind (codex may also run short-lived helpers of its own:
    // only processes still there when reap looks are expected in its report).
    const child = trackedOf(rec.child!);
    expect(findMarkedProcesses(id).map((o) => o.pid)).toContain(child.pid);

    const st = await w.cli(["status", id, "--json"]);
    expect(JSON.parse(st.stdout).status).toBe("running"); // its codex still runs, without a supervisor

    const dry = await w.cli(["reap", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would kill pid ${child.pid} (codex): job ${id} is running but supervisor pid ${rec.supervisor.pid} is gone`);
    expect(isStillRunning(child)).toBe(true); // dry run touched nothing

    const doc = await w.cli(["doctor", "--json"]);
    const orphanFindings = (JSON.parse(doc.stdout) as { check: string; level: string; message: string }[]).filter((f) => f.check === "orphans" && f.message.includes(id));
    expect(orphanFindings.map((f) => f.message)).toContain(`pid ${child.pid} (codex): job ${id} is running but supervisor pid ${rec.supervisor.pid} is gone`);
    expect(doc.code).toBe(1);

    const reaped = await w.cli(["reap"]);
    expect(reaped.code, reaped.stdout + reaped.stderr).toBe(0);
    expect(reaped.stdout).toContain(`killed pid ${child.pid} (codex): job ${id} is running`);
    expect(isStillRunning(child)).toBe(false);
    expect(findMarkedProcesses(id)).toEqual([]); // helpers codex started meanwhile included (marker re-scan)
    const after = await w.cli(["result", id]);
    expect(after.code).toBe(4);
    expect(readRecordRaw(w.home, id)!.status).toBe("lost");
  });

  it("stop with a live supervisor: whole tree gone, record stopped, the session resumes with the real codex", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const r = await w.cli(["run", "--detach", "--name", "stoppable", "--", ...EXEC, "task to stop"]);
    const id = r.stdout.split("\n")[0]!;
    w.jobs.add(id);
    const rec = await waitForRecord(w.home, id, (x) => x.status === "running" && x.sessionId !== null, 20_000, "bound");
    const marked = findMarkedProcesses(id);
    const t0 = Date.now();
    const s = await w.cli(["stop", "--name", "stoppable"]);
    console.log(`[figure] stop (live supervisor) took ${Date.now() - t0} ms`);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect(s.stdout).toContain(`${id}: stopped`);
    expect(s.stdout).toContain(`codex resume ${rec.sessionId}`);
    expect(await waitForGone([...marked, trackedOf(rec.supervisor)], 5000)).toEqual([]);
    expect(findMarkedProcesses(id)).toEqual([]);
    expect(readRecordRaw(w.home, id)!.status).toBe("stopped");
    expect((await w.cli(["result", id])).code).toBe(1);

    // The session is still resumable by id with the real codex.
    w.server.setDelay(0);
    w.server.setResponder(() => ({ text: "RESUMED-OK" }));
    const resumed = await runCodex(["exec", "--skip-git-repo-check", "resume", rec.sessionId!, "carry on"], { env: w.codex.env, cwd: w.codex.workDir, timeoutMs: 60_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("RESUMED-OK");
    const last = w.server.turnRequests.at(-1)!;
    expect(last.sessionId).toBe(rec.sessionId);
    expect(last.userTexts).toContain("task to stop"); // the history came back
  });

  it("stop notices a supervisor that dies while it waits, and finishes the stop itself", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const r = await w.cli(["run", "--detach", "--", ...EXEC, "stop while it dies"]);
    const id = r.stdout.split("\n")[0]!;
    w.jobs.add(id);
    const rec = await waitForRecord(w.home, id, (x) => x.status === "running" && x.child !== null, 20_000, "running");
    const sup = trackedOf(rec.supervisor);
    // A supervisor that cannot answer (stopped), then dies while `stop` waits for it.
    killTracked([sup], "SIGSTOP");
    const stopping = w.cli(["stop", id, "--timeout", "600"], { timeoutMs: 60_000 });
    const control = path.join(w.home, "jobs", `${id}.control`);
    await pollUntil(() => (fs.existsSync(control) ? true : undefined), 10_000, "the stop request");
    killTracked([sup], "SIGKILL");
    const s = await stopping;
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect(s.stdout).toContain(`${id}: stopped (stopped by \`codex-supervisor stop\` (its supervisor pid ${rec.supervisor.pid} was gone))`);
    expect(findMarkedProcesses(id)).toEqual([]);
  });

  it("stop without a supervisor: our own escalation from the record + marker scan", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const r = await w.cli(["run", "--detach", "--", ...EXEC, "orphan me"]);
    const id = r.stdout.split("\n")[0]!;
    w.jobs.add(id);
    const rec = await waitForRecord(w.home, id, (x) => x.status === "running" && x.child !== null, 20_000, "running");
    killTracked([trackedOf(rec.supervisor)], "SIGKILL");
    expect(await waitForGone([trackedOf(rec.supervisor)], 5000)).toEqual([]);
    const orphans = findMarkedProcesses(id);
    expect(orphans.length).toBeGreaterThan(0);
    const s = await w.cli(["stop", id]);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect(s.stdout).toContain(`${id}: stopped (stopped by \`codex-supervisor stop\` (its supervisor pid ${rec.supervisor.pid} was gone))`);
    expect(findMarkedProcesses(id)).toEqual([]);
    const log = fs.readFileSync(path.join(w.home, "jobs", `${id}.log`), "utf8");
    expect(log).toContain('"by":"stop"');
    // Stopping again: already stopped, nothing to do, still 0.
    const again = await w.cli(["stop", id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already stopped");
  });

  it("restart: the supervisor acknowledges; the new codex resumes the same session with the continue prompt", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const r = await w.cli(["run", "--detach", "--", ...EXEC, "first prompt"]);
    const id = r.stdout.split("\n")[0]!;
    w.jobs.add(id);
    const rec = await waitForRecord(w.home, id, (x) => x.status === "running" && x.sessionId !== null, 20_000, "bound");
    await w.server.waitForRequests(1, 20_000);
    const follow = w.cli(["logs", id, "-f", "--raw"]); // follows across the restart until the job ends
    const oldMarked = findMarkedProcesses(id);
    const rs = await w.cli(["restart", id]);
    expect(rs.code, rs.stdout + rs.stderr).toBe(0);
    expect(rs.stdout).toContain(`${id}: restarted (restart #1`);
    expect(await waitForGone(oldMarked, 5000)).toEqual([]);
    const reqs = await w.server.waitForRequests(2, 30_000);
    const second = reqs[1]!;
    expect(second.sessionId).toBe(rec.sessionId);
    expect(second.prompt).toBe("Continue the task from where you left off.");
    expect(second.userTexts.filter((t) => t === "first prompt")).toHaveLength(1); // history, not re-sent
    const after = readRecordRaw(w.home, id)!;
    expect(after.restarts).toBe(1);
    expect(after.sessionId).toBe(rec.sessionId);
    const s = await w.cli(["stop", id]);
    expect(s.code).toBe(0);
    const tStopped = Date.now();
    const f = await follow;
    console.log(`[figure] logs -f ended ${Date.now() - tStopped} ms after stop returned`);
    expect(f.code).toBe(0);
    const types = f.stdout.trim().split("\n").map((l) => JSON.parse(l).type as string);
    expect(types.filter((t) => t === "spawn")).toHaveLength(2);
    expect(types).toContain("restart");
    expect(types.at(-1)).toBe("exit");
  });

  it("crash resume: SIGKILL of codex alone → the supervisor resumes the session with `exec resume <id>`; the job then finishes", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const r = await w.cli(["run", "--detach", "--", ...EXEC, "crash me"]);
    const id = r.stdout.split("\n")[0]!;
    w.jobs.add(id);
    const rec = await waitForRecord(w.home, id, (x) => x.status === "running" && x.sessionId !== null, 20_000, "bound");
    await w.server.waitForRequests(1, 20_000);
    w.server.setDelay(0);
    w.server.setResponder(() => ({ text: "RECOVERED-AFTER-CRASH" }));
    killTracked([trackedOf(rec.child!)], "SIGKILL");
    const done = await waitForRecord(w.home, id, (x) => x.status === "exited", 60_000, "job finished after the crash");
    expect(done.restarts).toBe(1);
    expect(done.sessionId).toBe(rec.sessionId);
    const second = w.server.turnRequests[1]!;
    expect(second.sessionId).toBe(rec.sessionId);
    expect(second.prompt).toBe("Continue the task from where you left off.");
    const res = await w.cli(["result", id]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("RECOVERED-AFTER-CRASH");
    expect(fs.readFileSync(path.join(w.home, "jobs", `${id}.log`), "utf8")).toContain('"type":"crash"');
  });

  it("foreground run: same records, codex's output on our stdout, codex's exit status", async () => {
    w = await makeWorld({ reply: "FOREGROUND-OK" });
    const r = await w.cli(["run", "--name", "fg", "--", ...EXEC, "quick one"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("FOREGROUND-OK");
    const id = /job (j-\d{8}-[0-9a-f]{8})/.exec(r.stderr)![1]!;
    w.jobs.add(id);
    const rec = readRecordRaw(w.home, id)!;
    expect(rec).toMatchObject({ status: "exited", exitCode: 0, name: "fg" });
    const res = await w.cli(["result", "--name", "fg"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("FOREGROUND-OK");
  });

  it("usage errors exit 2 and name the problem; names are unique among live jobs", async () => {
    w = await makeWorld({ delayMs: 60_000 });
    const bad = await w.cli(["run", "--detach", "--", "resume", "--last"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("a job runs `codex exec`");
    expect((await w.cli(["run", "--bogus", "--", ...EXEC, "x"])).stderr).toContain("unknown option '--bogus'");
    expect((await w.cli(["result", "j-nope"])).code).toBe(2);
    expect((await w.cli(["logs"])).code).toBe(2);
    const a = await w.cli(["run", "--detach", "--name", "dup", "--", ...EXEC, "one"]);
    const id = a.stdout.split("\n")[0]!;
    w.jobs.add(id);
    const b = await w.cli(["run", "--detach", "--name", "dup", "--", ...EXEC, "two"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`the name 'dup' is used by live job ${id}`);
    expect(b.stdout).toBe("");
    expect((await w.cli(["stop", id])).code).toBe(0);
    // Once it ended, the name is free again.
    const c = await w.cli(["run", "--detach", "--name", "dup", "--", ...EXEC, "three"]);
    expect(c.code, c.stderr).toBe(0);
    const id2 = c.stdout.split("\n")[0]!;
    w.jobs.add(id2);
    expect(id2).not.toBe(id);
    const s2 = await w.cli(["stop", "--name", "dup"]);
    expect(s2.stdout, s2.stderr).toContain(`${id2}: stopped`);
  });
});
