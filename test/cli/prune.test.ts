// `prune` through the compiled binary (build first: npx tsc -p .).
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobLogFile, jobOutFile, jobRecordFile, jobsDir } from "../../lib/paths.js";
import { appendEvent } from "../../lib/jobs/event-log.js";
import { createJob, readJob, updateJob } from "../../lib/jobs/records.js";
import { cliInHome } from "../helpers/cli.js";
import { fakeRef, refOf, tempHome } from "../jobs/helpers.js";

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const DAY = 86_400_000;
function ended(id: string, daysAgo: number) {
  createJob(home, { id, kind: "job", supervisor: fakeRef(999_999), cwd: "/w", argv: [] }, new Date(Date.now() - (daysAgo + 1) * DAY));
  updateJob(home, id, { status: "exited", exitCode: 0, endedAt: new Date(Date.now() - daysAgo * DAY).toISOString() });
  appendEvent(home, id, { type: "exit", code: 0 });
  fs.writeFileSync(jobOutFile(home, id), "output");
}

function seed() {
  ended("j-20250101-00000001", 10); // old: goes
  ended("j-20250108-00000002", 1); // recent: stays
  // running for 30 days under a live supervisor: never pruned
  createJob(home, { id: "s-20241201-00000003", kind: "session", supervisor: refOf(), cwd: "/w", argv: [] }, new Date(Date.now() - 30 * DAY));
  updateJob(home, "s-20241201-00000003", { status: "running" });
  // "running" 30 days ago, processes gone: becomes lost now, so it is recent and stays
  createJob(home, { id: "s-20241201-00000004", kind: "session", supervisor: fakeRef(999_998), cwd: "/w", argv: [] }, new Date(Date.now() - 30 * DAY));
  updateJob(home, "s-20241201-00000004", { status: "running" }, new Date(Date.now() - 30 * DAY));
  // an old leftover log without a record
  const leftover = path.join(jobsDir(home), "j-20240101-0000000f.log");
  fs.writeFileSync(leftover, "{}\n");
  const old = new Date(Date.now() - 20 * DAY);
  fs.utimesSync(leftover, old, old);
}

describe("codex-supervisor prune", () => {
  it("--dry-run lists what would go and removes nothing", async () => {
    seed();
    await cliInHome(home, ["ls"]); // reads reconcile (and may record a death); a dry run still reads
    const before = fs.readdirSync(jobsDir(home)).sort();
    const r = await cliInHome(home, ["prune", "--older-than", "7d", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would remove j-20250101-00000001 \(exited, ended 10d ago\)/);
    expect(r.stdout).toContain("would remove leftover");
    expect(r.stdout).toContain("1 job(s) would be removed");
    expect(fs.readdirSync(jobsDir(home)).sort()).toEqual(before);
  });

  it("removes finished jobs older than the age with their log and output; keeps running and recent ones", async () => {
    seed();
    const r = await cliInHome(home, ["prune", "--older-than=7d"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Pruned 1 job\(s\), 4 file\(s\)/);
    for (const f of [jobRecordFile(home, "j-20250101-00000001"), jobLogFile(home, "j-20250101-00000001"), jobOutFile(home, "j-20250101-00000001")]) {
      expect(fs.existsSync(f)).toBe(false);
    }
    expect(readJob(home, "j-20250108-00000002").status).toBe("exited");
    expect(readJob(home, "s-20241201-00000003").status).toBe("running");
    expect(readJob(home, "s-20241201-00000004").status).toBe("lost");
    expect(fs.existsSync(jobLogFile(home, "j-20250108-00000002"))).toBe(true);
  });

  it("keeps an unreadable record and names it", async () => {
    ended("j-20250101-00000005", 30);
    fs.writeFileSync(jobRecordFile(home, "j-20250101-00000005"), "not json");
    const r = await cliInHome(home, ["prune", "--older-than", "1d"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`kept unreadable record ${jobRecordFile(home, "j-20250101-00000005")}`);
    expect(fs.readFileSync(jobRecordFile(home, "j-20250101-00000005"), "utf8")).toBe("not json");
  });

  it("usage errors exit 2 and name the flag", async () => {
    const cases: [string[], RegExp][] = [
      [["prune"], /--older-than AGE is required/],
      [["prune", "--older-than"], /--older-than needs a value/],
      [["prune", "--older-than", "7 days"], /--older-than: expected a number and a unit/],
      [["prune", "--older-than", "7d", "--force"], /unknown option '--force'/],
    ];
    for (const [args, msg] of cases) {
      const r = await cliInHome(home, args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect((await cliInHome(home, ["prune", "-h"])).stdout).toMatch(/Usage: codex-supervisor prune/);
  });
});
