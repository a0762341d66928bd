// Trust boundaries, end to end through the compiled CLI and shim: a home that is not ours alone is
// refused (exit 2, one line naming the path and the fix) — by root against a home chown'ed to another
// uid, and by another uid (setpriv) against a root-owned home; the shim never runs a "real codex"
// named by a config someone else planted; a symlink planted in the home is never written through; and
// every file-system failure of ls/status/prune/run/logs is one line naming the path, never a stack.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { liveCliPids, runCli, type CliResult } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";
import { runShim } from "../shim/shim-harness.js";

const OTHER = 65534;
const DRIVER = path.join(REPO_ROOT, "test/faults/job-store-driver.mjs");
const ID = "j-20250101-0a1b2c3d";

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "trust-faults-"));
  fs.chmodSync(root, 0o755); // another uid must reach its own homes inside
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => expect([...liveCliPids], "every child we started has exited").toEqual([]));

let n = 0;
interface Place {
  base: string;
  home: string;
  codexHome: string;
  env: NodeJS.ProcessEnv;
}
function place(): Place {
  const base = path.join(root, `case${++n}`);
  const home = path.join(base, "home");
  const codexHome = path.join(base, "codex");
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  fs.mkdirSync(codexHome, { mode: 0o700 });
  fs.chmodSync(base, 0o755);
  const env = cleanEnv({ HOME: base, CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: codexHome, CODEX_AUTH_LOCK_STALE_MS: "2000", CODEX_AUTH_LOCK_UPDATE_MS: "1000" });
  return { base, home, codexHome, env };
}

/** A record of a job whose supervisor is long gone (reconciling it appends a `lost` event). */
function deadJob(home: string, id = ID): void {
  const jobs = path.join(home, "jobs");
  fs.mkdirSync(jobs, { recursive: true, mode: 0o700 });
  const ref = { pid: 999_999, identity: { pid: 999_999, startTicks: 1, bootId: "boot" } };
  const rec = { schemaVersion: 1, rev: 0, id, kind: "job", name: null, status: "running", supervisor: ref, child: null, marker: id, cwd: "/", argv: ["exec", "p"], sessionId: null, rolloutPath: null, account: null, restarts: 0, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:00.000Z", endedAt: null, exitCode: null, signal: null, reason: null };
  fs.writeFileSync(path.join(jobs, `${id}.json`), JSON.stringify(rec) + "\n", { mode: 0o600 });
}

function chownTree(dir: string, uid: number): void {
  fs.chownSync(dir, uid, uid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid);
    else fs.lchownSync(p, uid, uid);
  }
}

