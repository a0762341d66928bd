// `npm run test:compat`: the end-to-end core — passthrough (output and status as the launcher's, exec
// with no wrapper, our variables stripped), a supervised session restarted and resumed, a rotation —
// against the newest published @openai/codex, installed with npm into a private prefix, so a codex
// release that breaks us is known before users upgrade. The core is the suite's own tests, run again in
// a child vitest with CODEX_SUPERVISOR_TEST_CODEX_PREFIX pointing at that install
// (test/helpers/codex-home.ts; codex-facts checks the rollouts carry that release's version). Skipped
// only when the registry cannot be reached, saying so.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { TESTED_CODEX } from "../../lib/codex/tested-range.js";
import { REPO_ROOT } from "../helpers/codex-home.js";

const CORE = [
  "test/codex/native-launch.test.ts",
  "test/shim/exec-real-codex.test.ts",
  "test/testbed/codex-facts.test.ts",
  "test/e2e/session-restart.test.ts",
  "test/e2e/rotation.test.ts",
];
const UNREACHABLE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|socket hang up|network/i;

it("the end-to-end core against the newest published @openai/codex", (ctx) => {
  const view = spawnSync("npm", ["view", "@openai/codex", "version", "--json"], { encoding: "utf8", timeout: 120_000 });
  if (view.status !== 0) {
    const why = `${view.error?.message ?? ""} ${view.stderr ?? ""}`.trim();
    if (UNREACHABLE.test(why)) {
      console.log(`[compat] registry unreachable, nothing tested: ${why.split("\n")[0]}`);
      ctx.skip(`registry unreachable: ${why.split("\n")[0]}`);
    }
    throw new Error(`npm view @openai/codex failed: ${why}`);
  }
  const newest = JSON.parse(view.stdout) as string;
  console.log(`[compat] newest published @openai/codex ${newest}; tested range ${TESTED_CODEX.oldest} – ${TESTED_CODEX.newest}`);

  const parent = path.join(os.homedir(), ".cache", "codex-supervisor");
  mkdirSync(parent, { recursive: true });
  const prefix = mkdtempSync(path.join(parent, "compat-"));
  try {
    const install = spawnSync("npm", ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", `@openai/codex@${newest}`], {
      encoding: "utf8",
      timeout: 15 * 60_000,
    });
    expect(install.status, `npm install @openai/codex@${newest}: ${install.stderr}`).toBe(0);

    const env: NodeJS.ProcessEnv = { ...process.env, CODEX_SUPERVISOR_TEST_CODEX_PREFIX: prefix, NO_COLOR: "1", FORCE_COLOR: "0" };
    for (const k of Object.keys(env)) if (k.startsWith("VITEST") || /^CODEX_(AUTH|MULTI_AUTH)_/i.test(k)) delete env[k];
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, "node_modules", "vitest", "vitest.mjs"), "run", ...CORE], {
      cwd: REPO_ROOT,
      env,
      encoding: "utf8",
      timeout: 30 * 60_000,
    });
    const out = `${run.stdout}${run.stderr}`;
    console.log(`[compat] codex ${newest}: ${out.match(/Tests\s+.*$/m)?.[0] ?? "(no summary)"}`);
    expect(run.status, `the core against codex ${newest} failed:\n${out.slice(-6000)}`).toBe(0);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}, 60 * 60_000);
