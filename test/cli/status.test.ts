// `status` through the compiled binary (build first: npx tsc -p .).
import { spawn } from "node:child_process";
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createJob, readJob, updateJob } from "../../lib/jobs/records.js";
import { CLI_BIN, cliInHome } from "../helpers/cli.js";
import { cleanEnv } from "../helpers/env.js";
import { pollUntil } from "../helpers/poll.js";
import { fakeRef, refOf, tempHome } from "../jobs/helpers.js";

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const running = (id: string, supervisor = refOf(), name?: string) => {
  createJob(home, { id, kind: "job", supervisor, cwd: "/w", argv: ["exec", "x"], ...(name ? { name } : {}) });
  return updateJob(home, id, { status: "running" });
};

describe("codex-supervisor status", () => {
  it("shows one record (by id prefix or --name) as JSON or text", async () => {
    running("j-20250109-00000001", refOf(), "web");
    const j = await cliInHome(home, ["status", "j-2025", "--json"]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ id: "j-20250109-00000001", status: "running", pid: process.pid, childPid: null });
    const t = await cliInHome(home, ["status", "--name", "web"]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^id:\s+j-20250109-00000001 \(web\)$/m);
    expect(t.stdout).toMatch(/^status:\s+running$/m);
  });

  it("reconciles: a running record whose processes are gone is reported and stored as lost", async () => {
    running("j-20250109-00000002", fakeRef(999_999));
    const r = await cliInHome(home, ["status", "j-20250109-00000002", "--json"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "lost" });
    expect(JSON.parse(r.stdout).reason).toContain("supervisor pid 999999 is gone");
    expect(readJob(home, "j-20250109-00000002").status).toBe("lost");
  });

  it("--wait returns within a second of the supervisor dying", async () => {
    const sup = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      await new Promise((r) => sup.once("spawn", r));
      running("j-20250109-00000003", refOf(sup.pid!));
      const waiting = cliInHome(home, ["status", "j-20250109-00000003", "--wait", "--json"]);
      // Let the waiter start and see the job alive first (it must not return early).
      await new Promise((r) => setTimeout(r, 700));
      const killedAt = performance.now();
      const exited = new Promise((r) => sup.once("exit", r));
      sup.kill("SIGKILL");
      await exited;
      const r = await waiting;
      const latency = performance.now() - killedAt;
      console.log(`status --wait noticed the death after ${latency.toFixed(0)} ms`);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).status).toBe("lost");
      expect(latency).toBeLessThan(1000);
    } finally {
      if (sup.exitCode === null && sup.signalCode === null) sup.kill("SIGKILL");
    }
  });

  it("--wait returns when the supervisor records the end", async () => {
    running("j-20250109-00000004");
    const waiting = cliInHome(home, ["status", "j-20250109-00000004", "--wait"]);
    await new Promise((r) => setTimeout(r, 500));
    updateJob(home, "j-20250109-00000004", { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
    const r = await waiting;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^status:\s+exited \(exit 0\)$/m);
  });

  it("--wait --timeout: exit 124 with a message while the job keeps running", async () => {
    running("j-20250109-00000005");
    const r = await cliInHome(home, ["status", "j-20250109-00000005", "--wait", "--timeout", "0.5"]);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/timed out after 0\.5 s; j-20250109-00000005 is still running/);
    expect(r.ms).toBeGreaterThanOrEqual(500);
    expect(r.ms).toBeLessThan(3000);
  });

  it("usage errors exit 2 and name the problem", async () => {
    running("j-20250109-00000006");
    running("j-20250109-00000007");
    const cases: [string[], RegExp][] = [
      [["status"], /which job/],
      [["status", "j-20250109-0000000"], /matches 2 jobs/],
      [["status", "nope"], /no job matches 'nope'/],
      [["status", "j-20250109-00000006", "--wiat"], /unknown option '--wiat'/],
      [["status", "j-20250109-00000006", "--timeout", "5"], /--timeout only makes sense with --wait/],
      [["status", "j-20250109-00000006", "--wait", "--timeout", "soon"], /--timeout: expected a number of seconds/],
    ];
    for (const [args, msg] of cases) {
      const r = await cliInHome(home, args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    const help = await cliInHome(home, ["status", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit status: 0 shown/);
  });

  it("--wait on a terminal: one progress line on stderr, rewritten in place and cleared before the record", async () => {
    const id = "j-20250109-000000f1";
    running(id);
    updateJob(home, id, { account: "work" });
    // Under `script` the CLI's stdout and stderr are a real pty; what it wrote comes back on script's stdout.
    const env = cleanEnv({ HOME: home, CODEX_AUTH_SUPERVISOR_HOME: home, TERM: "xterm-256color" });
    const child = spawn("script", ["-q", "-e", "-c", `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BIN)} status ${id} --wait`, "/dev/null"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await pollUntil(() => out.includes("waiting for j-000000f1"), 20_000, () => `the progress line; got ${JSON.stringify(out)}`, 25);
    updateJob(home, id, { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
    expect(await exited).toBe(0);
    expect(out).toMatch(/\r\u001b\[2Kwaiting for j-000000f1: running on work, \d+s so far \(Ctrl\+C stops waiting, not the job\)/);
    // Cleared (an empty rewrite) right before the final record is printed.
    expect(out).toMatch(/\r\u001b\[2Kid:\s+j-20250109-000000f1/);
    expect(out).toMatch(/status:\s+\u001b\[2mexited \(exit 0\)\u001b\[22m/); // a terminal: coloured by status
  });
});
