// The shim as a real process in front of the stand-in codex (test/fixtures/fake-codex/codex), under
// every shell it must run in, on both of its paths — the fast path (a current launch record: the sh
// execs codex, no Node starts) and the Node path (no record: Node decides, the sh execs): argv byte-exact,
// env stripped, exit code and death-by-signal mirrored, the process the caller started IS codex (a
// signal to it reaches codex, nothing of ours stays), TTY kept, nothing printed.
import { spawnSync } from "node:child_process";
import { realpathSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBundle, FAKE, FAKE_DIR, isAlive, pathOf, readReport, recordFile, removeDir, type RunResult, runShim, type Shell, SHELLS, SHIM, SHIM_DIR, shimEnv, spyNode, tempDir } from "./shim-harness.js";
import { pollUntil } from "../helpers/poll.js";

let dir: string;
let report: string;
let spy: ReturnType<typeof spyNode>;

beforeAll(async () => {
  await ensureBundle();
  dir = tempDir();
  report = path.join(dir, "report.json");
  spy = spyNode(dir);
});
afterAll(() => removeDir(dir));

const envFor = (extra: Record<string, string | undefined> = {}) =>
  shimEnv({ PATH: pathOf(SHIM_DIR, FAKE_DIR, spy.dir), FAKE_CODEX_REPORT: report, ...extra });

const cases = SHELLS.flatMap((shell) => (["fast", "node"] as const).map((route) => ({ shell, route })));

