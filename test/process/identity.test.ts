// The process table, identities and markers on both ports (Linux /proc, macOS against the simulated
// ps/sysctl/lsof), with real processes; the /proc formats as table tests.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { newJobId } from "../../lib/jobs/ids.js";
import { escalateTree } from "../../lib/process/escalate.js";
import { aliveOf, isAlive, readIdentity, sameIdentity, type ProcessIdentity } from "../../lib/process/identity.js";
import { envFromEnviron, fdinfoWritable, parseProcStat } from "../../lib/process/proc-format.js";
import { JOB_MARKER_ENV, listMarked, markerOf, readMarkers } from "../../lib/process/proc-table.js";
import { signalVerified } from "../../lib/process/signal.js";
import { descendantPids, selfAndAncestors, snapshotTree } from "../../lib/process/tree.js";
import { cleanEnv } from "../helpers/env.js";
import { platformCases, usePlatform } from "../platform/matrix.js";

describe("parseProcStat", () => {
  const tail = "S 100 200 300 34816 200 4194560 500 0 0 0 10 5 0 0 20 0 1 0 987654 1000000 200";
  it("reads state, ppid, pgrp, session and start ticks (field 22)", () => {
    expect(parseProcStat(`4242 (node) ${tail}`)).toEqual({ pid: 4242, comm: "node", state: "S", ppid: 100, pgrp: 200, session: 300, startTicks: 987654 });
  });
  it("splits after the LAST ')' so a comm with spaces and parentheses cannot shift fields", () => {
    expect(parseProcStat(`7 (a) b) (c ) ${tail}`)).toMatchObject({ pid: 7, comm: "a) b) (c ", ppid: 100, startTicks: 987654 });
  });
  it("returns null on malformed input", () => {
    expect(parseProcStat("")).toBeNull();
    expect(parseProcStat("12 (x) S 1")).toBeNull();
  });
});

describe("pure helpers", () => {
  it("envFromEnviron: exact keys, last assignment wins, no prefix confusion, only the keys asked for", () => {
    const env = ["A=1", "CODEX_SUPERVISOR_JOBX=no", "CODEX_SUPERVISOR_JOB=s-1", "CODEX_SUPERVISOR_JOB=s-2", "=x", "B", ""].join("\0");
    expect(envFromEnviron(env, [JOB_MARKER_ENV])).toEqual(new Map([[JOB_MARKER_ENV, "s-2"]]));
    expect(envFromEnviron(env, ["A", "B", "C"])).toEqual(new Map([["A", "1"]]));
    expect(envFromEnviron(env, [])).toEqual(new Map());
  });

  it("fdinfoWritable reads the access mode from the octal flags line", () => {
    expect(fdinfoWritable("pos:\t0\nflags:\t0100000\nmnt_id:\t30\n")).toBe(false); // O_RDONLY|O_LARGEFILE
    expect(fdinfoWritable("pos:\t0\nflags:\t02102002\nmnt_id:\t30\n")).toBe(true); // O_RDWR|O_APPEND|O_CLOEXEC...
    expect(fdinfoWritable("pos:\t0\nflags:\t0102001\n")).toBe(true); // O_WRONLY|O_APPEND
    expect(fdinfoWritable("pos:\t0\n")).toBeNull();
  });

  it("snapshotTree walks the parent links of a given table, never from init; marker carriers bring their children", () => {
    const p = (pid: number, ppid: number, job?: string) => ({ pid, ppid, comm: `p${pid}`, state: "S", identity: { pid, startTicks: pid, bootId: "b" }, env: new Map(job ? [[JOB_MARKER_ENV, job]] : []) });
    const table = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(13, 1), p(20, 10), p(30, 1, "j-x"), p(31, 30), p(40, 1, "j-other")];
    expect(snapshotTree([10], { table }).map((m) => [m.pid, m.via])).toEqual([
      [10, "root"],
      [11, "descendant"],
      [20, "descendant"],
      [12, "descendant"],
    ]);
    expect(snapshotTree([99], { table })).toEqual([]);
    expect(snapshotTree([1], { table })).toEqual([]);
    expect(snapshotTree([10], { table, marker: "j-x" }).map((m) => [m.pid, m.via])).toEqual([
      [10, "root"],
      [11, "descendant"],
      [20, "descendant"],
      [12, "descendant"],
      [30, "marker"],
      [31, "descendant"],
    ]);
  });

  it("sameIdentity: pid, start, boot, and the executable name only where both identities carry one", () => {
    const a: ProcessIdentity = { pid: 5, startTicks: 100, bootId: "b" };
    expect(sameIdentity(a, { ...a })).toBe(true);
    expect(sameIdentity(a, { ...a, startTicks: 101 })).toBe(false);
    expect(sameIdentity(a, { ...a, bootId: "c" })).toBe(false);
    expect(sameIdentity({ ...a, comm: "node" }, { ...a, comm: "node" })).toBe(true);
    expect(sameIdentity({ ...a, comm: "node" }, { ...a, comm: "sleep" })).toBe(false);
    expect(sameIdentity({ ...a, comm: "node" }, a)).toBe(true); // a record written without it
  });
});

