#!/usr/bin/env node
// Build: compile lib/ to dist/ with the project's TypeScript, and make the entry points executable.
// Runs on `npm install` (prepare) so a fresh clone or a git install is ready to use.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = path.join(path.dirname(require.resolve("typescript/package.json", { paths: [root] })), "bin", "tsc");
} catch {
  // A production install (no devDependencies) ships a prebuilt dist/.
  if (existsSync(path.join(root, "dist"))) process.exit(0);
  console.error("build: typescript is not installed and dist/ is missing; run `npm install` in " + root);
  process.exit(1);
}
// dist/ is not wiped first: several developers build into it at once; tsc overwrites what it emits.
const r = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.json")], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
// The shim's hot path as one module (start-up time): see scripts/bundle-shim.mjs.
const bundler = await import("./bundle-shim.mjs");
bundler.bundleShim();
// The supervised path likewise. It changes often: when the bundler cannot take a new construct, the
// build still succeeds without that bundle (the shim then loads the plain modules, ~12 ms slower).
try {
  bundler.bundleSupervisor();
} catch (err) {
  rmSync(path.join(root, "dist", "supervisor", "bundle.js"), { force: true });
  console.warn(`build: supervised path left unbundled (${err.message}); supervised launches load ~46 modules instead of one`);
}
for (const f of ["bin/codex-supervisor", "shim/codex"]) {
  if (existsSync(path.join(root, f))) chmodSync(path.join(root, f), 0o755);
}
