// How to start the resolved codex. When it is the official npm launcher (@openai/codex bin/codex.js),
// skip that second Node start-up: find the native binary exactly as the launcher would and give it the
// launcher's environment contract (CODEX_MANAGED_PACKAGE_ROOT = realpath of the package, exactly one
// CODEX_MANAGED_BY_* = "1"). Anything unexpected in the layout → run the launcher itself.
// Mirrors @openai/codex 0.171.0 bin/codex.js; hot path: node builtins only, a handful of stat calls.
import path from "node:path";
import { plainFiles, type Files } from "./files.js";
import { candidateKind, SEEN_ENV, type ResolvedCodex } from "./resolve-real-codex.js";

export interface LaunchSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** True when `command` is the native binary started in the launcher's place. */
  native: boolean;
}

type ManagedBy = "NPM" | "BUN" | "PNPM" | "VITE_PLUS";

interface NativeLayout {
  /** realpath of the @openai/codex package (the launcher's CODEX_MANAGED_PACKAGE_ROOT). */
  packageRoot: string;
  /** The native executable. */
  binary: string;
  /** Version shared by the launcher package and the native binary's codex-package.json. */
  version: string;
  managedBy: ManagedBy;
}

const MANAGED_BY_KEYS = ["CODEX_MANAGED_BY_NPM", "CODEX_MANAGED_BY_BUN", "CODEX_MANAGED_BY_PNPM", "CODEX_MANAGED_BY_VITE_PLUS"];

const PLATFORM_PACKAGE_BY_TARGET: Record<string, string> = {
  "x86_64-unknown-linux-musl": "@openai/codex-linux-x64",
  "aarch64-unknown-linux-musl": "@openai/codex-linux-arm64",
  "x86_64-apple-darwin": "@openai/codex-darwin-x64",
  "aarch64-apple-darwin": "@openai/codex-darwin-arm64",
  "x86_64-pc-windows-msvc": "@openai/codex-win32-x64",
  "aarch64-pc-windows-msvc": "@openai/codex-win32-arm64",
};

function targetTriple(platform: string = process.platform, arch: string = process.arch): string | null {
  const os =
    platform === "linux" || platform === "android"
      ? "unknown-linux-musl"
      : platform === "darwin"
        ? "apple-darwin"
        : platform === "win32"
          ? "pc-windows-msvc"
          : null;
  const cpu = arch === "x64" ? "x86_64" : arch === "arm64" ? "aarch64" : null;
  return os && cpu ? `${cpu}-${os}` : null;
}

