// The package as a user gets it (the shim runs "from a checkout and from a global
// install alike"): `npm pack` of this tree, installed with `npm install -g` into a private prefix next
// to the pinned @openai/codex, then driven with only that prefix and the system PATH — never this
// checkout's shim or node_modules/.bin.
//
// Precondition: a build (`node scripts/build.mjs`; `npm test` builds first). The pack runs with
// --ignore-scripts so this test does not rebuild the dist/ other engineers' tests are using at the
// same moment; a missing build fails the tarball check below, it is not papered over.
// Needs the npm registry (or the npm cache, --prefer-offline) for the dependencies; when npm cannot
// reach either, every test is skipped with npm's network error as the printed reason.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it, type TestContext } from "vitest";
import { SHIM_MARKER } from "../../lib/codex/resolve-real-codex.js";
import { findProcessesByEnv } from "../helpers/processes.js";
import { cleanEnv } from "../helpers/env.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const PKG = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  devDependencies: Record<string, string>;
};
const CODEX_VERSION = PKG.devDependencies["@openai/codex"]!;
/** Every process this file starts (and their children) inherits it: how we check none is left. */
const MARK_KEY = "CODEX_SUPERVISOR_INSTALL_TEST";
const MARK = randomUUID();

let work = "";
let prefix = "";
let tarball = "";
let skipReason: string | null = null;
/** Paths inside the install, set once it exists. */
let globalRoot = "";
let installedPkg = "";
let shimDir = "";

function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    env: { ...opts.env, [MARK_KEY]: MARK },
    cwd: opts.cwd ?? work,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: opts.timeoutMs ?? 20_000,
    killSignal: "SIGKILL",
  });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error || r.status !== 0) {
    throw new Error(`${what} failed (status ${r.status}, ${r.error?.message ?? "no spawn error"}):\n${r.stderr}\n${r.stdout}`);
  }
  return r.stdout;
}

/**
 * npm as from a terminal: without the npm_* variables of the npx/vitest that started us. The one
 * environment not built by cleanEnv: `npm pack` and the install of the tarball are the machine's own
 * npm, which needs its registry, proxy and CA settings (the installed program then runs in userEnv).
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && !/^CODEX_/i.test(k)) env[k] = v;
  return env;
}

/**
 * The system PATH with every directory inside this checkout or a node_modules dropped (.bin, shim/) and
 * every directory holding a `codex` dropped, so that the only codex the shim can find is the one this
 * test installed. Node's own directory is kept (the shim and the launcher are node scripts).
 */
function systemPath(): string {
  const inside = (dir: string) => !path.relative(ROOT, dir).startsWith("..");
  // npm/npx (which started vitest) prepend node_modules/.bin and node-gyp-bin dirs: not the user's PATH.
  const injected = (dir: string) => dir.split(path.sep).includes("node_modules");
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => path.isAbsolute(d) && !inside(d) && !injected(d));
  const nodeDir = path.dirname(process.execPath);
  if (!dirs.includes(nodeDir)) dirs.push(nodeDir);
  return [...new Set(dirs)].filter((d) => !existsSync(path.join(d, "codex"))).join(path.delimiter);
}

/** A fresh HOME (so neither ~/.npmrc nor ~/.codex of the machine plays a part), optionally with a ~/.npmrc. */
function freshHome(npmrc?: string): string {
  const home = mkdtempSync(path.join(work, "home-"));
  if (npmrc !== undefined) writeFileSync(path.join(home, ".npmrc"), npmrc);
  return home;
}

/** What a user's shell has: PATH and HOME, nothing of ours. */
function userEnv(pathValue: string, home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ PATH: pathValue, HOME: home, TMPDIR: os.tmpdir(), ...extra });
}

/** `sh -c` with the README's rc line evaluated first. */
function inShell(script: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return run("/bin/sh", ["-c", `eval "$(codex-supervisor shellenv)" && ${script}`], { env });
}

/**
 * The installed official launcher's stderr for the same argv and env: what the shim must print, no
 * more. Not always empty: codex warns on stderr when its home is under the temp dir, as it is here.
 */
