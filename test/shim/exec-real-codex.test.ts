// No wrapper stays, with the pinned real codex (reference 001: a bot backend starts `codex app-server`
// and later SIGKILLs the pid it started): through the shim the pid a caller starts IS the native codex,
// so that SIGKILL leaves nothing — on the first call (the Node path decides, the sh execs) and on a
// warm one (the fast path) — and the exec'd codex's own environment has none of our variables but the
// npm launcher's contract.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REAL_CODEX_LAUNCHER, REAL_CODEX_NATIVE } from "../helpers/codex-home.js";
import { pollUntil } from "../helpers/poll.js";
import { expectNoLeftovers, findProcessesByEnv, readEnviron } from "../helpers/processes.js";
import { ensureBundle, pathOf, REAL_CODEX_BIN_DIR, recordFile, SHELLS, SHIM, SHIM_DIR, shimEnv, spyNode } from "./shim-harness.js";

const MARK = "CODEX_SHIM_TEST_MARK";
const NATIVE = realpathSync(REAL_CODEX_NATIVE);
let dir: string;
let spy: ReturnType<typeof spyNode>;

beforeAll(async () => {
  await ensureBundle();
  // Not under the temp dir: codex refuses to create its helper links there (it only warns).
  const parent = path.join(os.homedir(), ".cache", "codex-supervisor");
  mkdirSync(parent, { recursive: true });
  dir = mkdtempSync(path.join(parent, "shim-exec-real-"));
  spy = spyNode(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function untilExe(child: ChildProcess, want: string, timeoutMs = 15_000): Promise<void> {
  let exe = "";
  await pollUntil(
    () => {
      exe = "";
      try {
        exe = readlinkSync(`/proc/${child.pid}/exe`);
      } catch {
        // not started yet, or gone
      }
      if (exe === want) return true;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before exec'ing ${want}`);
      return false;
    },
    timeoutMs,
    () => `pid ${child.pid} to exec ${want} (it is ${exe || "(unknown)"})`,
    20,
  );
}

describe.runIf(process.platform === "linux").each(SHELLS)("the real codex through the shim under $name", (shell) => {
  it.each(["Node path (first call)", "fast path (warm record)"])("codex app-server, %s: SIGKILL of the pid started leaves no codex, and its env has no CODEX_AUTH_*", async (route) => {
    const mark = randomUUID();
    // codex refuses a CODEX_HOME that does not exist (and exits): make it, so it serves until killed.
    mkdirSync(path.join(dir, `codex-home-${mark}`));
    const env = shimEnv({
      PATH: pathOf(SHIM_DIR, REAL_CODEX_BIN_DIR, spy.dir),
      CODEX_HOME: path.join(dir, `codex-home-${mark}`),
      CODEX_AUTH_SUPERVISOR_HOME: path.join(dir, `sup-${mark}`),
      CODEX_AUTH_TOKEN: "secret-token",
      codex_multi_auth_key: "secret-key",
      [MARK]: mark,
    });
    if (route.startsWith("fast")) {
      // Two calls: the first writes the record, the second must already be the fast path.
      for (let i = 0; i < 2; i++) {
        const c = spawn(shell.command[0]!, [...shell.command.slice(1), SHIM, "--version"], { env, argv0: shell.argv0, stdio: "ignore" });
        await new Promise((r) => c.once("exit", r));
      }
      expect(recordFile(env)).toMatch(/path-\d+$/);
    }
    const before = spy.shimNodeStarts().length;
    const child = spawn(shell.command[0]!, [...shell.command.slice(1), SHIM, "app-server"], { env, argv0: shell.argv0, stdio: ["pipe", "ignore", "ignore"] });
    const exited = new Promise<NodeJS.Signals | number | null>((r) => child.once("exit", (code, sig) => r(sig ?? code)));
    try {
      await untilExe(child, NATIVE);
      expect(spy.shimNodeStarts().slice(before).map((l) => l.split(" ")[1])).toEqual(route.startsWith("fast") ? [] : ["decide"]);
      const seen = readEnviron(child.pid!)!;
      for (const k of seen.keys()) expect(k).not.toMatch(/^codex_(multi_)?auth_/i);
      expect(seen.get("CODEX_MANAGED_PACKAGE_ROOT")).toBe(realpathSync(path.join(path.dirname(REAL_CODEX_LAUNCHER), "..")));
      expect(seen.get("CODEX_MANAGED_BY_NPM")).toBe("1");
      expect(seen.get(MARK)).toBe(mark);
      // Everything started for this call carries the mark; the pid we started is the only one.
      expect(findProcessesByEnv(MARK, mark).map((p) => p.pid)).toContain(child.pid);
      child.kill("SIGKILL"); // the handle's pid: ours, not yet reaped, so not reused
      expect(await exited).toBe("SIGKILL");
      await expectNoLeftovers({ envKey: MARK, envValue: mark });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