function readJson(file: string, files: Files): unknown {
  return JSON.parse(files.readText(file));
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Node's module lookup dirs for a file in `fromDir` (no global folders): `<ancestor>/node_modules`, skipping node_modules dirs themselves. */
function nodeModulesDirs(fromDir: string): string[] {
  const out: string[] = [];
  for (let d = fromDir; ; d = path.dirname(d)) {
    if (path.basename(d) !== "node_modules") out.push(path.join(d, "node_modules"));
    if (path.dirname(d) === d) break;
  }
  return out;
}

/** Where require.resolve(`${pkg}/package.json`) from the launcher would land, realpath'd; null if nowhere. */
function resolvePackageDir(pkg: string, fromDir: string, files: Files): string | null {
  for (const nm of nodeModulesDirs(fromDir)) {
    const pj = path.join(nm, pkg, "package.json");
    if (files.exists(pj)) return path.dirname(files.realpath(pj));
  }
  return null;
}

function isPnpmOwned(nodeModulesDir: string, packageRoot: string, files: Files): boolean {
  if (!files.exists(path.join(nodeModulesDir, ".modules.yaml"))) return false;
  try {
    return files.realpath(path.join(nodeModulesDir, "@openai", "codex")) === packageRoot;
  } catch {
    return false;
  }
}

function isVitePlusOwned(packagesDir: string, packageRoot: string, files: Files): boolean {
  if (path.basename(packagesDir) !== "packages") return false;
  try {
    const meta = readJson(path.join(packagesDir, "@openai", "codex.json"), files);
    if (field(meta, "name") !== "@openai/codex") return false;
    const rawId = field(meta, "installId");
    const installId = typeof rawId === "string" ? rawId : "";
    const installDir = installId.startsWith("#")
      ? path.join(packagesDir, `@openai/codex${installId}`)
      : path.join(packagesDir, "@openai/codex", installId);
    for (const nm of [path.join(installDir, "lib", "node_modules"), path.join(installDir, "node_modules")]) {
      const root = path.join(nm, "@openai", "codex");
      if (files.exists(root) && files.realpath(root) === packageRoot) return true;
    }
  } catch {
    // unreadable ownership metadata: not vite-plus (as the launcher decides)
  }
  return false;
}

/** The launcher's detectPackageManager(), for the env var it sets. */
function detectManagedBy(packageRoot: string, entrypointDir: string, env: NodeJS.ProcessEnv, files: Files = plainFiles): ManagedBy {
  for (const start of new Set([packageRoot, entrypointDir])) {
    const fsRoot = path.parse(start).root;
    for (let d = start; d !== fsRoot; d = path.dirname(d)) {
      if (isVitePlusOwned(d, packageRoot, files)) return "VITE_PLUS";
      if (isPnpmOwned(path.join(d, "node_modules"), packageRoot, files)) return "PNPM";
    }
    if (isPnpmOwned(path.join(fsRoot, "node_modules"), packageRoot, files)) return "PNPM";
  }
  if (/\bbun\//.test(env.npm_config_user_agent ?? "")) return "BUN";
  if ((env.npm_execpath ?? "").includes("bun")) return "BUN";
  const launcherDir = path.join(packageRoot, "bin");
  if (launcherDir.includes(".bun/install/global") || launcherDir.includes(".bun\\install\\global")) return "BUN";
  return "NPM";
}

/**
 * The native binary behind `launcherPath` when it is the official npm launcher with the expected
 * layout and matching versions; null otherwise (the caller then runs the launcher).
 */
export function officialLauncherLayout(launcherPath: string, env: NodeJS.ProcessEnv, files: Files = plainFiles): NativeLayout | null {
  try {
    const launcherReal = files.realpath(launcherPath);
    if (path.basename(launcherReal) !== "codex.js" || path.basename(path.dirname(launcherReal)) !== "bin") return null;
    const packageRoot = files.realpath(path.dirname(path.dirname(launcherReal)));
    const pkg = readJson(path.join(packageRoot, "package.json"), files);
    const version = field(pkg, "version");
    if (field(pkg, "name") !== "@openai/codex" || typeof version !== "string") return null;

    const triple = targetTriple();
    const platformPackage = triple ? PLATFORM_PACKAGE_BY_TARGET[triple] : undefined;
    if (!triple || !platformPackage) return null;
    const pkgDir = resolvePackageDir(platformPackage, path.dirname(launcherReal), files);
    const vendorRoot = pkgDir ? path.join(pkgDir, "vendor") : path.join(packageRoot, "vendor");
    const tripleDir = path.join(vendorRoot, triple);
    const binary = path.join(tripleDir, "bin", process.platform === "win32" ? "codex.exe" : "codex");
    if (!files.stat(binary)?.isFile()) return null;
    // A half-upgraded install (launcher and platform package of different releases): let the launcher decide.
    if (field(readJson(path.join(tripleDir, "codex-package.json"), files), "version") !== version) return null;

    // The launcher's process.argv[1] is the path it was started by (e.g. a symlink in a bin dir).
    const entrypointDir = path.dirname(path.resolve(launcherPath));
    const managedBy = detectManagedBy(packageRoot, entrypointDir, env, files);
    return { packageRoot, binary, version, managedBy };
  } catch {
    return null;
  }
}

/** The launcher's environment contract on top of `baseEnv`. */
function managedEnv(baseEnv: NodeJS.ProcessEnv, layout: NativeLayout): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...baseEnv, CODEX_MANAGED_PACKAGE_ROOT: layout.packageRoot };
  for (const k of MANAGED_BY_KEYS) delete env[k];
  env[`CODEX_MANAGED_BY_${layout.managedBy}`] = "1";
  return env;
}

/** `env` with SEEN_ENV extended by `entry` (a wrapper script we are about to run). */
function withSeen(env: NodeJS.ProcessEnv, entry: string): NodeJS.ProcessEnv {
  const prev = env[SEEN_ENV];
  const list = prev ? prev.split(path.delimiter).filter(Boolean) : [];
  if (!list.includes(entry)) list.push(entry);
  return { ...env, [SEEN_ENV]: list.join(path.delimiter) };
}

function withoutSeen(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env[SEEN_ENV] === undefined) return env;
  const out = { ...env };
  delete out[SEEN_ENV];
  return out;
}

/**
 * What to spawn for `codex <argv>`. `baseEnv` is already stripped of our keys. The loop guard
 * (SEEN_ENV) is added only when handing over to a script that may call `codex` again; the real codex
 * (native binary, official launcher, any binary) gets it removed so its own descendants start afresh.
 */
export function launchSpec(real: ResolvedCodex, argv: string[], baseEnv: NodeJS.ProcessEnv, files: Files = plainFiles): LaunchSpec {
  const layout = officialLauncherLayout(real.path, baseEnv, files);
  if (layout) {
    return { command: layout.binary, args: argv.slice(), env: withoutSeen(managedEnv(baseEnv, layout)), native: true };
  }
  if (isOfficialLauncher(real.path, files)) {
    // Unexpected layout: the launcher finds (or reports) its binary itself.
    return { command: process.execPath, args: [real.path, ...argv], env: withoutSeen(baseEnv), native: false };
  }
  let kind: string;
  let realFile: string;
  try {
    realFile = files.realpath(real.path);
    kind = candidateKind(realFile, files);
  } catch {
    return { command: real.path, args: argv.slice(), env: withoutSeen(baseEnv), native: false };
  }
  const env = kind === "script" ? withSeen(baseEnv, realFile) : withoutSeen(baseEnv);
  return { command: real.path, args: argv.slice(), env, native: false };
}

function isOfficialLauncher(file: string, files: Files): boolean {
  try {
    const real = files.realpath(file);
    if (path.basename(real) !== "codex.js") return false;
    return field(readJson(path.join(path.dirname(path.dirname(real)), "package.json"), files), "name") === "@openai/codex";
  } catch {
    return false;
  }
}