function launcherStderr(args: string[], env: NodeJS.ProcessEnv): string {
  const r = run(path.join(globalRoot, "@openai", "codex", "bin", "codex.js"), args, { env });
  expect(r.error).toBeUndefined();
  return r.stderr;
}

interface Finding {
  check: string;
  level: string;
  message: string;
}

function doctor(env: NodeJS.ProcessEnv): Finding[] {
  const r = run(path.join(prefix, "bin", "codex-supervisor"), ["doctor", "--json"], { env });
  expect(r.stdout, r.stderr).not.toBe("");
  return JSON.parse(r.stdout) as Finding[];
}

function finding(findings: Finding[], check: string): Finding {
  const f = findings.find((x) => x.check === check);
  if (!f) throw new Error(`doctor gave no '${check}' finding: ${JSON.stringify(findings)}`);
  return f;
}

function guard(ctx: TestContext): void {
  if (skipReason !== null) {
    console.warn(`SKIPPED global-install: ${skipReason}`);
    ctx.skip(skipReason);
  }
}

const NETWORK_ERROR = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|E50[0-9])\b/;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "cs-global-install-"));
  prefix = path.join(work, "prefix");
  const packDir = path.join(work, "pack");
  mkdirSync(packDir);
  const packed = JSON.parse(
    must(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], { env: npmEnv(), cwd: ROOT }), "npm pack"),
  ) as Array<{ filename: string }>;
  tarball = path.join(packDir, packed[0]!.filename);

  const install = run(
    "npm",
    ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", "--prefer-offline", tarball, `@openai/codex@${CODEX_VERSION}`],
    { env: npmEnv(), timeoutMs: 50_000 },
  );
  if (install.status !== 0) {
    const net = NETWORK_ERROR.exec(install.stderr);
    if (net) {
      skipReason = `npm install -g cannot reach the registry or its cache here (${net[1]}); npm said: ${install.stderr.trim().split("\n").slice(-3).join(" | ")}`;
      return;
    }
    must(install, "npm install -g");
  }
  globalRoot = path.join(prefix, "lib", "node_modules");
  installedPkg = path.join(globalRoot, PKG.name);
  shimDir = path.join(installedPkg, "shim");
}, 60_000);

afterAll(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
  expect(existsSync(work)).toBe(false);
  // Everything here ran synchronously; a codex (or a child of it) that outlived its call would carry MARK.
  expect(findProcessesByEnv(MARK_KEY, MARK)).toEqual([]);
});

