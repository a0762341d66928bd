// The README's install commands, run exactly as written (read from the README between its
// install-commands / install-link-commands markers), as a user on a fresh machine would: in a fresh
// copy of this checkout (its tracked and new files, no node_modules, no dist/), with a fresh HOME and
// a private npm prefix. Proves: they succeed; npm prints no lifecycle-script warning (no `prepare` is
// published; esbuild's postinstall is approved in package.json's allowScripts); the installed
// `codex-supervisor` works from PATH; the rc line makes the shim the `codex` a new shell runs, in
// front of the real one. The real Codex is the README's prerequisite: installed first (pinned).
//
// Needs the npm registry or npm's cache (the machine's cache is used, --prefer-offline); when npm
// cannot reach either, the tests are skipped with npm's network error as the reason.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { findProcessesByEnv } from "../helpers/processes.js";
import { cleanEnv } from "../helpers/env.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const PKG = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string; devDependencies: Record<string, string> };
const CODEX_VERSION = PKG.devDependencies["@openai/codex"]!;
const MARK_KEY = "CODEX_SUPERVISOR_README_INSTALL_TEST";
const MARK = randomUUID();
const NETWORK_ERROR = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|E50[0-9])\b/;
/** What npm says about install scripts a user would have to review or approve. */
const SCRIPT_WARNING = /install-scripts|allow-?scripts|prepare:|postinstall:|preinstall:/i;

let work = "";
let checkout = "";
let npmCache = "";
let skipReason: string | null = null;

/** The shell code of the fenced block between `<!-- name:start -->` and `<!-- name:end -->`. */
function readmeBlock(name: string): string {
  const start = README.indexOf(`<!-- ${name}:start -->`);
  const end = README.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`README has no ${name} block`);
  const m = /```sh\n([\s\S]*?)```/.exec(README.slice(start, end));
  if (!m) throw new Error(`README's ${name} block has no sh code`);
  return m[1]!;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 30_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { env: { ...env, [MARK_KEY]: MARK }, cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
}

/**
 * The system PATH without anything of this checkout or of a node_modules (npx/vitest put
 * node_modules/.bin first) and without any directory holding a `codex`: the only codex is the one
 * installed here. Node's own directory is kept.
 */
function systemPath(): string {
  const inside = (d: string) => !path.relative(ROOT, d).startsWith("..");
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => path.isAbsolute(d) && !inside(d) && !d.split(path.sep).includes("node_modules"));
  const nodeDir = path.dirname(process.execPath);
  if (!dirs.includes(nodeDir)) dirs.push(nodeDir);
  return [...new Set(dirs)].filter((d) => !existsSync(path.join(d, "codex"))).join(path.delimiter);
}

interface User {
  home: string;
  prefix: string;
  env: NodeJS.ProcessEnv;
}

/** A fresh user: HOME, an npm prefix for -g, PATH with that prefix's bin; npm's cache is the machine's. */
function freshUser(name: string): User {
  const home = path.join(work, `home-${name}`);
  const prefix = path.join(work, `prefix-${name}`);
  mkdirSync(home);
  const env = cleanEnv({
    PATH: [path.join(prefix, "bin"), systemPath()].join(path.delimiter),
    HOME: home,
    TMPDIR: os.tmpdir(),
    npm_config_prefix: prefix,
    npm_config_cache: npmCache,
    npm_config_prefer_offline: "true",
    npm_config_update_notifier: "false",
  });
  return { home, prefix, env };
}

/** The README's prerequisite, pinned: the real Codex in the user's global prefix. */
function installCodex(u: User): void {
  const r = run("npm", ["install", "-g", "--no-audit", "--no-fund", `@openai/codex@${CODEX_VERSION}`], u.env, u.home, 120_000);
  if (r.status !== 0) {
    const net = NETWORK_ERROR.exec(r.stderr);
    if (net) skipReason = `npm cannot reach the registry or its cache here (${net[1]}): ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`;
    else throw new Error(`npm install -g @openai/codex failed (${r.status}): ${r.stderr}`);
  }
}

/** Run a README block verbatim with sh -e in the checkout; fails the test with npm's output otherwise. */
function runBlock(name: string, u: User): SpawnSyncReturns<string> {
  const r = run("/bin/sh", ["-e", "-c", readmeBlock(name)], u.env, checkout, 420_000);
  if (r.status !== 0) {
    const net = NETWORK_ERROR.exec(r.stderr);
    if (net) {
      skipReason = `npm cannot reach the registry or its cache here (${net[1]})`;
      return r;
    }
    throw new Error(`README ${name} failed (status ${r.status ?? r.signal}):\n${r.stderr}\n${r.stdout}`);
  }
  return r;
}

