// `shellenv` evaluated in real shells: the shim first on PATH exactly once, however often it runs.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { shellenvLine } from "../../lib/cli/commands/shellenv.js";
import { CLI_BIN } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";

/** Each shell found on this machine, by its absolute path (the tests run it with a PATH of their own). */
const SHELLS = ["sh", "dash", "bash", "zsh"].flatMap((s) => {
  const r = spawnSync("sh", ["-c", `command -v ${s}`], { encoding: "utf8" });
  return r.status === 0 ? [{ name: s, file: r.stdout.trim() }] : [];
});
const SHIM = path.join(REPO_ROOT, "shim");

function inShell(shell: string, script: string, PATH: string): string {
  const r = spawnSync(shell, ["-c", script], { env: cleanEnv({ PATH, HOME: "/nonexistent" }), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${shell}: exit ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

describe("shellenv", () => {
  it("at least sh and bash are here to test with", () => expect(SHELLS.map((s) => s.name)).toEqual(expect.arrayContaining(["sh", "bash"])));

  for (const { name: shell, file } of SHELLS) {
    it(`${shell}: eval twice leaves one entry, first; an entry further down moves to the front`, () => {
      const node = path.dirname(process.execPath);
      const evalTwice = `eval "$(${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BIN)} shellenv)"; eval "$(${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BIN)} shellenv)"; printf '%s' "$PATH"`;
      expect(inShell(file, evalTwice, `${node}:/usr/bin:/bin`)).toBe(`${SHIM}:${node}:/usr/bin:/bin`);
      expect(inShell(file, evalTwice, `/usr/bin:${SHIM}:/bin:${SHIM}`)).toBe(`${SHIM}:/usr/bin:/bin`);
      expect(inShell(file, evalTwice, "")).toBe(SHIM);
    });

    it(`${shell}: a directory with spaces, quotes and glob characters is matched literally`, () => {
      const dir = "/tmp/it's a [test]*?/shim";
      const line = shellenvLine(dir);
      const out = inShell(file, `${line}; ${line}; printf '%s' "$PATH"`, `/usr/bin:${dir}:/tmp/its a Xtest]ab/shim:/bin`);
      expect(out).toBe(`${dir}:/usr/bin:/tmp/its a Xtest]ab/shim:/bin`);
    });
  }

  it("the shim directory it names exists and holds the shim", () => {
    expect(fs.existsSync(path.join(SHIM, "codex"))).toBe(true);
  });
});
