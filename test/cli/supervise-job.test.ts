// The record handoff between `run --detach` and the detached supervisor (claimSupervision): the
// supervisor waits for its launcher to name it, and takes over by compare-and-swap if the launcher
// died first — so the record always names a live owner and never gets two writers.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimSupervision } from "../../lib/cli/commands/supervise-job.js";
import { newJobId } from "../../lib/jobs/ids.js";
import { createJob, readJob, updateJob } from "../../lib/jobs/records.js";
import { readIdentity, type ProcessIdentity } from "../../lib/process/identity.js";
import { killTracked } from "../helpers/processes.js";

describe("claimSupervision", () => {
  let home: string;
  const me = readIdentity(process.pid)!;
  const started: number[] = [];
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-handoff-"));
  });
  afterEach(() => {
    killTracked(started.splice(0));
    fs.rmSync(home, { recursive: true, force: true });
  });
  const job = (owner: ProcessIdentity, status: "starting" | "stopped" = "starting") => {
    const id = newJobId("job");
    createJob(home, { id, kind: "job", supervisor: { pid: owner.pid, identity: { ...owner } }, cwd: home, argv: ["exec", "x"], status });
    return id;
  };

  it("waits while the launcher lives and returns once the launcher names us", async () => {
    const launcher = spawn("sleep", ["30"], { stdio: "ignore" });
    await new Promise<void>((r) => launcher.once("spawn", () => r()));
    started.push(launcher.pid!);
    const id = job(readIdentity(launcher.pid!)!);
    let claimed = false;
    const p = claimSupervision(home, id, me).then((r) => {
      claimed = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(claimed).toBe(false); // the launcher still owns it
    updateJob(home, id, { supervisor: { pid: me.pid, identity: { ...me } } });
    const rec = await p;
    expect(rec.supervisor.pid).toBe(me.pid);
  });

  it("takes over when the launcher died before handing over", async () => {
    const gone = spawn("true", { stdio: "ignore" });
    await new Promise<void>((r) => gone.once("spawn", () => r()));
    const ident = readIdentity(gone.pid!) ?? { pid: gone.pid!, startTicks: 1, bootId: me.bootId };
    await new Promise<void>((r) => (gone.exitCode !== null ? r() : gone.once("exit", () => r())));
    const id = job(ident);
    const rec = await claimSupervision(home, id, me);
    expect(rec.supervisor.identity).toMatchObject({ pid: me.pid, startTicks: me.startTicks });
    expect(readJob(home, id).supervisor.pid).toBe(me.pid);
  });

  it("refuses a job that already ended", async () => {
    const id = job(me, "stopped");
    const other = { ...me, pid: me.pid, startTicks: me.startTicks + 1 };
    await expect(claimSupervision(home, id, other)).rejects.toThrow(/already stopped/);
  });
});
