// Resolution of the real codex through the shim as a real process: order (env > config > PATH >
// npm global), never a shim (symlink, second copy, repeated dir), wrapper loops, and the 127 message.
import { chmodSync, copyFileSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBundle, FAKE, FAKE_DIR, pathOf, readReport, removeDir, runShim, SHIM, SHIM_DIR, shimEnv, tempDir } from "../shim/shim-harness.js";

let dir: string;
let report: string;
let home: string;

function makeFake(sub: string): string {
  const d = path.join(dir, sub);
  mkdirSync(d, { recursive: true });
  copyFileSync(FAKE, path.join(d, "codex"));
  chmodSync(path.join(d, "codex"), 0o755);
  return d;
}

const base = (extra: Record<string, string | undefined>) =>
  shimEnv({ FAKE_CODEX_REPORT: report, CODEX_AUTH_SUPERVISOR_HOME: home, HOME: dir, npm_config_prefix: path.join(dir, "no-prefix"), ...extra });

beforeAll(async () => {
  await ensureBundle();
  dir = tempDir();
  report = path.join(dir, "report.json");
  home = path.join(dir, "home");
  mkdirSync(home);
});
afterAll(() => removeDir(dir));


/** Which stand-in ran: it is a script, so the shim names it (realpath) last in the loop guard it exports. */
async function whichRan(env: NodeJS.ProcessEnv): Promise<string> {
  const r = await runShim(["--probe"], env);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const seen = readReport(report)!.env.CODEX_SUPERVISOR_SHIM_SEEN ?? "";
  return seen.split(path.delimiter).at(-1)!;
}

describe("resolving the real codex", () => {
  it("skips a symlink to the shim, the shim dir repeated, and a second copy of the package", async () => {
    const link = path.join(dir, "link");
    mkdirSync(link);
    symlinkSync(SHIM, path.join(link, "codex"));
    const copy = path.join(dir, "copy", "shim");
    mkdirSync(copy, { recursive: true });
    copyFileSync(SHIM, path.join(copy, "codex"));
    chmodSync(path.join(copy, "codex"), 0o755);
    const ran = await whichRan(base({ PATH: pathOf(SHIM_DIR, link, SHIM_DIR, copy, FAKE_DIR) }));
    expect(ran).toBe(realpathSync(FAKE));
  });

  it("prefers CODEX_AUTH_REAL_CODEX_BIN over config, and config over PATH", async () => {
    const a = makeFake("env-choice");
    const b = makeFake("config-choice");
    writeFileSync(path.join(home, "config.json"), JSON.stringify({ realCodexBin: path.join(b, "codex") }));
    try {
      expect(await whichRan(base({ PATH: pathOf(SHIM_DIR, FAKE_DIR), CODEX_AUTH_REAL_CODEX_BIN: path.join(a, "codex") }))).toBe(path.join(a, "codex"));
      expect(await whichRan(base({ PATH: pathOf(SHIM_DIR, FAKE_DIR) }))).toBe(path.join(b, "codex"));
    } finally {
      writeFileSync(path.join(home, "config.json"), "{}");
    }
    expect(await whichRan(base({ PATH: pathOf(SHIM_DIR, FAKE_DIR) }))).toBe(realpathSync(FAKE));
  });

  it("refuses CODEX_AUTH_REAL_CODEX_BIN pointing at the shim (exit 2), instead of looping", async () => {
    const r = await runShim([], base({ PATH: pathOf(SHIM_DIR, FAKE_DIR), CODEX_AUTH_REAL_CODEX_BIN: SHIM }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^codex-supervisor: CODEX_AUTH_REAL_CODEX_BIN points at the codex-supervisor shim/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("names the file and field of a malformed config, exit 2, only when the value is needed", async () => {
    writeFileSync(path.join(home, "config.json"), "{not json");
    try {
      const r = await runShim([], base({ PATH: pathOf(SHIM_DIR, FAKE_DIR) }));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(path.join(home, "config.json"));
      expect(r.stderr).toContain("realCodexBin");
      const ok = await runShim([], base({ PATH: pathOf(SHIM_DIR, FAKE_DIR), CODEX_AUTH_REAL_CODEX_BIN: FAKE, CODEX_AUTH_CLI_SESSION_SUPERVISOR: "0" }));
      expect(ok.code).toBe(0);
    } finally {
      writeFileSync(path.join(home, "config.json"), "{}");
    }
  });

  it("exits 127 with one line listing where it looked when there is no codex", async () => {
    const r = await runShim([], base({ PATH: pathOf(SHIM_DIR) }));
    expect(r.code).toBe(127);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`PATH: ${SHIM} (this shim)`);
    expect(lines[0]).toContain("PATH: no usable 'codex' in");
    expect(lines[0]).toContain(path.join(dir, "no-prefix", "lib", "node_modules", "@openai", "codex", "bin", "codex.js"));
  });

  it("finds @openai/codex in the global npm root when PATH has none", async () => {
    const prefix = path.join(dir, "prefix");
    const pkg = path.join(prefix, "lib", "node_modules", "@openai", "codex");
    mkdirSync(path.join(pkg, "bin"), { recursive: true });
    writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "@openai/codex", version: "0.0.0-test", type: "module" }));
    copyFileSync(FAKE, path.join(pkg, "bin", "codex.js"));
    const r = await runShim(["x"], base({ PATH: pathOf(SHIM_DIR), npm_config_prefix: prefix }));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // No platform package next to it: the shim falls back to running the launcher with node.
    expect(readReport(report)!.argv).toEqual(["x"]);
  });

  it("does not loop through a wrapper script that calls `codex` again", async () => {
    const wrap = path.join(dir, "wrap");
    mkdirSync(wrap);
    writeFileSync(path.join(wrap, "codex"), '#!/bin/sh\nWRAPPED=yes exec codex "$@"\n', { mode: 0o755 });
    const r = await runShim(["a b"], base({ PATH: pathOf(SHIM_DIR, wrap, FAKE_DIR) }));
    expect(r.code).toBe(0);
    const rep = readReport(report)!;
    expect(rep.argv).toEqual(["a b"]);
    expect(rep.env.WRAPPED).toBe("yes");
    // The wrapper alone: the second entry skips it and reports the loop instead of recursing.
    const alone = await runShim([], base({ PATH: pathOf(SHIM_DIR, wrap) }));
    expect(alone.code).toBe(127);
    expect(alone.stderr).toContain("a wrapper already run by this shim");
  });
});