/** Our CLI as another uid: setpriv drops to it with no supplementary groups. */
function runAs(uid: number, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCli(args, env, { via: ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups"], timeoutMs: 30_000 });
}

/** One line on stderr, no stack frame, no "internal error". */
function oneCleanLine(r: { stderr: string }, what: string): string {
  expect(r.stderr, `${what}: no stack trace`).not.toMatch(/\n\s+at |internal error/);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines, `${what}: one line: ${r.stderr}`).toHaveLength(1);
  return lines[0]!;
}

const COMMANDS: [string, (p: Place) => string[]][] = [
  ["ls", () => ["ls"]],
  ["status", () => ["status", ID]],
  ["logs", () => ["logs", ID]],
  ["prune", () => ["prune", "--older-than", "1d"]],
  ["run", () => ["run", "--detach", "--", "exec", "hi"]],
  ["accounts list", () => ["accounts", "list"]],
  ["accounts add", () => ["accounts", "add", "a0", "--api-key-env", "KEY"]],
];

describe("a home that is not ours alone is refused", () => {
  it("root, against a home chown'ed to another uid: every command exits 2 naming the home and the fix; nothing is written there", async () => {
    const p = place();
    deadJob(p.home);
    chownTree(p.home, OTHER);
    const before = fs.readdirSync(p.home).sort();
    for (const [what, args] of COMMANDS) {
      const r = await runCli(args(p), { ...p.env, KEY: "sk-test-key-0123456789abcdef" });
      expect(r.code, `${what}: ${r.stderr}`).toBe(2);
      expect(oneCleanLine(r, what)).toBe(`codex-supervisor: refusing to use the supervisor home ${p.home}: it is owned by uid ${OTHER}, not by you (uid 0); fix: make it yours (chown 0 "${p.home}") or use a directory of your own`);
    }
    // No accounts.json (tokens) written into their directory, no lock, no record.
    expect(fs.readdirSync(p.home).sort()).toEqual(before);
    expect(fs.readdirSync(path.join(p.home, "jobs")).sort()).toEqual([`${ID}.json`]);
  });

  it("root, against a jobs/ or config.json writable by others: refused the same way", async () => {
    const p = place();
    deadJob(p.home);
    fs.chmodSync(path.join(p.home, "jobs"), 0o777);
    const r = await runCli(["ls"], p.env);
    expect(r.code).toBe(2);
    expect(oneCleanLine(r, "ls")).toBe(`codex-supervisor: refusing to use the jobs directory ${p.home}/jobs: it is writable by group and others (mode 0777); fix: chmod go-w "${p.home}/jobs"`);
    const q = place();
    fs.writeFileSync(path.join(q.home, "config.json"), "{}");
    fs.chmodSync(path.join(q.home, "config.json"), 0o664);
    const r2 = await runCli(["run", "--detach", "--", "exec", "hi"], q.env);
    expect(r2.code).toBe(2);
    expect(oneCleanLine(r2, "run")).toContain(`refusing to use the config file ${q.home}/config.json: it is writable by group (mode 0664)`);
  });

  it("another uid (setpriv), against a root-owned home: refused, naming it; doctor still reports (FAIL) instead of carrying on silently", async () => {
    const p = place();
    deadJob(p.home);
    fs.chmodSync(p.home, 0o755);
    fs.chmodSync(path.join(p.home, "jobs"), 0o755);
    fs.chmodSync(path.join(p.home, "jobs", `${ID}.json`), 0o644);
    fs.chownSync(p.codexHome, OTHER, OTHER);
    const env = { ...p.env, KEY: "sk-test-key-0123456789abcdef" };
    for (const [what, args] of COMMANDS) {
      const r = await runAs(OTHER, args(p), env);
      expect(r.code, `${what}: ${r.stderr}`).toBe(2);
      expect(oneCleanLine(r, what)).toBe(`codex-supervisor: refusing to use the supervisor home ${p.home}: it is owned by uid 0, not by you (uid ${OTHER}); fix: make it yours (chown ${OTHER} "${p.home}") or use a directory of your own`);
    }
    const doctor = await runAs(OTHER, ["doctor"], env);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL.*refusing to use the supervisor home/);
    expect(doctor.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(fs.readdirSync(p.home).sort()).toEqual(["jobs"]);
  });

  it("the shim never runs the real codex a planted config names: a shared CODEX_HOME with another user's supervisor/ (0777) and config.json", async () => {
    const p = place();
    const shared = path.join(p.base, "shared-codex-home");
    const sup = path.join(shared, "supervisor");
    fs.mkdirSync(sup, { recursive: true });
    fs.chmodSync(shared, 0o777);
    fs.chmodSync(sup, 0o777);
    const evil = path.join(p.base, "evil");
    const ran = path.join(p.base, "evil-ran");
    fs.writeFileSync(evil, `#!/bin/sh\ntouch ${JSON.stringify(ran)}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(sup, "config.json"), JSON.stringify({ realCodexBin: evil }));
    chownTree(shared, OTHER);
    const env = cleanEnv({ HOME: p.base, CODEX_HOME: shared });
    const r = await runShim(["--version"], env);
    expect(r.code).toBe(2);
    expect(oneCleanLine(r, "codex --version")).toBe(`codex-supervisor: refusing to use the config file ${sup}/config.json: it is owned by uid ${OTHER}, not by you (uid 0); fix: make it yours (chown 0 "${sup}/config.json") or use a file of your own`);
    expect(fs.existsSync(ran), "the planted program did not run").toBe(false);

    // Ours, but a symlink (to a file that would name the evil program): refused too.
    const q = place();
    const target = path.join(q.base, "elsewhere.json");
    fs.writeFileSync(target, JSON.stringify({ realCodexBin: evil }));
    fs.symlinkSync(target, path.join(q.home, "config.json"));
    const r2 = await runShim(["--version"], q.env);
    expect(r2.code).toBe(2);
    expect(oneCleanLine(r2, "codex --version")).toContain(`refusing to use the config file ${q.home}/config.json: it is a symbolic link`);
    expect(fs.existsSync(ran)).toBe(false);
  });
});

describe("no symlink in the home is ever followed", () => {
  it("jobs/<id>.log planted as a link to a root-only file: nothing is appended to the target; the append names the log", async () => {
    const p = place();
    deadJob(p.home);
    const target = path.join(p.base, "root-only");
    fs.writeFileSync(target, "ORIGINAL\n", { mode: 0o600 });
    const log = path.join(p.home, "jobs", `${ID}.log`);
    fs.symlinkSync(target, log);
    // `ls` reconciles the dead job to `lost` and logs that event: the record changes, the target does not.
    const ls = await runCli(["ls"], p.env);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(p.home, "jobs", `${ID}.json`), "utf8")).status).toBe("lost");
    // The writer the supervisor uses, directly: one line naming the log, the link refused.
    const r = await runCli(["event", p.home, ID], p.env, { script: DRIVER });
    expect(r.code).toBe(1);
    expect(oneCleanLine(r, "append")).toBe(`codex-supervisor: cannot append to the job event log ${log}: it is a symbolic link (not followed) (ELOOP)`);
    expect(fs.readFileSync(target, "utf8")).toBe("ORIGINAL\n");
    expect(fs.lstatSync(log).isSymbolicLink()).toBe(true);
  });

  it("a record planted as a link is unreadable, named (exit 2); a lock planted as a link is refused, named (exit 1)", async () => {
    const p = place();
    deadJob(p.home, "j-20250101-00000001");
    const rec = path.join(p.home, "jobs", `${ID}.json`);
    fs.symlinkSync(path.join(p.home, "jobs", "j-20250101-00000001.json"), rec);
    const st = await runCli(["status", ID], p.env);
    expect(st.code).toBe(2);
    expect(oneCleanLine(st, "status")).toBe(`codex-supervisor: job record ${rec} is unreadable (cannot read ${rec}: it is a symbolic link (not followed) (ELOOP)); the file is kept as is — inspect or remove it`);

    const elsewhere = path.join(p.base, "a-directory");
    fs.mkdirSync(elsewhere);
    const mtime = fs.statSync(elsewhere).mtimeMs;
    fs.symlinkSync(elsewhere, path.join(p.home, "storage.lock"));
    const use = await runCli(["accounts", "use", "a0"], p.env);
    expect(use.code).toBe(1);
    expect(oneCleanLine(use, "accounts use")).toBe(`codex-supervisor: cannot take the storage lock ${p.home}/storage.lock: it is a symbolic link; remove it (only a directory made by codex-supervisor belongs there)`);
    expect(fs.statSync(elsewhere).mtimeMs).toBe(mtime);
  });
});

describe("file-system failures of ls/status/prune/run/logs: one line naming the path", () => {
  it("jobs/ is a file", async () => {
    const p = place();
    const jobs = path.join(p.home, "jobs");
    fs.writeFileSync(jobs, "not a directory", { mode: 0o600 });
    for (const [what, args] of COMMANDS.slice(0, 5)) {
      const r = await runCli(args(p), p.env);
      expect(r.code, `${what}: ${r.stderr}`).toBe(2);
      expect(oneCleanLine(r, what)).toBe(`codex-supervisor: refusing to use the jobs directory ${jobs}: it is not a directory; fix: move it out of the way`);
    }
    expect(fs.readFileSync(jobs, "utf8")).toBe("not a directory");
  });

  it("jobs/ unreadable to its owner (another uid, mode 0000)", async () => {
    const p = place();
    deadJob(p.home);
    chownTree(p.base, OTHER);
    const jobs = path.join(p.home, "jobs");
    fs.chmodSync(jobs, 0o000);
    try {
      for (const [what, args] of COMMANDS.slice(0, 4)) {
        const r = await runAs(OTHER, args(p), p.env);
        expect(r.code, `${what}: ${r.stderr}`).toBe(1);
        expect(oneCleanLine(r, what)).toBe(`codex-supervisor: cannot list ${jobs}: permission denied (EACCES)`);
      }
    } finally {
      fs.chmodSync(jobs, 0o700);
    }
  });
});
