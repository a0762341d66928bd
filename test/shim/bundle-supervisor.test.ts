// The esbuild bundles (scripts/bundle-shim.mjs) and the shim's way of loading the supervisor
// (lib/shim/main.ts loadSupervisor, reached through shim/codex and dist/shim/entry.js), on a private copy of the package so breaking a bundle here cannot
// disturb tests that run the shared dist/ at the same time:
// - a current dist/supervisor/bundle.js is what a supervised launch loads, and the session runs;
// - a bundle that fails to load (syntax error, or a throw while evaluating) or is older than entry.js
//   makes the shim load dist/supervisor/entry.js instead, silently, and the session still starts;
// - only when both fail does the user see one error, naming both;
// - the build refuses a bundle that does not load (and removes the old one), a passthrough bundle that
//   would contain the supervisor, and a module using import.meta at another depth than its bundle.
import { cpSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { spawnSyncInPty, visibleText } from "../helpers/pty.js";
import { FAKE_DIR, type FakeReport, isAlive, pathOf, readReport, removeDir, ROOT, shimEnv, tempDir } from "./shim-harness.js";

const RECORDER = path.join(ROOT, "test", "fixtures", "fake-codex", "record-modules.mjs");

interface Bundler {
  bundleShim(o: { root: string }): string[];
  bundleSupervisor(o: { root: string }): string[];
}

let dir: string; // scratch: homes, reports, module lists
let pkg: string; // the package copy
let bundler: Bundler;
let goodBundle: string;
let goodEntry: string;
const sup = (f: string) => path.join(pkg, "dist", "supervisor", f);

beforeAll(async () => {
  dir = tempDir("bundle-sup-");
  pkg = path.join(dir, "pkg");
  if (!existsSync(path.join(ROOT, "dist", "supervisor", "entry.js"))) throw new Error("dist/ missing: build first (npx tsc -p .)");
  for (const f of ["dist", "shim", "package.json"]) cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"));
  bundler = (await import(path.join(ROOT, "scripts", "bundle-shim.mjs"))) as Bundler;
  bundler.bundleShim({ root: pkg });
  bundler.bundleSupervisor({ root: pkg });
  goodBundle = readFileSync(sup("bundle.js"), "utf8");
  goodEntry = readFileSync(sup("entry.js"), "utf8");
}, 60_000);
afterAll(() => removeDir(dir));

/** Write a file of the copy with an mtime `offsetMs` from now (the shim compares bundle and entry times). */
function put(file: string, text: string, offsetMs = 0): void {
  writeFileSync(file, text);
  const t = new Date(Date.now() + offsetMs);
  utimesSync(file, t, t);
}

interface Session {
  status: number | null;
  stderr: string;
  modules: string[];
  report: FakeReport | null;
}

/**
 * `codex hello` through the copy's shim, opted in, in front of the stand-in codex (exits 0 at once).
 * `report`: the session's codex run (the stand-in also answers the grammar learning's --help calls).
 */
function supervisedSession(): Session {
  const tag = Math.random().toString(16).slice(2);
  const modulesFile = path.join(dir, `modules-${tag}.txt`);
  const reportFile = path.join(dir, `report-${tag}.json`);
  // shim/codex (sh) execs node on the opted-in path; the module recorder rides in NODE_OPTIONS; a
  // terminal, as the supervisor takes over only an interactive codex that has one.
  const r = spawnSyncInPty(path.join(pkg, "shim", "codex"), ["hello"], {
    timeout: 30_000,
    env: shimEnv({
      NODE_OPTIONS: `--import=${RECORDER}`,
      PATH: pathOf(path.join(pkg, "shim"), FAKE_DIR),
      HOME: dir,
      CODEX_HOME: path.join(dir, `codex-home-${tag}`),
      CODEX_AUTH_SUPERVISOR_HOME: path.join(dir, `home-${tag}`),
      CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1",
      FAKE_CODEX_REPORT: reportFile,
      FAKE_CODEX_MODE: "exit:0",
      RECORD_MODULES_FILE: modulesFile,
    }),
  });
  expect(r.error).toBeUndefined();
  const report = readReport(reportFile);
  // The stand-in codex exits by itself; nothing we started may outlive the session.
  if (report) expect(isAlive(report.pid)).toBe(false);
  const modules = readFileSync(modulesFile, "utf8").split("\n").filter((m) => m.startsWith("file://"));
  // Under a terminal the supervisor shows the cursor on its way out: only readable text would be ours.
  return { status: r.status, stderr: visibleText(r.output), modules, report: report?.argv.includes("hello") ? report : null };
}

const loaded = (s: Session, f: string) => s.modules.some((m) => m.endsWith(`/pkg/dist/supervisor/${f}`));

it("a current bundle is what a supervised launch loads, and the session runs from it", () => {
  const s = supervisedSession();
  expect(s.stderr).toBe("");
  expect(s.status).toBe(0);
  expect(loaded(s, "bundle.js")).toBe(true);
  expect(loaded(s, "entry.js")).toBe(false);
  // Supervised, not passed through: the supervisor adds --no-daemon (embedded session).
  expect(s.report?.argv).toEqual(["--no-daemon", "hello"]);
});

it("a bundle that fails to load makes the shim fall back to entry.js, silently, and the session starts", () => {
  const broken = [
    "export function runSupervisedFromShim( {\n", // a syntax error
    'throw new Error("deliberately broken bundle");\n', // a throw while evaluating
  ];
  try {
    for (const text of broken) {
      put(sup("bundle.js"), text, 5_000); // newer than entry.js: the shim does try it
      const s = supervisedSession();
      expect(s.stderr).toBe("");
      expect(s.status).toBe(0);
      expect(loaded(s, "bundle.js")).toBe(true);
      expect(loaded(s, "entry.js")).toBe(true);
      expect(s.report?.argv).toEqual(["--no-daemon", "hello"]);
    }
  } finally {
    put(sup("bundle.js"), goodBundle, 5_000);
  }
});

it("a bundle older than entry.js (a tsc-only rebuild since) is not loaded: entry.js runs", () => {
  const entryTime = statSync(sup("entry.js")).mtimeMs;
  const t = new Date(entryTime - 10_000);
  utimesSync(sup("bundle.js"), t, t);
  try {
    const s = supervisedSession();
    expect(s.stderr).toBe("");
    expect(s.status).toBe(0);
    expect(loaded(s, "bundle.js")).toBe(false);
    expect(loaded(s, "entry.js")).toBe(true);
    expect(s.report?.argv).toEqual(["--no-daemon", "hello"]);
  } finally {
    put(sup("bundle.js"), goodBundle, 5_000);
  }
});

it("when bundle and entry.js both fail, one error names both and codex is not started", () => {
  try {
    put(sup("entry.js"), 'throw new Error("entry broken too");\n');
    put(sup("bundle.js"), 'throw new Error("bundle broken");\n', 5_000);
    const s = supervisedSession();
    expect(s.status).toBe(1);
    expect(s.report).toBeNull();
    expect(s.stderr).toContain("the session supervisor could not be loaded");
    expect(s.stderr).toContain("bundle broken");
    expect(s.stderr).toContain("entry broken too");
    expect(s.stderr.trim().split("\n")).toHaveLength(1);
  } finally {
    put(sup("entry.js"), goodEntry);
    put(sup("bundle.js"), goodBundle, 5_000);
  }
});

it("the build refuses a supervisor bundle that does not load, with the error, and leaves no bundle", () => {
  const file = sup("mirror-exit.js");
  const original = readFileSync(file, "utf8");
  try {
    writeFileSync(file, `${original}\nthrow new Error("boom at load");\n`);
    expect(() => bundler.bundleSupervisor({ root: pkg })).toThrow(/dist\/supervisor\/\S+ does not load: [\s\S]*boom at load/);
    expect(existsSync(sup("bundle.js"))).toBe(false);
  } finally {
    writeFileSync(file, original);
    bundler.bundleSupervisor({ root: pkg });
  }
  expect(existsSync(sup("bundle.js"))).toBe(true);
});

it("the passthrough bundle leaves the supervisor behind its dynamic import, and the build refuses otherwise", () => {
  const text = readFileSync(path.join(pkg, "dist", "shim", "bundle.js"), "utf8");
  expect(text).toContain("import(bundled)");
  expect(text).toContain('import("../codex/classify.js")');
  expect(text).not.toContain("function runSupervisedFromShim");
  const file = path.join(pkg, "dist", "shim", "main.js");
  const original = readFileSync(file, "utf8");
  try {
    writeFileSync(file, `import "../supervisor/entry.js";\n${original}`);
    expect(() => bundler.bundleShim({ root: pkg })).toThrow(/passthrough bundle would contain .*dist\/supervisor\/entry\.js/);
  } finally {
    writeFileSync(file, original);
    bundler.bundleShim({ root: pkg });
  }
});

it("the build refuses a module whose import.meta.url paths would resolve from another depth", () => {
  // dist/cli/commands/doctor.js finds shim/ as ../../../shim: from dist/supervisor/ that is outside the package.
  const file = sup("entry.js");
  try {
    writeFileSync(file, `import "../cli/commands/doctor.js";\n${goodEntry}`);
    expect(() => bundler.bundleSupervisor({ root: pkg })).toThrow(/dist\/cli\/commands\/doctor\.js uses import\.meta at a different depth/);
  } finally {
    put(file, goodEntry);
    bundler.bundleSupervisor({ root: pkg });
  }
});

it("leaves no temp file next to the bundles", () => {
  for (const d of ["shim", "supervisor"]) {
    expect(readdirSync(path.join(pkg, "dist", d)).filter((f) => f.includes(".tmp."))).toEqual([]);
  }
});