const started: ChildProcess[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const gone = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await gone;
  }
});

/** A node process of ours that stays until killed; resolves once it runs its code (exec done). */
async function startNode(env: NodeJS.ProcessEnv, extraArgs: string[] = []): Promise<ChildProcess> {
  const c = spawn(process.execPath, ["-e", "process.stdout.write('up\\n');setInterval(()=>{},1e6)", "--", ...extraArgs], { stdio: ["ignore", "pipe", "inherit"], env });
  started.push(c);
  await new Promise<void>((resolve, reject) => {
    c.stdout!.once("data", () => resolve());
    c.once("error", reject);
    c.once("exit", (code, signal) => reject(new Error(`test process exited early (${code ?? signal})`)));
  });
  return c;
}

describe.each(platformCases())("the process table on $label", (pc) => {
  usePlatform(pc);
  const baseEnv = cleanEnv();

  it("our own identity is stable, alive and carries this platform's boot id; a missing pid has none", () => {
    const a = readIdentity(process.pid, pc.platform)!;
    const b = readIdentity(process.pid, pc.platform)!;
    expect(sameIdentity(a, b)).toBe(true);
    expect(a.bootId).toBe(pc.platform.bootId());
    expect(a.bootId).toMatch(pc.kind === "linux" ? /^[0-9a-f-]{36}$/ : /^boottime-\d+$/);
    if (pc.kind === "macos") {
      expect(a.comm).toBe("node");
      // lstart is in whole seconds: our start second, as the clock saw it.
      expect(Math.abs(a.startTicks - Math.floor((Date.now() - performance.now()) / 1000))).toBeLessThanOrEqual(2);
    }
    expect(isAlive(a, pc.platform)).toBe(true);
    expect(readIdentity(2 ** 22 + 12345, pc.platform)).toBeNull();
  });

  it("a process that exited is not alive under its old identity; aliveOf reads many at once", async () => {
    const c = await startNode(baseEnv);
    const id = readIdentity(c.pid!, pc.platform)!;
    const me = readIdentity(process.pid, pc.platform)!;
    expect(aliveOf([id, me], pc.platform)).toEqual(new Set([c.pid, process.pid]));
    c.kill("SIGKILL");
    await new Promise((r) => c.once("exit", r));
    expect(isAlive(id, pc.platform)).toBe(false);
    expect(aliveOf([id, me], pc.platform)).toEqual(new Set([process.pid]));
  });

  it("the table holds us under our parent; markers are read from the environment the process started with", async () => {
    const me = pc.platform.list().find((p) => p.pid === process.pid)!;
    expect(me.ppid).toBe(process.ppid);
    const marker = newJobId("job");
    const home = `/tmp/home with space ${randomBytes(2).toString("hex")}/é`;
    const c = await startNode({ ...baseEnv, CODEX_SUPERVISOR_JOB: marker, CODEX_SUPERVISOR_HOME: home, AFTER: "x y=z" });
    expect(readMarkers(c.pid!, pc.platform)).toEqual(new Map([[JOB_MARKER_ENV, marker], ["CODEX_SUPERVISOR_HOME", home]]));
    const row = listMarked(pc.platform).find((p) => p.pid === c.pid)!;
    expect(markerOf(row)).toBe(marker);
    expect(snapshotTree(process.pid, { platform: pc.platform }).map((m) => m.pid)).toContain(c.pid);
    // Linux from the kernel's child lists, macOS from the table.
    expect(descendantPids([process.pid], pc.platform)).toEqual(expect.arrayContaining([process.pid, c.pid]));
    expect(descendantPids([c.pid!], pc.platform)).toEqual([c.pid]);
    expect(snapshotTree(2 ** 22 + 12345, { marker, platform: pc.platform }).map((m) => [m.pid, m.via])).toEqual([[c.pid, "marker"]]);
    expect(readMarkers(2 ** 22 + 12345, pc.platform)).toBeNull();
  });

  it("a command line that merely contains the marker text is not a carrier", async () => {
    const marker = newJobId("job");
    // The exact token as an argument followed by more arguments, and inside a longer argument.
    const a = await startNode(baseEnv, [`${JOB_MARKER_ENV}=${marker}`, "more"]);
    const b = await startNode(baseEnv, [`--tag=${JOB_MARKER_ENV}=${marker}`, `echo ${JOB_MARKER_ENV}=${marker}; true`]);
    const carrier = await startNode({ ...baseEnv, CODEX_SUPERVISOR_JOB: marker });
    const found = snapshotTree([], { marker, platform: pc.platform }).map((m) => m.pid);
    expect(found).toEqual([carrier.pid]);
    expect(found).not.toContain(a.pid);
    expect(found).not.toContain(b.pid);
  });

  it("a reused pid (same pid, another start time, boot or executable) is never signalled", async () => {
    const c = await startNode(baseEnv);
    const real = readIdentity(c.pid!, pc.platform)!;
    const forged: ProcessIdentity[] = [
      { ...real, startTicks: real.startTicks - 1 },
      { ...real, bootId: "another-boot" },
      // Same pid and start second, another program: what lstart's one-second resolution cannot tell.
      ...(pc.kind === "macos" ? [{ ...real, comm: "sleep" }] : []),
    ];
    for (const id of forged) {
      expect(signalVerified(id, "SIGKILL", pc.platform)).toMatchObject({ sent: false, reason: "reused" });
      expect(isAlive(id, pc.platform)).toBe(false);
    }
    const report = await escalateTree({ identities: forged, waits: { sigintWaitMs: 100, sigtermWaitMs: 100, sigkillWaitMs: 100 }, platform: pc.platform });
    expect(report.signalled).toEqual([]);
    expect(c.exitCode).toBeNull();
    expect(c.signalCode).toBeNull();
    expect(isAlive(real, pc.platform)).toBe(true);
    expect(signalVerified(real, "SIGTERM", pc.platform)).toMatchObject({ sent: true });
    await new Promise((r) => c.once("exit", r));
    expect(c.signalCode).toBe("SIGTERM");
  });

  it("this process and its ancestors are known from the table", () => {
    const never = selfAndAncestors(pc.platform.list());
    expect(never.has(process.pid)).toBe(true);
    expect(never.has(process.ppid)).toBe(true);
  });
});