/** A new interactive-style shell of that user: their ~/.bashrc sourced first. */
function newShell(u: User, script: string): SpawnSyncReturns<string> {
  return run("/bin/sh", ["-c", `. "$HOME/.bashrc" && ${script}`], u.env, u.home);
}

function guard(ctx: TestContext): void {
  if (skipReason !== null) {
    console.warn(`SKIPPED readme-install: ${skipReason}`);
    ctx.skip(skipReason);
  }
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "cs-readme-install-"));
  checkout = path.join(work, "codex-supervisor");
  // A fresh checkout: the files git tracks or would add (ignored ones — node_modules, dist — left out).
  const files = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], process.env, ROOT).stdout.split("\0").filter(Boolean);
  for (const f of files) {
    const from = path.join(ROOT, f);
    if (!existsSync(from)) continue; // deleted in the working tree
    mkdirSync(path.dirname(path.join(checkout, f)), { recursive: true });
    copyFileSync(from, path.join(checkout, f));
    const { mode } = statSync(from);
    if (mode & 0o111) spawnSync("chmod", [(mode & 0o777).toString(8), path.join(checkout, f)]);
  }
  npmCache = run("npm", ["config", "get", "cache"], process.env, ROOT).stdout.trim();
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  // Everything ran synchronously; a process that outlived its command would still carry MARK.
  expect(findProcessesByEnv(MARK_KEY, MARK)).toEqual([]);
});

describe("README install, run verbatim", () => {
  it("the fresh copy is a checkout without node_modules and dist/", () => {
    expect(existsSync(path.join(checkout, "package.json"))).toBe(true);
    expect(existsSync(path.join(checkout, "node_modules"))).toBe(false);
    expect(existsSync(path.join(checkout, "dist"))).toBe(false);
    expect(statSync(path.join(checkout, "shim", "codex")).mode & 0o111).not.toBe(0);
  });

  it("pack + install -g: no install-script warning; a real copy with dist/; the rc line makes the shim `codex`", (ctx) => {
    const u = freshUser("pack");
    installCodex(u);
    guard(ctx);
    const r = runBlock("install-commands", u);
    guard(ctx);
    expect(r.stderr).not.toMatch(SCRIPT_WARNING);
    const installed = path.join(u.prefix, "lib", "node_modules", PKG.name);
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    for (const f of ["dist/cli/main.js", "dist/shim/bundle.js", "dist/supervisor/bundle.js", "shim/codex"]) expect(existsSync(path.join(installed, f)), f).toBe(true);
    expect(existsSync(path.join(installed, "scripts"))).toBe(false);
    const pkg = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as { scripts?: Record<string, string> };
    expect(Object.keys(pkg.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s))).toEqual([]);

    const sh = newShell(u, `command -v codex; codex-supervisor --version; codex --version; printf '%s\\n' "$PATH"`);
    expect(sh.status, sh.stderr).toBe(0);
    const [codexPath, ours, theirs, pathLine] = sh.stdout.trimEnd().split("\n");
    expect(codexPath).toBe(path.join(installed, "shim", "codex"));
    expect(ours).toBe(`codex-supervisor ${PKG.version}`);
    expect(theirs).toBe(`codex-cli ${CODEX_VERSION}`);
    expect(pathLine!.split(path.delimiter).filter((d) => d === path.join(installed, "shim"))).toHaveLength(1);
    expect(readFileSync(path.join(u.home, ".bashrc"), "utf8")).toBe(`eval "$(codex-supervisor shellenv)"\n`);
  }, 600_000);

  it("link install -g: the checkout itself is what runs", (ctx) => {
    guard(ctx);
    const u = freshUser("link");
    installCodex(u);
    guard(ctx);
    const r = runBlock("install-link-commands", u);
    guard(ctx);
    expect(r.stderr).not.toMatch(SCRIPT_WARNING);
    const installed = path.join(u.prefix, "lib", "node_modules", PKG.name);
    expect(realpathSync(installed)).toBe(realpathSync(checkout));
    const sh = newShell(u, "command -v codex; codex-supervisor --version");
    expect(sh.status, sh.stderr).toBe(0);
    const [codexPath, ours] = sh.stdout.trimEnd().split("\n");
    expect(realpathSync(codexPath!)).toBe(realpathSync(path.join(checkout, "shim", "codex")));
    expect(ours).toBe(`codex-supervisor ${PKG.version}`);
    expect(readdirSync(path.join(u.prefix, "bin")).sort()).toEqual(["codex", "codex-supervisor"]);
  }, 600_000);
});
