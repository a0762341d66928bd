// The shim as a real process in front of the stand-in codex (test/fixtures/fake-codex/codex):
// argv byte-exact, env stripped, exit code and death-by-signal mirrored, signals forwarded,
// TTY kept, nothing printed, nothing of ours left running.
import { spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  ensureBundle,
  FAKE,
  FAKE_DIR,
  isAlive,
  pathOf,
  readReport,
  removeDir,
  runShim,
  SHIM,
  SHIM_DIR,
  tempDir,
  waitFor,
} from "./shim-harness.js";

let dir: string;
let report: string;
const envFor = (extra: Record<string, string | undefined> = {}) =>
  cleanEnv({ PATH: pathOf(SHIM_DIR, FAKE_DIR), FAKE_CODEX_REPORT: report, ...extra });

beforeAll(async () => {
  await ensureBundle();
  dir = tempDir();
  report = path.join(dir, "report.json");
});
afterAll(() => removeDir(dir));

describe("passthrough", () => {
  it("hands codex the argv byte for byte and prints nothing of its own", async () => {
    const args = ["hello world", `it's "quoted" \\ $HOME`, "", "ünïcødé ✓ 日本", "--leading", "-x", "--", "a=b", " ", "-", "\t\n"];
    const r = await runShim(args, envFor());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("");
    expect(readReport(report)!.argv).toEqual(args);
  });

  it("removes every CODEX_AUTH_*/CODEX_MULTI_AUTH_* key (any case) and nothing else", async () => {
    const ours = { CODEX_AUTH_TOKEN: "secret", codex_auth_lower: "x", CODEX_MULTI_AUTH_KEY: "y", Codex_Multi_Auth_Mixed: "z", CODEX_AUTH_: "w" };
    const keep = { KEEP_ME: "1", CODEX_HOME: "/nonexistent/codex-home", CODEX_AUTHX: "not ours", MY_CODEX_AUTH_TOKEN: "not ours" };
    const env = envFor({ ...ours, ...keep });
    const r = await runShim([], env);
    expect(r.code).toBe(0);
    const got = readReport(report)!.env;
    for (const k of Object.keys(ours)) expect(got).not.toHaveProperty(k);
    // The stand-in is a script (it could be a wrapper that calls `codex` again): it also gets the
    // loop guard naming it. Everything else is exactly the shim's environment.
    const expected: Record<string, string | undefined> = { ...env, CODEX_SUPERVISOR_SHIM_SEEN: realpathSync(FAKE) };
    for (const k of Object.keys(ours)) delete expected[k];
    expect(got).toEqual(expected);
  });

  it.each([0, 1, 3, 42, 255])("mirrors exit code %i", async (code) => {
    const r = await runShim(["exec", "x"], envFor({ FAKE_CODEX_MODE: `exit:${code}` }));
    expect(r.code).toBe(code);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe("");
  });

  it.each(["SIGTERM", "SIGINT", "SIGKILL", "SIGSEGV", "SIGUSR1"] as const)("dies of the same signal when codex dies of %s", async (sig) => {
    const r = await runShim([], envFor({ FAKE_CODEX_MODE: `signal:${sig}` }));
    expect(r.signal).toBe(sig);
    expect(r.code).toBeNull();
  });

  it("lets the shell see 128+n for a death by signal", () => {
    const r = spawnSync("/bin/sh", ["-c", `"${SHIM}"; echo "status=$?"`], { env: envFor({ FAKE_CODEX_MODE: "signal:SIGTERM" }), encoding: "utf8" });
    expect(r.stdout.trim()).toBe("status=143");
  });

  it("passes codex's own output through untouched", async () => {
    const r = await runShim([], envFor({ FAKE_CODEX_MODE: "print:only codex speaks\n" }));
    expect(r.stdout).toBe("only codex speaks\n");
    expect(r.stderr).toBe("");
  });

  it.each(["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const)(
    "forwards %s to codex while waiting, then dies of it like codex did, leaving no process",
    async (sig) => {
      const file = path.join(dir, `wait-${sig}.json`);
      const pending = runShim([], envFor({ FAKE_CODEX_MODE: "wait", FAKE_CODEX_REPORT: file }));
      const ready = await waitFor("the stand-in to be ready", () => readReport(file)?.ready && readReport(file));
      const shimPid = ready.ppid;
      // The stand-in is the shim's direct child: no intermediate process of ours.
      expect(isAlive(shimPid)).toBe(true);
      process.kill(shimPid, sig);
      const r = await pending;
      expect(r.child.pid).toBe(shimPid);
      expect(readReport(file)!.received).toBe(sig);
      expect(r.signal).toBe(sig);
      expect(isAlive(ready.pid)).toBe(false);
      expect(isAlive(shimPid)).toBe(false);
    },
  );

  it("keeps a terminal a terminal (stdin, stdout, stderr)", () => {
    const file = path.join(dir, "tty.json");
    // script(1) gives the shim a pseudo-terminal; -e returns the child's status.
    const r = spawnSync("script", ["-qec", `"${SHIM}" --some-arg; exit 7`, "/dev/null"], {
      env: envFor({ FAKE_CODEX_REPORT: file }),
      encoding: "utf8",
      timeout: 20000,
    });
    expect(r.status).toBe(7);
    const rep = readReport(file)!;
    expect(rep.isatty).toEqual([true, true, true]);
    expect(rep.argv).toEqual(["--some-arg"]);
  });

  it("leaves no process behind once codex has exited", async () => {
    const r = await runShim([], envFor({ FAKE_CODEX_MODE: "exit:5" }));
    expect(r.code).toBe(5);
    const rep = readReport(report)!;
    expect(isAlive(rep.pid)).toBe(false);
    expect(isAlive(rep.ppid)).toBe(false);
  });
});
