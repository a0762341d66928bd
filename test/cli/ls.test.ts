// `ls` through the compiled binary (build first: npx tsc -p .).
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobRecordFile } from "../../lib/paths.js";
import { createJob, readJob, updateJob } from "../../lib/jobs/records.js";
import { cliInHome } from "../helpers/cli.js";
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
    const r = await cliInHome(home, ["ls"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No running or recent/);
    expect(JSON.parse((await cliInHome(home, ["ls", "--json"])).stdout)).toEqual([]);
  });

  it("--json: recent jobs newest first with the documented names; the dead 'running' one is lost and stays lost", async () => {
    seed();
    const r = await cliInHome(home, ["ls", "--json"]);
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
    const all = JSON.parse((await cliInHome(home, ["ls", "--all", "--json"])).stdout) as Array<{ id: string }>;
    expect(all.map((x) => x.id)).toEqual(["j-20250109-00000003", "j-20250109-00000002", "s-20250109-00000001", "j-20250101-00000004"]);
    const table = await cliInHome(home, ["ls", "-a"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+ACCOUNT\s+SESSION\s+STARTED\s+PID\s+COMMAND$/);
    expect(lines).toHaveLength(5);
    expect(table.stdout).toMatch(/j-00000003\s+exited 0\s+-\s+-\s+1d ago\s+-\s+\[nightly\] codex exec y/);
    expect(table.stdout).toMatch(/j-00000002\s+lost\s/);
    expect(table.stdout).toMatch(/j-00000004\s+failed 1\s/);
    // The live one shows its supervisor's pid; ended ones none (their pid may be another process's now).
    expect(table.stdout).toMatch(new RegExp(`s-00000001\\s+running\\s+-\\s+0199aaaa\\s+3d ago\\s+${process.pid}\\s+codex "fix it"`));
    expect(table.stdout).not.toMatch(/999999|999998/);
    expect(table.stderr).toBe(""); // the verdict was persisted by the first listing: no new note
    const wide = await cliInHome(home, ["ls", "-a", "--wide"]);
    expect(wide.stdout.split("\n")[0]).toMatch(/^ID\s+STATUS\s+ACCOUNT\s+SESSION\s+STARTED\s+RESTARTS\s+PID\s+CODEX\s+COMMAND$/);
    expect(wide.stdout).toMatch(/^j-20250109-00000003\s+exited 0\s/m);
  });

  it("fits 80 columns: long cells are cut, rows never wrap; UUIDv7 session ids by their random tail", async () => {
    const now = Date.now();
    const long = "refactor the billing module so that every invoice path goes through one validated builder, then fix the tests";
    for (let i = 0; i < 3; i++) {
      const id = `s-20260501-0000abc${i}`;
      createJob(home, { id, kind: "session", supervisor: refOf(), cwd: "/w", argv: [long] }, new Date(now - (i + 1) * 60_000));
      // Three sessions started in the same minute: their UUIDv7s share the first 8 digits.
      updateJob(home, id, { status: "running", account: "a-rather-long-account-name@example.com", sessionId: `019a3f2c-7d10-7${i}aa-8bbb-00000000cd0${i}`, restarts: i });
    }
    const r = await cliInHome(home, ["ls"], { COLUMNS: "80" });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(lines.slice(1).map((l) => /\b0000cd0\d\b/.exec(l)?.[0])).toEqual(["0000cd00", "0000cd01", "0000cd02"]);
    expect(r.stdout).not.toContain("019a3f2c");
    expect(lines[2]).toMatch(/running \(1 restart\)/);
    expect(lines[3]).toMatch(/running \(2 restarts\)/);
    expect(r.stdout).toContain("…");
    expect(r.stdout).not.toMatch(/\u001b\[/); // not a terminal: no colour
    // A pipe without COLUMNS keeps whole cells; FORCE_COLOR colours the status.
    expect((await cliInHome(home, ["ls"])).stdout).toContain(long);
    expect((await cliInHome(home, ["ls"], { COLUMNS: "80", FORCE_COLOR: "1" })).stdout).toContain("\u001b[32mrunning");
    expect((await cliInHome(home, ["ls"], { COLUMNS: "80", FORCE_COLOR: "1", NO_COLOR: "1" })).stdout).toContain("\u001b[32mrunning");
    expect((await cliInHome(home, ["ls"], { COLUMNS: "80", FORCE_COLOR: "0" })).stdout).not.toMatch(/\u001b\[/);
  });

  it("names an unreadable record on stderr and still lists the rest", async () => {
    seed();
    fs.writeFileSync(jobRecordFile(home, "j-20250109-00000003"), "{ broken");
    const r = await cliInHome(home, ["ls", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(jobRecordFile(home, "j-20250109-00000003"));
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(2);
    expect(fs.readFileSync(jobRecordFile(home, "j-20250109-00000003"), "utf8")).toBe("{ broken");
  });

  it("rejects unknown options and arguments with exit 2 naming them; --help exits 0", async () => {
    const bad = await cliInHome(home, ["ls", "--al"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'--al'");
    const arg = await cliInHome(home, ["ls", "extra"]);
    expect(arg.code).toBe(2);
    expect(arg.stderr).toContain("'extra'");
    const help = await cliInHome(home, ["ls", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: codex-supervisor ls/);
  });
});
