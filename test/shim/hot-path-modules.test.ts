// The passthrough hot path must not load zod, proper-lockfile, the config schema, the lock or the
// supervisor. A module recorder (--import hook) lists what the shim's Node path really loads: on
// passthrough, dist/shim/entry.js and dist/shim/bundle.js (esbuild, scripts/bundle-shim.mjs) and nothing
// else of ours. (The fast path starts no Node at all: test/shim/passthrough.test.ts.)
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { spawnSyncInPty } from "../helpers/pty.js";
import { ensureBundle, FAKE_DIR, pathOf, removeDir, ROOT, SHIM, SHIM_DIR, shimEnv, tempDir } from "./shim-harness.js";

const RECORDER = path.join(ROOT, "test", "fixtures", "fake-codex", "record-modules.mjs");
const FORBIDDEN = [/zod/, /proper-lockfile/, /\/dist\/config\/schema\.js/, /\/dist\/config\/load\.js/, /\/dist\/lock\//, /\/dist\/supervisor\//];
let dir: string;

beforeAll(async () => {
  await ensureBundle();
  dir = tempDir();
});
afterAll(() => removeDir(dir));

/**
 * Modules the shim's Node path loads: shim/codex (sh) starts `node dist/shim/entry.js`, and the
 * recorder rides in NODE_OPTIONS (the stand-in codex, a node script, records too: its own file is left out).
 * A fresh home each time: no launch record, so the sh always asks Node.
 */
function loaded(args: string[], extra: Record<string, string>): string[] {
  const tag = Math.random().toString(16).slice(2);
  const file = path.join(dir, `modules-${tag}.txt`);
  // In a terminal, as a user runs it (the supervisor only takes over an interactive codex that has one).
  const r = spawnSyncInPty(SHIM, args, {
    env: shimEnv({
      PATH: pathOf(SHIM_DIR, FAKE_DIR),
      RECORD_MODULES_FILE: file,
      NODE_OPTIONS: `--import=${RECORDER}`,
      CODEX_AUTH_SUPERVISOR_HOME: path.join(dir, `home-${tag}`),
      ...extra,
    }),
  });
  expect(r.error).toBeUndefined();
  return readFileSync(file, "utf8").split("\n").filter(Boolean).filter((m) => !m.includes("/test/fixtures/"));
}

/** Our own files (file: URLs) among what the process loaded. */
const ours = (mods: string[]) => mods.filter((m) => m.startsWith("file://"));

it("the Node path of a passthrough loads the entry and the one-file bundle and nothing heavy", () => {
  for (const args of [["--version"], [], ["exec", "hi"], ["resume", "--last"]]) {
    const mods = loaded(args, {});
    // Exactly the entry and its bundle: every module of the hot path is inside the bundle.
    expect([...new Set(ours(mods).map((m) => path.relative(ROOT, new URL(m).pathname)))]).toEqual(["dist/shim/entry.js", "dist/shim/bundle.js"]);
    for (const re of FORBIDDEN) expect(mods.filter((m) => re.test(m))).toEqual([]);
    // Not even the argv classifier: without opt-in nothing needs it.
    expect(mods.filter((m) => /\/dist\/codex\/(classify|grammar|help-grammar|learned-grammar)\.js$/.test(m))).toEqual([]);
  }
});

it("the recorder sees the opted-in path load the classifier and the supervisor (so the checks above can fail)", () => {
  const mods = loaded([], { CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1" });
  expect(ours(mods).length).toBeGreaterThan(2);
  expect(mods.some((m) => m.endsWith("/dist/codex/classify.js"))).toBe(true);
  expect(mods.some((m) => m.endsWith("/dist/codex/learned-grammar.js"))).toBe(true);
  // The one-file bundle when the build made one (and no tsc-only build came after it), else the plain
  // entry module (test/shim/bundle-supervisor.test.ts pins down which one when).
  expect(mods.some((m) => /\/dist\/supervisor\/(bundle|entry)\.js/.test(m))).toBe(true);
  expect(mods.filter((m) => FORBIDDEN.some((re) => re.test(m))).length).toBeGreaterThan(0);
});