describe.each(cases)("passthrough under $shell.name, $route path", ({ shell, route }) => {
  /** Run the shim on the chosen path, and check that path is the one that ran. */
  async function run(args: string[], env: NodeJS.ProcessEnv, opts: { shell?: Shell } = {}): Promise<RunResult> {
    if (route === "node") rmSync(recordFile(env), { force: true });
    else await runShim(["--warm-up"], { ...env, FAKE_CODEX_MODE: undefined, FAKE_CODEX_REPORT: path.join(dir, "warm.json") }, { shell });
    const before = spy.shimNodeStarts().length;
    const r = await runShim(args, env, { shell, ...opts });
    const started = spy.shimNodeStarts().slice(before);
    if (route === "fast") expect(started, "the fast path must not start Node").toEqual([]);
    else expect(started).toEqual([expect.stringMatching(/dist\/shim\/entry\.js decide /)]);
    return r;
  }
  /** The shell command that runs the shim under this shell (for `sh -c` and script(1)). */
  const inline = `${shell.argv0 === "sh" ? `${shell.command[0]} --posix` : shell.command.join(" ")} "${SHIM}"`;

  it("hands codex the argv byte for byte and prints nothing of its own", async () => {
    const args = ["hello world", `it's "quoted" \\ $HOME`, "", "ünïcødé ✓ 日本", "--leading", "-x", "--", "a=b", " ", "-", "\t\n", "*", "$(id)"];
    const r = await run(args, envFor());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("");
    expect(readReport(report)!.argv).toEqual(args);
  });

  it("removes every CODEX_AUTH_*/CODEX_MULTI_AUTH_* key (any case) and nothing else", async () => {
    const ours = { CODEX_AUTH_TOKEN: "secret", codex_auth_lower: "x", CODEX_MULTI_AUTH_KEY: "y", Codex_Multi_Auth_Mixed: "z", CODEX_AUTH_: "w", CODEX_AUTH_MULTI: "a\nCODEX_AUTH_FAKE=1\nb" };
    const keep = { KEEP_ME: "1", CODEX_HOME: "/nonexistent/codex-home", CODEX_AUTHX: "not ours", MY_CODEX_AUTH_TOKEN: "not ours", MULTI: "x\nCODEX_AUTH_Y=2" };
    // PWD and SHLVL, as every shell a user starts codex from exports them: without them sh and bash add
    // their own (the shell's doing, not the shim's).
    const env = envFor({ ...ours, ...keep, PWD: process.cwd(), SHLVL: "1" });
    const r = await run([], env);
    expect(r.code).toBe(0);
    const got = readReport(report)!.env;
    for (const k of Object.keys(ours)) expect(got).not.toHaveProperty(k);
    // The stand-in is a script (it could be a wrapper that calls `codex` again): it also gets the
    // loop guard naming it. Everything else is exactly the shim's environment.
    const expected: Record<string, string | undefined> = { ...env, CODEX_SUPERVISOR_SHIM_SEEN: realpathSync(FAKE) };
    for (const k of [...Object.keys(ours), "CODEX_AUTH_SUPERVISOR_HOME"]) delete expected[k];
    // bash keeps `$_` (the last argument) as its own variable: the inherited value is not passed on.
    if (shell.argv0 === "sh") {
      delete expected._;
      delete got._;
    }
    expect(got).toEqual(expected);
  });

  it.each([0, 1, 3, 42, 255])("mirrors exit code %i", async (code) => {
    const r = await run(["exec", "x"], envFor({ FAKE_CODEX_MODE: `exit:${code}` }));
    expect(r.code).toBe(code);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe("");
  });

  it.each(["SIGTERM", "SIGINT", "SIGKILL", "SIGSEGV", "SIGUSR1"] as const)("dies of the same signal when codex dies of %s", async (sig) => {
    const r = await run([], envFor({ FAKE_CODEX_MODE: `signal:${sig}` }));
    expect(r.signal).toBe(sig);
    expect(r.code).toBeNull();
  });

  it("lets the shell see 128+n for a death by signal", async () => {
    await run([], envFor({ FAKE_CODEX_MODE: "exit:0" })); // settles the record for this path
    if (route === "node") rmSync(recordFile(envFor()), { force: true });
    const r = spawnSync("/bin/sh", ["-c", `${inline}; echo "status=$?"`], { env: envFor({ FAKE_CODEX_MODE: "signal:SIGTERM" }), encoding: "utf8" });
    expect(r.stdout.trim()).toBe("status=143");
  });

  it("passes codex's own output through untouched", async () => {
    const r = await run([], envFor({ FAKE_CODEX_MODE: "print:only codex speaks\n" }));
    expect(r.stdout).toBe("only codex speaks\n");
    expect(r.stderr).toBe("");
  });

  it.each(["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const)(
    "the process the caller started is codex: %s sent to it reaches codex, which dies of it, leaving nothing",
    async (sig) => {
      const file = path.join(dir, `wait-${sig}.json`);
      const env = envFor({ FAKE_CODEX_MODE: "wait", FAKE_CODEX_REPORT: file });
      rmSync(file, { force: true });
      const pending = run([], env);
      const ready = await pollUntil(() => readReport(file)?.ready && readReport(file), 15_000, "the stand-in to be ready", 20);
      // exec, not a wrapper: the stand-in runs in the very process the caller spawned.
      expect(isAlive(ready.pid)).toBe(true);
      process.kill(ready.pid, sig);
      const r = await pending;
      expect(r.child.pid).toBe(ready.pid);
      expect(readReport(file)!.received).toBe(sig);
      expect(r.signal).toBe(sig);
      expect(isAlive(ready.pid)).toBe(false);
    },
  );

  it("keeps a terminal a terminal (stdin, stdout, stderr)", async () => {
    const file = path.join(dir, "tty.json");
    await run([], envFor({ FAKE_CODEX_REPORT: file })); // settles the record for this path
    if (route === "node") rmSync(recordFile(envFor()), { force: true });
    // script(1) gives the shim a pseudo-terminal; -e returns the child's status.
    const r = spawnSync("script", ["-qec", `${inline} --some-arg; exit 7`, "/dev/null"], {
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
    const r = await run([], envFor({ FAKE_CODEX_MODE: "exit:5" }));
    expect(r.code).toBe(5);
    const rep = readReport(report)!;
    expect(rep.pid).toBe(r.child.pid);
    expect(isAlive(rep.pid)).toBe(false);
  });
});
