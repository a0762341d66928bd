#!/usr/bin/env node
// Build: compile lib/ to dist/ with the project's TypeScript, bundle the shim's two load paths with
// esbuild (scripts/bundle-shim.mjs), and make the entry points executable.
// Runs as `npm run build`, before `npm pack` (prepack), and first in `npm test` and `npm run demo`;
// nothing runs at install (a published package ships dist/ built, and npm warns about install scripts).
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";
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
// The shim's hot path and the supervised path as one module each (start-up time), each imported in a
// child node before it is put in place: a bundle that does not load fails the build, with its error.
const { bundleShim, bundleSupervisor } = await import("./bundle-shim.mjs");
try {
  bundleShim();
  bundleSupervisor();
} catch (err) {
  console.error(`build: ${err.message}`);
  process.exit(1);
}
for (const f of ["bin/codex-supervisor", "shim/codex"]) {
  if (existsSync(path.join(root, f))) chmodSync(path.join(root, f), 0o755);
}
