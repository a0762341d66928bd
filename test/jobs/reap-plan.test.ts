import { describe, expect, it } from "vitest";
import { decideReap, type MarkedJobFacts, type MarkedProcess } from "../../lib/jobs/reap-plan.js";

const HOME = "/home/u/.codex/supervisor";
const proc = (pid: number, marker: string, home: string | null = HOME): MarkedProcess<string> => ({ pid, ppid: 1, comm: "codex", marker, home, identity: `id-${pid}` });
const JOB = "j-20261120-0000000a";

function decide(facts: MarkedJobFacts | undefined, opts: { protectedPid?: number; pid?: number; home?: string | null } = {}) {
  const map = new Map<string, MarkedJobFacts>();
  if (facts) map.set(JOB, facts);
  const pid = opts.pid ?? 100;
  return decideReap([proc(pid, JOB, opts.home === undefined ? HOME : opts.home)], map, new Set(opts.protectedPid ? [opts.protectedPid] : []), HOME)[0]!;
}

describe("decideReap", () => {
  it("keeps processes of a live job with a live supervisor", () => {
    for (const status of ["starting", "running", "restarting"]) {
      const d = decide({ kind: "record", status, supervisorAlive: true, supervisorPid: 42 });
      expect(d.action).toBe("keep");
      expect(d.reason).toContain("live supervisor (pid 42)");
    }
  });
  it("kills processes of a job whose supervisor is gone, whatever the active status", () => {
    for (const status of ["starting", "running", "restarting"]) {
      const d = decide({ kind: "record", status, supervisorAlive: false, supervisorPid: 42 });
      expect(d.action).toBe("kill");
      expect(d.reason).toBe(`job ${JOB} is ${status} but supervisor pid 42 is gone`);
    }
  });
  it("kills processes of a finished job even if its supervisor still lives", () => {
    for (const status of ["exited", "stopped", "failed", "lost"]) {
      const d = decide({ kind: "record", status, supervisorAlive: true, supervisorPid: 42 });
      expect(d).toMatchObject({ action: "kill", reason: `job ${JOB} is ${status}` });
    }
  });
  it("treats a marker without a record as an orphan when the process is tagged with our home", () => {
    expect(decide({ kind: "missing" })).toMatchObject({ action: "kill", reason: `no record for job ${JOB} (orphan)` });
    expect(decide(undefined)).toMatchObject({ action: "kill", reason: `no record for job ${JOB} (orphan)` });
    expect(decide({ kind: "missing" }, { home: HOME + "/" })).toMatchObject({ action: "kill" }); // same dir
  });
  it("leaves an untagged process without a record alone (it may be another home's) and says why", () => {
    const d = decide({ kind: "missing" }, { home: null });
    expect(d.action).toBe("keep");
    expect(d.reason).toContain("no home tag");
  });
  it("never judges a process tagged with another home, whatever our records say", () => {
    for (const f of [{ kind: "missing" } as const, { kind: "record", status: "exited", supervisorAlive: false, supervisorPid: 1 } as const]) {
      expect(decide(f, { home: "/other/home" })).toMatchObject({ action: "keep", reason: "belongs to supervisor home /other/home" });
    }
  });
  it("applies the record rules to untagged processes whose record is ours", () => {
    expect(decide({ kind: "record", status: "stopped", supervisorAlive: false, supervisorPid: 1 }, { home: null }).action).toBe("kill");
  });
  it("treats a malformed marker as an orphan (tagged) without using it as a path", () => {
    const d = decideReap([proc(7, "../../etc/passwd")], new Map([["../../etc/passwd", { kind: "malformed" } as const]]), new Set(), HOME)[0]!;
    expect(d.action).toBe("kill");
    expect(d.reason).toContain("is not a job id (orphan)");
  });
  it("keeps processes whose record is unreadable (no guessing)", () => {
    const d = decide({ kind: "unreadable", error: "bad json" });
    expect(d.action).toBe("keep");
    expect(d.reason).toContain("unreadable (bad json)");
  });
  it("never kills a protected pid (the reap process and its ancestors)", () => {
    const d = decide({ kind: "missing" }, { pid: 55, protectedPid: 55 });
    expect(d).toMatchObject({ action: "keep", reason: "this reap process or one of its ancestors" });
  });
});
