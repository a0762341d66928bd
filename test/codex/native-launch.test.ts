// The pinned real codex through the shim: same output and status as the official launcher, and the
// native binary is started directly with the launcher's environment contract.
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { beforeAll, expect, it } from "vitest";
import { launchSpec } from "../../lib/codex/native-launch.js";
import { REAL_CODEX_NATIVE } from "../helpers/codex-home.js";
import { ensureBundle, pathOf, REAL_CODEX_BIN_DIR, REAL_LAUNCHER, SHIM, SHIM_DIR, shimEnv } from "../shim/shim-harness.js";

const BIN = REAL_CODEX_BIN_DIR;
const env = () => shimEnv({ PATH: pathOf(SHIM_DIR, BIN) });
beforeAll(ensureBundle);

function both(args: string[]) {
  const viaShim = spawnSync(SHIM, args, { env: env(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const viaLauncher = spawnSync(process.execPath, [REAL_LAUNCHER, ...args], { env: env(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return { viaShim, viaLauncher };
}

it("codex --version through the shim equals the official launcher's", () => {
  const { viaShim, viaLauncher } = both(["--version"]);
  expect(viaShim.status).toBe(0);
  expect(viaShim.stdout).toMatch(/^codex-cli \d+\.\d+\.\d+/);
  expect(viaShim.stdout).toBe(viaLauncher.stdout);
  expect(viaShim.stderr).toBe("");
});

it("a bad flag mirrors codex's exit 2 and its message, with nothing of ours", () => {
  const { viaShim, viaLauncher } = both(["--definitely-not-a-flag"]);
  expect(viaShim.status).toBe(2);
  expect(viaShim.stderr).toBe(viaLauncher.stderr);
  expect(viaShim.stderr).toContain("--definitely-not-a-flag");
});

it("starts the native binary directly with the launcher's env contract", () => {
  const spec = launchSpec({ path: path.join(BIN, "codex"), how: "path", searched: [] }, ["a"], {
    PATH: "/usr/bin",
    CODEX_MANAGED_BY_BUN: "1",
    CODEX_SUPERVISOR_SHIM_SEEN: "/x",
  });
  const pkg = realpathSync(path.join(path.dirname(REAL_LAUNCHER), ".."));
  // Where npm puts the platform package: nested (global install) or beside it (a project's node_modules).
  const platformPkg = [path.join(pkg, "node_modules", "@openai", "codex-linux-x64"), path.join(pkg, "..", "codex-linux-x64")].find((d) => existsSync(d));
  expect(spec.native).toBe(true);
  expect(spec.command).toBe(path.join(realpathSync(platformPkg!), "vendor", "x86_64-unknown-linux-musl", "bin", "codex"));
  expect(spec.command).toBe(REAL_CODEX_NATIVE);
  expect(spec.args).toEqual(["a"]);
  expect(spec.env).toEqual({ PATH: "/usr/bin", CODEX_MANAGED_PACKAGE_ROOT: pkg, CODEX_MANAGED_BY_NPM: "1" });
});
