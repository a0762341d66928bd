import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readJobReconciled, listJobsReconciled, probeProcess, reconcileRecord } from "../../lib/jobs/reconcile-io.js";
import { createJob, readJob, updateJob, type WithLock } from "../../lib/jobs/records.js";
import { readEvents } from "../helpers/event-log.js";
import { readIdentity } from "../../lib/process/identity.js";
import type { ProcessRef } from "../../lib/jobs/record.js";
import { cleanEnv } from "../helpers/env.js";
import { refOf, tempHome } from "./helpers.js";

let home: string;
const started: ChildProcess[] = [];

/** A process of ours that reports every catchable signal it gets on stdout, and says when it is ready. */
async function startWitness(): Promise<{ proc: ChildProcess; output: () => string }> {
  const code = `
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT"]) process.on(s, () => process.stdout.write("GOT " + s + "\\n"));
    process.stdout.write("READY\\n");
    setInterval(() => {}, 1000);`;
  const proc = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"], env: cleanEnv() });
  started.push(proc);
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("witness not ready")), 10_000);
    proc.stdout!.on("data", () => {
      if (out.includes("READY")) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return { proc, output: () => out };
}

/** The identity of a process that existed and has exited (started, pinned, killed, reaped). */
async function deadRef(): Promise<ProcessRef> {
  const p = spawn("sleep", ["30"], { stdio: "ignore" });
  started.push(p);
  await new Promise((r) => p.once("spawn", r));
  const ref = refOf(p.pid!);
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGKILL");
  await exited;
  return ref;
}

beforeEach(() => {
  home = tempHome();
});
afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once("exit", r));
      p.kill("SIGKILL");
      await gone;
    }
  }
  fs.rmSync(home, { recursive: true, force: true });
});

const newRunning = (id: string, supervisor: ProcessRef, child: ProcessRef | null) => {
  createJob(home, { id, kind: "job", supervisor, child, cwd: "/", argv: ["exec", "x"] });
  return updateJob(home, id, { status: "running" });
};

describe("probeProcess", () => {
  it("alive for this process, gone for an exited one, reused for a pid whose start differs", async () => {
    expect(probeProcess(refOf())).toBe("alive");
    expect(probeProcess(await deadRef())).toBe("gone");
    const me = refOf();
    expect(probeProcess({ pid: me.pid, identity: { ...me.identity, startTicks: me.identity.startTicks + 1 } })).toBe("reused");
    expect(probeProcess({ pid: me.pid, identity: { ...me.identity, bootId: "another-boot" } })).toBe("reused");
    expect(probeProcess(null)).toBe("none");
  });
});

describe("readJobReconciled", () => {
  it("persists lost with a reason when supervisor and child are gone, logs it once, and does not recur", async () => {
    const sup = await deadRef();
    const child = await deadRef();
    newRunning("j-20250109-00000001", sup, child);
    const r = await readJobReconciled(home, "j-20250109-00000001");
    expect(r.changed).toBe(true);
    expect(r.persistError).toBeNull();
    expect(r.record.status).toBe("lost");
    expect(r.reason).toMatch(new RegExp(`supervisor pid ${sup.pid} is gone .*; child pid ${child.pid} is gone`));
    const onDisk = readJob(home, "j-20250109-00000001");
    expect(onDisk.status).toBe("lost");
    expect(onDisk.reason).toBe(r.reason);
    expect(onDisk.endedAt).not.toBeNull();
    const again = await readJobReconciled(home, "j-20250109-00000001");
    expect(again.changed).toBe(false);
    expect(again.record).toEqual(onDisk);
    expect(readEvents(home, "j-20250109-00000001").events.filter((e) => e.type === "lost")).toHaveLength(1);
  });

  it("a pid now held by an unrelated live process counts as gone: lost, and that process is never signalled", async () => {
    const w = await startWitness();
    const real = readIdentity(w.proc.pid!)!;
    // The record's supervisor pid is the witness's pid, but with another start time: PID reuse.
    const reused: ProcessRef = { pid: real.pid, identity: { ...real, startTicks: real.startTicks - 1 } };
    newRunning("j-20250109-00000002", reused, await deadRef());
    const r = await readJobReconciled(home, "j-20250109-00000002");
    expect(r.record.status).toBe("lost");
    expect(r.reason).toContain(`supervisor pid ${real.pid} is gone (the pid now belongs to another process`);
    // Untouched: still the same live process, and it saw no signal.
    await new Promise((res) => setTimeout(res, 200)); // let any (wrongly) sent signal's handler print
    expect(probeProcess({ pid: real.pid, identity: real })).toBe("alive");
    expect(w.output()).toBe("READY\n");
  });

  it("leaves a record alone while its supervisor lives, even with the child gone", async () => {
    newRunning("j-20250109-00000003", refOf(), await deadRef());
    const r = await readJobReconciled(home, "j-20250109-00000003");
    expect(r.changed).toBe(false);
    expect(r.record.status).toBe("running");
  });

  it("keeps a record whose child outlived its supervisor running, with an orphan note", async () => {
    const w = await startWitness();
    newRunning("j-20250109-00000004", await deadRef(), refOf(w.proc.pid!));
    const r = await readJobReconciled(home, "j-20250109-00000004");
    expect(r.changed).toBe(false);
    expect(r.record.status).toBe("running");
    expect(r.reason).toContain("still running without it");
  });

  it("re-judges when the supervisor wrote its last words after the liveness check (no clobbering)", async () => {
    const rec = newRunning("j-20250109-00000005", await deadRef(), null);
    let probes = 0;
    const r = await reconcileRecord(home, rec, {
      probe: () => {
        // The supervisor records its exit between our read and our write.
        if (probes++ === 0) updateJob(home, rec.id, { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
        return { supervisor: "gone", child: "none" };
      },
      withLock: ((fn) => fn(() => {})) as WithLock,
    });
    expect(r.record.status).toBe("exited");
    expect(readJob(home, rec.id).status).toBe("exited");
    expect(readJob(home, rec.id).exitCode).toBe(0);
  });

  it("still reports the verdict when it cannot be persisted", async () => {
    const rec = newRunning("j-20250109-00000006", await deadRef(), null);
    const r = await reconcileRecord(home, rec, {
      withLock: (async () => {
        throw new Error("lock busy");
      }) as WithLock,
    });
    expect(r.record.status).toBe("lost");
    expect(r.persistError).toBe("lock busy");
    expect(readJob(home, rec.id).status).toBe("running");
  });
});

describe("listJobsReconciled", () => {
  it("reconciles active records under the real storage lock and keeps ended ones as they are", async () => {
    newRunning("j-20250109-00000010", await deadRef(), await deadRef());
    newRunning("j-20250109-00000011", refOf(), null);
    const ended = createJob(home, { id: "j-20250109-00000012", kind: "job", supervisor: await deadRef(), cwd: "/", argv: [] });
    updateJob(home, ended.id, { status: "exited", exitCode: 3, endedAt: new Date().toISOString() });
    const l = await listJobsReconciled(home);
    const byId = Object.fromEntries(l.records.map((r) => [r.id, r.status]));
    expect(byId).toEqual({ "j-20250109-00000010": "lost", "j-20250109-00000011": "running", "j-20250109-00000012": "exited" });
    expect(l.notes.map((n) => n.id)).toEqual(["j-20250109-00000010"]);
    expect(readJob(home, "j-20250109-00000010").status).toBe("lost");
    expect(fs.existsSync(`${home}/storage.lock`)).toBe(false); // released
  });
});
