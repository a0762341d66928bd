// The tested codex range lives in one place (lib/codex/tested-range.ts): its newest end is the pinned
// @openai/codex, and `doctor` says where the installed codex stands (run for real on stand-in codexes).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codexVersionOf, compareVersions, TESTED_CODEX, testedVerdict } from "../../lib/codex/tested-range.js";
import { checkCodexVersion } from "../../lib/doctor/codex-version.js";
import { removeDir, ROOT, SHIM, shimEnv, tempDir } from "../shim/shim-harness.js";

let dir: string;
beforeAll(() => {
  dir = tempDir("tested-range-");
});
afterAll(() => removeDir(dir));

function standIn(name: string, body: string): string {
  const d = path.join(dir, name);
  mkdirSync(d);
  const f = path.join(d, "codex");
  writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return f;
}

describe("tested codex range", () => {
  it("its newest end is the pinned @openai/codex", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies["@openai/codex"]).toBe(TESTED_CODEX.newest);
    expect(compareVersions(TESTED_CODEX.oldest, TESTED_CODEX.newest)).toBeLessThanOrEqual(0);
  });

  it("versions: read from `codex --version`, ordered as semver", () => {
    expect(codexVersionOf("codex-cli 0.171.0\n")).toBe("0.171.0");
    expect(codexVersionOf("codex-cli 0.172.0-alpha.3")).toBe("0.172.0-alpha.3");
    expect(codexVersionOf("no version here")).toBeNull();
    expect(compareVersions("0.171.0", "0.171.0")).toBe(0);
    expect(compareVersions("0.171.1", "0.171.0")).toBe(1);
    expect(compareVersions("0.99.0", "0.171.0")).toBe(-1);
    expect(compareVersions("0.172.0-alpha.1", "0.172.0")).toBe(-1);
    expect(testedVerdict(TESTED_CODEX.newest)).toBe("tested");
    expect(testedVerdict("0.172.0-alpha.1")).toBe("newer");
    expect(testedVerdict("0.1.0")).toBe("older");
  });

  it.each([
    ["tested", `echo "codex-cli ${TESTED_CODEX.newest}"`, "ok", /inside the tested range/],
    ["newer", 'echo "codex-cli 9.0.0"', "warn", /newer than the tested range/],
    ["older", 'echo "codex-cli 0.0.1"', "warn", /older than the tested range/],
    ["broken", 'echo "boom" >&2; exit 3', "warn", /gave no version \(exit 3: boom\)/],
  ] as const)("doctor on a %s codex", (name, body, level, message) => {
    const real = standIn(name, body);
    const [f, ...rest] = checkCodexVersion(shimEnv({ CODEX_AUTH_REAL_CODEX_BIN: real }), SHIM, null);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ check: "codex-version", level });
    expect(f!.message).toMatch(message);
  });
});
