// `codex-supervisor doctor` as a real process (compiled CLI; build first) against throw-away homes
// and PATHs: a broken PATH order and a good one, recursion, config, opt-in, lock, permissions.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";

const SHIM_DIR = path.join(REPO_ROOT, "shim");

interface Finding {
  check: string;
  level: "ok" | "warn" | "fail";
  message: string;
  fix?: string;
}

const doctor = (env: NodeJS.ProcessEnv, args: string[] = []) => runCli(["doctor", ...args], env);

describe("doctor", () => {
  let root: string;
  let realDir: string;
  let home: string;
  let codexHome: string;
  let base: NodeJS.ProcessEnv;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-doctor-"));
    realDir = path.join(root, "real-bin");
    fs.mkdirSync(realDir);
    fs.writeFileSync(path.join(realDir, "codex"), "#!/bin/sh\necho real codex\n", { mode: 0o755 });
    codexHome = path.join(root, "codex-home");
    fs.mkdirSync(codexHome, { mode: 0o700 });
    fs.writeFileSync(path.join(codexHome, "auth.json"), '{"OPENAI_API_KEY":"sk-doctor-test-not-real"}\n', { mode: 0o600 });
    home = path.join(codexHome, "supervisor");
    fs.mkdirSync(path.join(home, "jobs"), { recursive: true, mode: 0o700 });
    fs.chmodSync(home, 0o700);
    fs.chmodSync(path.join(home, "jobs"), 0o700);
    base = cleanEnv({ HOME: root, CODEX_HOME: codexHome, PATH: `${SHIM_DIR}:${realDir}:/usr/bin:/bin` });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const findings = (stdout: string) => JSON.parse(stdout) as Finding[];
  const byCheck = (fs_: Finding[], check: string) => fs_.filter((f) => f.check === check);

  it("all good: the shim first on PATH, the real codex found behind it, valid config, private files → exit 0", async () => {
    const r = await doctor(base, ["--json"]);
    const f = findings(r.stdout);
    expect(f.filter((x) => x.level === "fail"), r.stdout).toEqual([]);
    expect(r.code).toBe(0);
    expect(byCheck(f, "path")[0]!.message).toBe(`\`codex\` is the shim (${SHIM_DIR}/codex)`);
    expect(byCheck(f, "real-codex")[0]!.message).toBe(`${realDir}/codex (found via path)`);
    expect(byCheck(f, "recursion")[0]!.level).toBe("ok");
    expect(byCheck(f, "opt-in")[0]!.message).toContain("supervisor off (default");
    expect(byCheck(f, "lock")[0]!.message).toContain("not held");
    expect(byCheck(f, "permissions").map((x) => x.level)).toEqual(["ok", "ok", "ok"]); // home, jobs, auth.json
    // The text form: one line per finding.
    const text = await doctor(base);
    expect(text.stdout.trim().split("\n")).toHaveLength(f.length);
    expect(text.stdout).not.toContain("sk-doctor-test-not-real");
  });

  it("broken PATH order: a real codex before the shim → FAIL with the fix, exit 1", async () => {
    const r = await doctor({ ...base, PATH: `${realDir}:${SHIM_DIR}:/usr/bin:/bin` });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `FAIL path: \`codex\` runs ${realDir}/codex (PATH entry 1); the shim ${SHIM_DIR}/codex comes later (PATH entry 2), so nothing is supervised — fix: put the shim directory before ${realDir}: add \`eval "$(codex-supervisor shellenv)"\``,
    );
  });

  it("the shim directory not on PATH at all → FAIL", async () => {
    const r = await doctor({ ...base, PATH: `${realDir}:/usr/bin:/bin` }, ["--json"]);
    expect(r.code).toBe(1);
    expect(byCheck(findings(r.stdout), "path")[0]).toMatchObject({ level: "fail", message: `\`codex\` runs ${realDir}/codex, not the shim; the shim directory ${SHIM_DIR} is not on PATH` });
  });

  it("recursion: CODEX_AUTH_REAL_CODEX_BIN pointing at the shim → FAIL", async () => {
    const r = await doctor({ ...base, CODEX_AUTH_REAL_CODEX_BIN: path.join(SHIM_DIR, "codex") }, ["--json"]);
    expect(r.code).toBe(1);
    const rec = byCheck(findings(r.stdout), "recursion");
    expect(rec[0]).toMatchObject({ level: "fail" });
    expect(rec[0]!.message).toContain("points at the shim");
  });

  it("invalid config file and opt-in value → FAIL naming the file/field and the variable", async () => {
    fs.writeFileSync(path.join(home, "config.json"), '{"sigintWaitMS": 5}\n');
    const r = await doctor({ ...base, CODEX_AUTH_CLI_SESSION_SUPERVISOR: "maybe" }, ["--json"]);
    expect(r.code).toBe(1);
    const f = findings(r.stdout);
    expect(byCheck(f, "config")[0]!.message).toContain(path.join(home, "config.json"));
    expect(byCheck(f, "config")[0]!.message).toContain('unknown field "sigintWaitMS" (did you mean "sigintWaitMs"?)');
    expect(byCheck(f, "opt-in")[0]).toMatchObject({ level: "fail", message: 'CODEX_AUTH_CLI_SESSION_SUPERVISOR="maybe" is not understood' });
  });

  it("permissions: a world-readable home and auth.json → FAIL with chmod fixes", async () => {
    fs.chmodSync(home, 0o755);
    fs.chmodSync(path.join(codexHome, "auth.json"), 0o644);
    const r = await doctor(base, ["--json"]);
    expect(r.code).toBe(1);
    const perm = byCheck(findings(r.stdout), "permissions").filter((x) => x.level === "fail");
    expect(perm.map((x) => x.fix)).toEqual([`chmod 700 ${JSON.stringify(home)}`, `chmod 600 ${JSON.stringify(path.join(codexHome, "auth.json"))}`]);
  });

  it("a stale storage lock is a warning (the next writer evicts it), a fresh one is fine; exit stays 0", async () => {
    const lock = path.join(home, "storage.lock");
    fs.mkdirSync(lock);
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(lock, old, old);
    const r = await doctor(base, ["--json"]);
    expect(r.code).toBe(0);
    expect(byCheck(findings(r.stdout), "lock")[0]).toMatchObject({ level: "warn" });
    fs.utimesSync(lock, new Date(), new Date());
    const fresh = await doctor(base, ["--json"]);
    expect(byCheck(findings(fresh.stdout), "lock")[0]!.message).toContain("storage lock held");
  });

  it("usage error: unknown flag → exit 2", async () => {
    const r = await doctor(base, ["--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("doctor: unknown option '--frobnicate'");
  });
});
