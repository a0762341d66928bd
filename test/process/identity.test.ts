import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isAlive, parseProcStat, parsePsLine, readBootId, readIdentity, sameIdentity } from "../../lib/process/identity.js";
import { envValue, listProcesses, readMarker } from "../../lib/process/proc-table.js";
import { descendantsOf, snapshotTree } from "../../lib/process/tree.js";
import type { ProcInfo } from "../../lib/process/proc-table.js";

describe("parseProcStat", () => {
  const tail = "S 100 200 300 34816 200 4194560 500 0 0 0 10 5 0 0 20 0 1 0 987654 1000000 200";
  it("reads state, ppid, pgrp, session and start ticks (field 22)", () => {
    expect(parseProcStat(`4242 (node) ${tail}`)).toEqual({
      pid: 4242,
      comm: "node",
      state: "S",
      ppid: 100,
      pgrp: 200,
      session: 300,
      startTicks: 987654,
    });
  });
  it("splits after the LAST ')' so a comm with spaces and parentheses cannot shift fields", () => {
    expect(parseProcStat(`7 (a) b) (c ) ${tail}`)).toMatchObject({ pid: 7, comm: "a) b) (c ", ppid: 100, startTicks: 987654 });
  });
  it("returns null on malformed input", () => {
    expect(parseProcStat("")).toBeNull();
    expect(parseProcStat("12 (x) S 1")).toBeNull();
  });
});

describe("parsePsLine (macOS branch, pure)", () => {
  it("parses pid, ppid, state, lstart and comm", () => {
    const p = parsePsLine("  501   1 Ss   Tue Nov 14 09:05:01 2023     /usr/bin/some thing");
    expect(p).toMatchObject({ pid: 501, ppid: 1, state: "S", comm: "/usr/bin/some thing" });
    expect(p!.startSec).toBe(Math.floor(Date.parse("Tue Nov 14 09:05:01 2023") / 1000));
    expect(parsePsLine("garbage")).toBeNull();
  });
});

describe("live identities", () => {
  it("our own identity is stable, alive, and carries the boot id", () => {
    const a = readIdentity(process.pid)!;
    const b = readIdentity(process.pid)!;
    expect(sameIdentity(a, b)).toBe(true);
    expect(a.bootId).toBe(readBootId());
    expect(a.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(isAlive(a)).toBe(true);
    expect(readIdentity(2 ** 30)).toBeNull();
  });

  it("a process that exited is not alive under its old identity", async () => {
    const c = spawn("sleep", ["30"], { stdio: "ignore" });
    await new Promise((r) => c.once("spawn", r));
    const id = readIdentity(c.pid!)!;
    expect(isAlive(id)).toBe(true);
    c.kill("SIGKILL");
    await new Promise((r) => c.once("exit", r));
    expect(isAlive(id)).toBe(false);
  });

  it("listProcesses contains us with our parent; readMarker reads the environment", async () => {
    const me = listProcesses().find((p) => p.pid === process.pid)!;
    expect(me.ppid).toBe(process.ppid);
    const c = spawn("sleep", ["30"], { stdio: "ignore", env: { PATH: process.env.PATH, CODEX_SUPERVISOR_JOB: "j-20240101-abcdef01" } });
    try {
      await new Promise((r) => c.once("spawn", r));
      expect(readMarker(c.pid!)).toBe("j-20240101-abcdef01");
      expect(snapshotTree(process.pid).map((m) => m.pid)).toContain(c.pid);
      expect(snapshotTree(2 ** 30, { marker: "j-20240101-abcdef01" }).map((m) => [m.pid, m.via])).toEqual([[c.pid, "marker"]]);
    } finally {
      c.kill("SIGKILL");
    }
    expect(readMarker(2 ** 30)).toBeNull();
  });
});

describe("pure helpers", () => {
  it("envValue: exact key, last assignment wins, no prefix confusion", () => {
    const env = ["A=1", "CODEX_SUPERVISOR_JOBX=no", "CODEX_SUPERVISOR_JOB=s-1", "CODEX_SUPERVISOR_JOB=s-2", ""].join("\0");
    expect(envValue(env, "CODEX_SUPERVISOR_JOB")).toBe("s-2");
    expect(envValue(env, "B")).toBeNull();
  });

  it("descendantsOf walks the parent links, never from init", () => {
    const p = (pid: number, ppid: number): ProcInfo => ({ pid, ppid, comm: `p${pid}`, state: "S", identity: { pid, startTicks: pid, bootId: "b" } });
    const table = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(13, 1), p(20, 10)];
    expect(descendantsOf(table, [10]).map((m) => [m.pid, m.via])).toEqual([
      [10, "root"],
      [11, "descendant"],
      [20, "descendant"],
      [12, "descendant"],
    ]);
    expect(descendantsOf(table, [99])).toEqual([]);
    expect(descendantsOf(table, [1])).toEqual([]);
  });
});
