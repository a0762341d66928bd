// A secret in a job's command line never reaches its record, `ls --json` or `status --json` (compiled
// binary; build first), while the job's own supervisor still gets the command line as given.
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobRecordFile, jobsDir } from "../../lib/paths.js";
import { createJob, readJob, updateJob } from "../../lib/jobs/records.js";
import { jobLaunchArgv } from "../../lib/jobs/launch-argv.js";
import { removeJobFiles } from "../../lib/jobs/removal.js";
import { cliInHome } from "../helpers/cli.js";
import { refOf, tempHome } from "../jobs/helpers.js";
import { makeWorld, waitForRecord, type World } from "../helpers/job-world.js";

const KEY = "sk-test-SECRET123";
const ARGV = ["exec", "-c", `model_providers.x.api_key=${KEY}`, "--remote-auth-token-env", "SECRET123_TOKEN_VAR", "summarise"];

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

/** Every file under the jobs directory except the kept launch argv, as one text. */
function storedText(): string {
  return fs
    .readdirSync(jobsDir(home), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith(".argv"))
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8"))
    .join("\n");
}

describe("argv secrets", () => {
  it("are redacted in the record file, ls --json and status --json", async () => {
    const id = "j-20250109-000000a1";
    const created = createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: ARGV });
    expect(JSON.stringify(created)).not.toContain("SECRET123");
    updateJob(home, id, { status: "running" });
    // A writer that patches argv (a supervisor's record path) is covered too.
    updateJob(home, id, { argv: [...ARGV, "again"] });

    const record = fs.readFileSync(jobRecordFile(home, id), "utf8");
    expect(record).not.toContain("SECRET123");
    expect(readJob(home, id).argv).toEqual(["exec", "-c", "model_providers.x.api_key=[redacted]", "--remote-auth-token-env", "[redacted]", "summarise", "again"]);

    const ls = await cliInHome(home, ["ls", "--json"]);
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.stdout) as { id: string }[]).map((r) => r.id)).toEqual([id]);
    const status = await cliInHome(home, ["status", id, "--json"]);
    expect(status.code).toBe(0);
    const table = await cliInHome(home, ["ls"]);
    const text = await cliInHome(home, ["status", id]);
    for (const r of [ls, status, table, text]) expect(r.stdout + r.stderr).not.toContain("SECRET123");
    expect(text.stdout).toContain("model_providers.x.api_key=[redacted]");
    expect(storedText()).not.toContain("SECRET123");
  });

  it("the supervisor's launch argv is the original, kept 0600 only while the job is active", () => {
    const id = "j-20250109-000000a2";
    const created = createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: ARGV });
    const kept = path.join(jobsDir(home), `${id}.argv`);
    expect(fs.statSync(kept).mode & 0o777).toBe(0o600);
    expect(jobLaunchArgv(home, created)).toEqual(ARGV);
    expect(jobLaunchArgv(home, readJob(home, id))).toEqual(ARGV);
    updateJob(home, id, { status: "running" });
    expect(fs.existsSync(kept)).toBe(true);
    updateJob(home, id, { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
    expect(fs.existsSync(kept)).toBe(false);
    expect(storedText()).not.toContain("SECRET123");

    // Nothing to redact: nothing kept aside, the record's argv is the launch argv.
    const plain = createJob(home, { id: "j-20250109-000000a3", kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "hi"] });
    expect(fs.existsSync(path.join(jobsDir(home), "j-20250109-000000a3.argv"))).toBe(false);
    expect(jobLaunchArgv(home, plain)).toEqual(["exec", "hi"]);

    // prune's removal takes the kept file too.
    createJob(home, { id: "j-20250109-000000a4", kind: "job", supervisor: refOf(), cwd: "/w", argv: ARGV });
    expect(removeJobFiles(home, "j-20250109-000000a4")).toContain(path.join(jobsDir(home), "j-20250109-000000a4.argv"));
  });

  it("an unusable kept argv is an error naming the file, not a codex started with [redacted]", () => {
    const id = "j-20250109-000000a5";
    const created = createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: ARGV });
    const kept = path.join(jobsDir(home), `${id}.argv`);
    fs.writeFileSync(kept, "[1, 2");
    expect(() => jobLaunchArgv(home, created)).toThrow(new RegExp(`${kept.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is unreadable`));
  });
});

describe("argv secrets with the real codex (compiled dist/, loopback model)", () => {
  let w: World | null = null;
  afterEach(async () => {
    await w?.cleanup();
    w = null;
  });

  // A secret-named override codex really uses: the provider's bearer token. The model server sees the
  // bearer, so it proves codex got the command line as given while the record shows it redacted.
  for (const detach of [false, true]) {
    it(`run ${detach ? "--detach" : "(foreground)"}: codex sends the given token; record, ls and status never show it`, async () => {
      w = await makeWorld({ reply: "done" });
      const token = `tok-${Math.random().toString(36).slice(2)}-SECRET123`;
      const override = `model_providers.mock.experimental_bearer_token=${token}`;
      const r = await w.cli(["run", ...(detach ? ["--detach"] : []), "--name", "secretive", "--", "exec", "--skip-git-repo-check", "-c", override, "say done"]);
      expect(r.code, r.stderr).toBe(0);
      const id = readdirIds(w.home)[0]!;
      w.jobs.add(id);
      const rec = await waitForRecord(w.home, id, (x) => x.status === "exited", 60_000, "the job's exit");
      expect(rec.exitCode).toBe(0);
      expect(w.server.turnRequests.map((t) => t.bearerKey)).toContain(token);
      const ls = await w.cli(["ls", "--json"]);
      const status = await w.cli(["status", id, "--json"]);
      expect((JSON.parse(status.stdout) as { argv: string[] }).argv).toContain("model_providers.mock.experimental_bearer_token=[redacted]");
      for (const out of [r, ls, status]) expect(out.stdout + out.stderr).not.toContain(token);
      for (const f of fs.readdirSync(path.join(w.home, "jobs"))) {
        if (f.endsWith(".json") || f.endsWith(".log")) expect(fs.readFileSync(path.join(w.home, "jobs", f), "utf8"), f).not.toContain(token);
      }
      expect(fs.existsSync(path.join(w.home, "jobs", `${id}.argv`))).toBe(false); // gone with the job
    }, 120_000);
  }
});

function readdirIds(home: string): string[] {
  return fs.readdirSync(path.join(home, "jobs")).filter((f) => /^j-.*\.json$/.test(f)).map((f) => f.slice(0, -5));
}