it("the packed tarball carries both bundles, the shim and the bin, and neither test/ nor node_modules", (ctx) => {
  guard(ctx);
  const entries = must(run("tar", ["-tzf", tarball], { env: npmEnv() }), "tar -t").split("\n").filter(Boolean);
  for (const f of ["dist/shim/bundle.js", "dist/supervisor/bundle.js", "shim/codex", "bin/codex-supervisor", "package.json"]) {
    expect(entries).toContain(`package/${f}`);
  }
  expect(entries.filter((e) => /^package\/(test|node_modules)\//.test(e))).toEqual([]);
  expect(entries.filter((e) => e.includes("/node_modules/"))).toEqual([]);
});

it("the installed bin runs `codex-supervisor --version`; the only `codex` in <prefix>/bin is @openai/codex's", (ctx) => {
  guard(ctx);
  const bin = path.join(prefix, "bin");
  const r = run("codex-supervisor", ["--version"], { env: userEnv([bin, systemPath()].join(path.delimiter), freshHome()) });
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe(`codex-supervisor ${PKG.version}\n`);
  expect(r.status).toBe(0);

  // Our npm `bin` is codex-supervisor only (a `codex` bin would collide with @openai/codex).
  const installedJson = JSON.parse(readFileSync(path.join(installedPkg, "package.json"), "utf8")) as { bin: Record<string, string> };
  expect(Object.keys(installedJson.bin)).toEqual(["codex-supervisor"]);
  expect(readdirSync(bin).sort()).toEqual(["codex", "codex-supervisor"]);
  const codexReal = realpathSync(path.join(bin, "codex"));
  expect(codexReal).toBe(realpathSync(path.join(globalRoot, "@openai", "codex", "bin", "codex.js")));
  expect(readFileSync(codexReal, "utf8")).not.toContain(SHIM_MARKER);
  // The shim is not an npm bin, so npm does not chmod it: its mode must survive pack and install.
  expect(statSync(path.join(shimDir, "codex")).mode & 0o111).not.toBe(0);
});

it("shellenv in sh puts the installed shim first, and `codex --version` goes through it to the global codex", (ctx) => {
  guard(ctx);
  const env = userEnv([path.join(prefix, "bin"), systemPath()].join(path.delimiter), freshHome());
  const where = must(inShell(`printf '%s\\n' "$PATH"; command -v codex`, env), "sh with shellenv").split("\n");
  expect(where[0]!.split(path.delimiter)[0]).toBe(shimDir);
  expect(where[1]).toBe(path.join(shimDir, "codex"));

  const v = inShell("codex --version", env);
  expect(v.stdout).toBe(`codex-cli ${CODEX_VERSION}\n`);
  expect(v.status).toBe(0);
  expect(v.stderr).toBe(launcherStderr(["--version"], env));

  // The same PATH as the shell above after the eval: doctor says which codex is ours and which is real.
  const findings = doctor({ ...env, PATH: [shimDir, env.PATH].join(path.delimiter) });
  expect(finding(findings, "path")).toMatchObject({ level: "ok", message: expect.stringContaining(path.join(shimDir, "codex")) });
  expect(finding(findings, "real-codex")).toMatchObject({ level: "ok", message: `${path.join(prefix, "bin", "codex")} (found via path)` });
  expect(finding(findings, "recursion").level).toBe("ok");
});

it("`codex --bogus-flag` through the installed shim mirrors codex's exit 2 and its message", (ctx) => {
  guard(ctx);
  const env = userEnv([path.join(prefix, "bin"), systemPath()].join(path.delimiter), freshHome());
  const viaShim = inShell("codex --bogus-flag", env);
  expect(viaShim.status).toBe(2);
  expect(viaShim.stdout).toBe("");
  expect(viaShim.stderr).toContain("--bogus-flag");
  expect(viaShim.stderr).toBe(launcherStderr(["--bogus-flag"], env));
});

it("with no real codex on PATH, the shim finds the global @openai/codex through the npm prefix (env or ~/.npmrc)", (ctx) => {
  guard(ctx);
  const noCodexPath = [shimDir, systemPath()].join(path.delimiter);
  const launcher = path.join(globalRoot, "@openai", "codex", "bin", "codex.js");
  const cases: Array<[string, NodeJS.ProcessEnv]> = [
    ["npm_config_prefix", userEnv(noCodexPath, freshHome(), { npm_config_prefix: prefix })],
    ["~/.npmrc prefix", userEnv(noCodexPath, freshHome(`prefix=${prefix}\n`))],
  ];
  for (const [how, env] of cases) {
    const v = run("codex", ["--version"], { env });
    expect(v.stdout, how).toBe(`codex-cli ${CODEX_VERSION}\n`);
    expect(v.status, how).toBe(0);
    expect(v.stderr, how).toBe(launcherStderr(["--version"], env));
    expect(finding(doctor(env), "real-codex"), how).toMatchObject({ level: "ok", message: `${launcher} (found via npm-global)` });
  }

  // Control: without the prefix hint the private prefix is invisible, so the finds above came from it.
  // Only meaningful when node's own global root has no @openai/codex on this machine.
  const nodeGlobalLauncher = path.join(path.dirname(path.dirname(process.execPath)), "lib", "node_modules", "@openai", "codex", "bin", "codex.js");
  if (!existsSync(nodeGlobalLauncher)) {
    const miss = run("codex", ["--version"], { env: userEnv(noCodexPath, freshHome()) });
    expect(miss.status).toBe(127);
    expect(miss.stdout).toBe("");
    expect(miss.stderr).toContain("cannot find the real codex");
    expect(miss.stderr).toContain("npm global:");
    expect(miss.stderr).not.toContain(launcher);
  }
});
