// The passthrough hot path must not load zod, proper-lockfile, the config schema, the lock or the
// supervisor. A module recorder (--import hook) lists what the shim process really loads: on passthrough,
// the shim script and dist/shim/bundle.js (esbuild, scripts/bundle-shim.mjs) and nothing else of ours.
import { spawnSyncInPty } from "../helpers/pty.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cleanEnv, ensureBundle, FAKE_DIR, pathOf, removeDir, ROOT, SHIM, SHIM_DIR, tempDir } from "./shim-harness.js";

const RECORDER = path.join(ROOT, "test", "fixtures", "fake-codex", "record-modules.mjs");
const FORBIDDEN = [/zod/, /proper-lockfile/, /\/dist\/config\/schema\.js/, /\/dist\/config\/load\.js/, /\/dist\/lock\//, /\/dist\/supervisor\//];
let dir: string;

beforeAll(async () => {
  await ensureBundle();
  dir = tempDir();
});
afterAll(() => removeDir(dir));

function loaded(args: string[], extra: Record<string, string>): string[] {
  const file = path.join(dir, `modules-${Math.random().toString(16).slice(2)}.txt`);
  // In a pty, as a user types it: the opted-in path supervises only interactive invocations on a tty.
  const r = spawnSyncInPty(process.execPath, ["--import", RECORDER, SHIM, ...args], {
    env: cleanEnv({ PATH: pathOf(SHIM_DIR, FAKE_DIR), RECORD_MODULES_FILE: file, CODEX_AUTH_SUPERVISOR_HOME: path.join(dir, "home"), ...extra }),
  });
  expect(r.error).toBeUndefined();
  return readFileSync(file, "utf8").split("\n").filter(Boolean);
}

/** Our own files (file: URLs) among what the process loaded. */
const ours = (mods: string[]) => mods.filter((m) => m.startsWith("file://"));

it("passthrough loads the one-file bundle and nothing heavy", () => {
  for (const args of [["--version"], [], ["exec", "hi"], ["resume", "--last"]]) {
    const mods = loaded(args, {});
    // Exactly the shim script and its bundle: every module of the hot path is inside the bundle.
    expect(ours(mods).map((m) => path.relative(ROOT, new URL(m).pathname))).toEqual(["shim/codex", "dist/shim/bundle.js"]);
    for (const re of FORBIDDEN) expect(mods.filter((m) => re.test(m))).toEqual([]);
    // Not even the argv classifier: without opt-in nothing needs it.
    expect(mods.filter((m) => /\/dist\/codex\/(classify|grammar)\.js$/.test(m))).toEqual([]);
  }
});

it("the recorder sees the opted-in path load the classifier and the supervisor (so the checks above can fail)", () => {
  const mods = loaded([], { CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1" });
  expect(ours(mods).length).toBeGreaterThan(2);
  expect(mods.some((m) => m.endsWith("/dist/codex/classify.js"))).toBe(true);
  // The one-file bundle when the build made one (and no tsc-only build came after it), else the plain
  // entry module (test/shim/bundle-supervisor.test.ts pins down which one when).
  expect(mods.some((m) => /\/dist\/supervisor\/(bundle|entry)\.js/.test(m))).toBe(true);
  expect(mods.filter((m) => FORBIDDEN.some((re) => re.test(m))).length).toBeGreaterThan(0);
});
