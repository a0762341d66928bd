// `ls` through the compiled binary (build first: npx tsc -p .).
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobRecordFile } from "../../lib/paths.js";
import { createJob, readJob, updateJob } from "../../lib/jobs/records.js";
import { cli } from "../jobs/cli-helpers.js";
import { fakeRef, refOf, tempHome } from "../jobs/helpers.js";

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const DAY = 86_400_000;
function seed() {
  const now = Date.now();
  // running, owned by a live supervisor (this test process)
  createJob(home, { id: "s-20250109-00000001", kind: "session", supervisor: refOf(), cwd: "/w", argv: ["fix it"] }, new Date(now - 3 * DAY));
  updateJob(home, "s-20250109-00000001", { status: "running", sessionId: "0199aaaa-bbbb" });
  // "running", but its processes are long gone
  createJob(home, { id: "j-20250109-00000002", kind: "job", supervisor: fakeRef(999_999), child: fakeRef(999_998), cwd: "/w", argv: ["exec", "x"] }, new Date(now - 2 * DAY));
  updateJob(home, "j-20250109-00000002", { status: "running" });
  // ended an hour ago
  createJob(home, { id: "j-20250109-00000003", kind: "job", name: "nightly", supervisor: fakeRef(999_997), cwd: "/w", argv: ["exec", "y"] }, new Date(now - DAY));
  updateJob(home, "j-20250109-00000003", { status: "exited", exitCode: 0, endedAt: new Date(now - 3_600_000).toISOString() });
  // ended 5 days ago
  createJob(home, { id: "j-20250101-00000004", kind: "job", supervisor: fakeRef(999_996), cwd: "/w", argv: ["exec", "z"] }, new Date(now - 6 * DAY));
  updateJob(home, "j-20250101-00000004", { status: "failed", exitCode: 1, endedAt: new Date(now - 5 * DAY).toISOString() });
}

describe("codex-supervisor ls", () => {
  it("says so when there is nothing", async () => {
    const r = await cli(home, ["ls"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No running or recent/);
    expect(JSON.parse((await cli(home, ["ls", "--json"])).stdout)).toEqual([]);
  });

  it("--json: recent jobs newest first with SPEC names; the dead 'running' one is lost and stays lost", async () => {
    seed();
    const r = await cli(home, ["ls", "--json"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => x.id)).toEqual(["j-20250109-00000003", "j-20250109-00000002", "s-20250109-00000001"]);
    for (const k of ["id", "kind", "status", "sessionId", "account", "pid", "childPid", "restarts", "cwd", "createdAt", "updatedAt", "exitCode", "signal", "reason"]) {
      expect(Object.keys(rows[0]!)).toContain(k);
    }
    const byId = Object.fromEntries(rows.map((x) => [x.id, x]));
    expect(byId["s-20250109-00000001"]).toMatchObject({ status: "running", pid: process.pid, sessionId: "0199aaaa-bbbb" });
    expect(byId["j-20250109-00000002"]).toMatchObject({ status: "lost", pid: 999_999, childPid: 999_998 });
    expect(r.stderr).toMatch(/j-20250109-00000002: supervisor pid 999999 is gone/);
    expect(String(byId["j-20250109-00000002"]!.reason)).toMatch(/supervisor pid 999999 is gone.*child pid 999998 is gone/);
    expect(readJob(home, "j-20250109-00000002").status).toBe("lost"); // persisted
  });

  it("--all includes old records; the table shows one line per job", async () => {
    seed();
    const all = JSON.parse((await cli(home, ["ls", "--all", "--json"])).stdout) as Array<{ id: string }>;
    expect(all.map((x) => x.id)).toEqual(["j-20250109-00000003", "j-20250109-00000002", "s-20250109-00000001", "j-20250101-00000004"]);
    const table = await cli(home, ["ls", "-a"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+KIND\s+STATUS/);
    expect(lines).toHaveLength(5);
    expect(table.stdout).toMatch(/j-20250109-00000003\s+job\s+exited \(exit 0\)/);
    expect(table.stdout).toContain("[nightly] codex exec y");
    expect(table.stdout).toMatch(/j-20250109-00000002\s+job\s+lost/);
    expect(table.stderr).toBe(""); // the verdict was persisted by the first listing: no new note
  });

  it("names an unreadable record on stderr and still lists the rest", async () => {
    seed();
    fs.writeFileSync(jobRecordFile(home, "j-20250109-00000003"), "{ broken");
    const r = await cli(home, ["ls", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(jobRecordFile(home, "j-20250109-00000003"));
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(2);
    expect(fs.readFileSync(jobRecordFile(home, "j-20250109-00000003"), "utf8")).toBe("{ broken");
  });

  it("rejects unknown options and arguments with exit 2 naming them; --help exits 0", async () => {
    const bad = await cli(home, ["ls", "--al"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'--al'");
    const arg = await cli(home, ["ls", "extra"]);
    expect(arg.code).toBe(2);
    expect(arg.stderr).toContain("'extra'");
    const help = await cli(home, ["ls", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: codex-supervisor ls/);
  });
});