describe("the macOS port reads the whole table in one ps call", () => {
  const pc = platformCases().find((c) => c.kind === "macos")!;
  usePlatform(pc);

  it("a marker snapshot is one `ps -wwEA`; a probe of several pids one `ps -p`; the boot one sysctl per process", async () => {
    const marker = newJobId("job");
    const kids = await Promise.all([0, 1, 2].map(() => startNode(cleanEnv({ CODEX_SUPERVISOR_JOB: marker }))));
    pc.platform.bootId();
    pc.sim!.reset();
    const found = snapshotTree([], { marker, platform: pc.platform });
    expect(found.map((m) => m.pid).sort()).toEqual(kids.map((k) => k.pid).sort());
    expect(pc.sim!.calls()).toEqual(["ps -wwEA -o pid=,ppid=,ruid=,stat=,lstart=,ucomm=,command="]);
    pc.sim!.reset();
    expect(aliveOf(found.map((m) => m.identity), pc.platform).size).toBe(3);
    expect(pc.sim!.calls()).toEqual([`ps -o pid=,ppid=,ruid=,stat=,lstart=,ucomm= -p ${found.map((m) => m.pid).sort((x, y) => x - y).join(",")}`]);
    expect(pc.sim!.calls("sysctl")).toEqual([]);
  });
  it("the ps it runs does not carry our markers: a supervisor inside another job's session never finds its own ps", async () => {
    const marker = newJobId("session");
    const saved = process.env.CODEX_SUPERVISOR_JOB;
    process.env.CODEX_SUPERVISOR_JOB = marker; // what children of a nested supervisor inherit
    try {
      const carrier = await startNode(cleanEnv({ CODEX_SUPERVISOR_JOB: marker }));
      expect(snapshotTree([], { marker, platform: pc.platform }).map((m) => m.pid)).toEqual([carrier.pid]);
    } finally {
      if (saved === undefined) delete process.env.CODEX_SUPERVISOR_JOB;
      else process.env.CODEX_SUPERVISOR_JOB = saved;
    }
  });
});

describe("the macOS port and Apple's restricted executables (their environment is not shown to ps)", () => {
  const pc = platformCases().find((c) => c.kind === "macos")!;
  usePlatform(pc);

  it("a restricted process is found through its parent, never by its marker; a node one by either", async () => {
    const marker = newJobId("job");
    const env = cleanEnv({ CODEX_SUPERVISOR_JOB: marker });
    // node → sleep (Apple's /bin/sleep on a Mac), both carrying the marker.
    const parent = spawn(process.execPath, ["-e", `const c=require("child_process").spawn("sleep",["300"],{stdio:"ignore"});c.on("spawn",()=>process.stdout.write(c.pid+"\\n"));setInterval(()=>{},1e6)`], { stdio: ["ignore", "pipe", "inherit"], env });
    started.push(parent);
    const sleepPid = Number(await new Promise<string>((resolve) => parent.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    const lone = spawn("sleep", ["300"], { stdio: "ignore", env });
    started.push(lone);
    await new Promise((r) => lone.once("spawn", r));

    expect(readMarkers(sleepPid, pc.platform)).toBeNull(); // unreadable, not "no marker"
    const byMarker = snapshotTree([], { marker, platform: pc.platform });
    expect(byMarker.map((m) => [m.pid, m.via])).toEqual([
      [parent.pid, "marker"],
      [sleepPid, "descendant"],
    ]);
    expect(byMarker.map((m) => m.pid)).not.toContain(lone.pid);
    const report = await escalateTree({ identities: [], marker, waits: { sigintWaitMs: 300, sigtermWaitMs: 300, sigkillWaitMs: 1000 }, platform: pc.platform });
    expect(report.signalled.map((s) => s.pid)).toEqual(expect.arrayContaining([parent.pid, sleepPid]));
    expect(report.left).toEqual([]);
    expect(isAlive(readIdentity(lone.pid!, pc.platform)!, pc.platform)).toBe(true); // cleaned up by afterEach
  });
});
