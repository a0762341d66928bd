// A foreground `codex-supervisor run -- exec …` ends the way its last codex ended, like the shim
// ("a death by signal is re-raised as the same signal"): a stand-in codex that dies of a
// signal makes the supervisor die of the same signal (not a plain exit 128+n); an exit status is
// mirrored as is. Real processes (the compiled dist/), a shell script as the real codex, crash
// restarts off so its first death is the last.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { cleanEnv } from "../helpers/env.js";
import { jobIds, record } from "./harness.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-runfg-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function runForeground(script: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; home: string }> {
  const standIn = path.join(dir, "codex-stand-in");
  fs.writeFileSync(standIn, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  const home = path.join(dir, "sup");
  const env = cleanEnv({
    CODEX_HOME: path.join(dir, "codex-home"),
    CODEX_AUTH_SUPERVISOR_HOME: home,
    CODEX_AUTH_REAL_CODEX_BIN: standIn,
    CODEX_AUTH_CRASH_RESTART_MAX: "0",
  });
  const { code, signal, stderr } = await runCli(["run", "--", "exec", "--skip-git-repo-check", "hello"], env, { cwd: dir });
  return { code, signal, stderr, home };
}

describe("foreground run mirrors codex's end", () => {
  for (const sig of ["SIGTERM", "SIGKILL"] as const) {
    it(`codex killed by ${sig} → the supervisor dies of ${sig}`, async () => {
      const r = await runForeground(`kill -${sig.slice(3)} $$`);
      expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: null, signal: sig });
      const [id] = jobIds(r.home);
      expect(record(r.home, id!)).toMatchObject({ status: "failed", signal: sig, exitCode: null });
      // The give-up line names the job's manual command form (no session was bound by the stand-in).
      expect(r.stderr).toMatch(/giving up after 0 crash restarts/);
    }, 30_000);
  }

  it("an exit status is mirrored as is", async () => {
    const r = await runForeground("exit 3");
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 3, signal: null });
  }, 30_000);
});
