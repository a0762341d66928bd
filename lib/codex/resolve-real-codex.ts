// Find the real codex the shim hands over to: CODEX_AUTH_REAL_CODEX_BIN, else config
// `realCodexBin`, else the next `codex` on PATH that is not a shim, else `@openai/codex` in the global
// npm root. Never returns a shim: a candidate is ours when its realpath is the running shim's, or when
// its first bytes carry SHIM_MARKER (a second copy of the package, a hard link, a copy of the file).
//
// Wrapper loops: a user script `codex` on PATH that itself runs `codex` re-enters this shim. The shim
// exports SEEN_ENV (see native-launch.ts) naming the scripts it has already handed over to; a
// candidate listed there is skipped, so the chain moves on to the next codex instead of looping.
// Runs on the passthrough hot path: synchronous, node builtins only, few syscalls.
import path from "node:path";
import { spawnSync } from "node:child_process";
import { DomainError } from "../errors.js";
import { plainFiles, type Files } from "./files.js";

export interface ResolvedCodex {
  /** The file to run, as found (not realpath'd: the npm launcher looks at the path it was started by). */
  path: string;
  how: "env" | "config" | "path" | "npm-global";
  /** Everything looked at, in order, with why a candidate was skipped ("(this shim)"...). */
  searched: string[];
}

/** Present in the first bytes of shim/codex: how a second copy of our shim is recognised. */
export const SHIM_MARKER = "codex-supervisor:shim";

/**
 * Not CODEX_AUTH_-prefixed on purpose: it must survive the env stripping to reach a wrapper script
 * and, through it, the shim it re-enters. Value: realpaths joined by path.delimiter.
 */
export const SEEN_ENV = "CODEX_SUPERVISOR_SHIM_SEEN";

export const REAL_CODEX_ENV = "CODEX_AUTH_REAL_CODEX_BIN";

type CandidateKind = "shim" | "script" | "binary";

/** How a file starts: our marker → shim; `#!` → script (may be a wrapper); else a binary. */
export function candidateKind(file: string, files: Files = plainFiles): CandidateKind {
  const head = files.readHead(file, 256);
  if (head.includes(SHIM_MARKER)) return "shim";
  return head[0] === 0x23 && head[1] === 0x21 ? "script" : "binary";
}

function isExecutableFile(file: string, files: Files): boolean {
  const st = files.stat(file);
  // Any execute bit: the precise check (owner/group) is left to the exec itself.
  return st !== undefined && st.isFile() && (process.platform === "win32" || (st.mode & 0o111) !== 0);
}

function safeRealpath(file: string, files: Files): string | null {
  try {
    return files.realpath(file);
  } catch {
    return null;
  }
}

interface Context {
  shimReal: string;
  seen: Set<string>;
  searched: string[];
  files: Files;
}

/** Why `file` must not be used, or null when it is a usable codex. */
function rejection(file: string, ctx: Context): string | null {
  if (!isExecutableFile(file, ctx.files)) return "not found or not executable";
  const real = safeRealpath(file, ctx.files);
  if (real === null) return "not found";
  if (real === ctx.shimReal) return "this shim";
  if (ctx.seen.has(real)) return `a wrapper already run by this shim (${SEEN_ENV}): skipped to avoid a loop`;
  try {
    if (candidateKind(real, ctx.files) === "shim") return "another copy of the codex-supervisor shim";
  } catch {
    return "unreadable";
  }
  return null;
}

function commandNames(env: NodeJS.ProcessEnv, base: string): string[] {
  if (process.platform !== "win32") return [base];
  const exts = (env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean);
  return exts.map((e) => base + e.toLowerCase());
}

/** The PATH value, whatever the key's case (Windows). */
function pathValue(env: NodeJS.ProcessEnv): string {
  if (env.PATH !== undefined) return env.PATH;
  for (const k of Object.keys(env)) if (k.toUpperCase() === "PATH") return env[k] ?? "";
  return "";
}

/** First usable `name` on PATH (each occurrence of a directory is checked; a repeated shim dir is just skipped again). */
function searchPath(env: NodeJS.ProcessEnv, name: string, ctx: Context): string | null {
  const dirs = pathValue(env).split(path.delimiter);
  for (const dir of dirs) {
    // POSIX: an empty PATH entry means the current directory.
    const d = dir === "" ? "." : dir;
    for (const n of commandNames(env, name)) {
      const file = path.join(d, n);
      const why = rejection(file, ctx);
      if (why === null) {
        ctx.searched.push(`PATH: ${file}`);
        return file;
      }
      if (why !== "not found or not executable") ctx.searched.push(`PATH: ${file} (${why})`);
    }
  }
  ctx.searched.push(`PATH: no usable '${name}' in ${pathValue(env) || "(empty PATH)"}`);
  return null;
}

/**
 * An explicit setting (env or config): a path, or a bare command name looked up on PATH. Null when it
 * names a wrapper this shim already ran (the wrapper is calling `codex` again: continue the search).
 */
function explicit(value: string, label: string, env: NodeJS.ProcessEnv, ctx: Context): string | null {
  if (!value.includes("/") && !value.includes(path.sep)) {
    const found = searchPath(env, value, ctx);
    if (found) return found;
    throw new DomainError("codex-not-found", `${label} names '${value}', which is not on PATH (searched: ${ctx.searched.join("; ")})`);
  }
  const file = path.resolve(value);
  const why = rejection(file, ctx);
  ctx.searched.push(`${label}: ${file}${why ? ` (${why})` : ""}`);
  if (why === "this shim" || why === "another copy of the codex-supervisor shim") {
    // Following it would run this shim again, forever: a configuration error, not a search miss.
    throw new DomainError("codex-is-shim", `${label} points at the codex-supervisor shim (${file}), not at the real codex`);
  }
  if (why !== null && why.startsWith("a wrapper already run")) return null;
  if (why !== null) throw new DomainError("codex-not-found", `${label} is ${file}: ${why}`);
  return file;
}

/** Candidate global npm roots, cheapest first: npm's prefix env, ~/.npmrc prefix, node's own prefix. */
function npmGlobalRootCandidates(env: NodeJS.ProcessEnv, files: Files = plainFiles): string[] {
  const roots: string[] = [];
  const toRoot = (prefix: string) =>
    process.platform === "win32" ? path.join(prefix, "node_modules") : path.join(prefix, "lib", "node_modules");
  for (const k of Object.keys(env)) {
    if (k.toLowerCase() === "npm_config_prefix" && env[k]) roots.push(toRoot(path.resolve(env[k]!)));
  }
  const home = env.HOME ?? env.USERPROFILE;
  if (home) {
    try {
      const rc = files.readText(path.join(home, ".npmrc"));
      const m = /^\s*prefix\s*=\s*(.+?)\s*$/m.exec(rc);
      if (m) roots.push(toRoot(path.resolve(m[1]!.replace(/^~(?=$|\/)/, home))));
    } catch {
      // no ~/.npmrc: nothing to add
    }
  }
  const nodePrefix =
    process.platform === "win32" ? path.dirname(process.execPath) : path.dirname(path.dirname(process.execPath));
  roots.push(toRoot(nodePrefix));
  return [...new Set(roots)];
}

function launcherIn(root: string): string {
  return path.join(root, "@openai", "codex", "bin", "codex.js");
}

function searchNpmGlobal(env: NodeJS.ProcessEnv, ctx: Context): string | null {
  const tried = new Set<string>();
  const tryRoot = (root: string): string | null => {
    if (tried.has(root)) {
      ctx.searched.push(`npm global: \`npm root -g\` = ${root} (already searched)`);
      return null;
    }
    tried.add(root);
    const file = launcherIn(root);
    const st = ctx.files.stat(file);
    const why = st === undefined ? "not found" : st.isFile() ? null : "not a file";
    ctx.searched.push(`npm global: ${file}${why ? ` (${why})` : ""}`);
    return why === null ? file : null;
  };
  for (const root of npmGlobalRootCandidates(env, ctx.files)) {
    const f = tryRoot(root);
    if (f) return f;
  }
  // Last resort, slow (~150 ms): ask npm itself. Only reached when everything else failed.
  const r = spawnSync("npm", ["root", "-g"], { env, encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] });
  const root = typeof r.stdout === "string" ? r.stdout.trim() : "";
  if (r.status === 0 && root) return tryRoot(root);
  ctx.searched.push("npm global: `npm root -g` gave no answer");
  return null;
}

function parseSeen(env: NodeJS.ProcessEnv): Set<string> {
  const v = env[SEEN_ENV];
  return new Set(v ? v.split(path.delimiter).filter(Boolean) : []);
}

/**
 * Resolve the real codex. Throws a DomainError: "codex-is-shim" when an explicit setting points at a
 * shim, "codex-not-found" when nothing usable was found (the message lists everything searched).
 */
export function resolveRealCodex(opts: {
  env: NodeJS.ProcessEnv;
  shimFile: string;
  configRealCodexBin?: string | null;
  /** Where file reads go (a recording port lets the shim prove the answer still holds later). */
  files?: Files;
}): ResolvedCodex {
  const { env } = opts;
  const files = opts.files ?? plainFiles;
  const ctx: Context = {
    // The shim's own realpath is not a dependency of the answer: every copy of the shim is skipped alike.
    shimReal: safeRealpath(opts.shimFile, plainFiles) ?? path.resolve(opts.shimFile),
    seen: parseSeen(env),
    searched: [],
    files,
  };
  const fromEnv = env[REAL_CODEX_ENV];
  if (fromEnv) {
    const file = explicit(fromEnv, REAL_CODEX_ENV, env, ctx);
    if (file) return { path: file, how: "env", searched: ctx.searched };
  }
  if (opts.configRealCodexBin) {
    const file = explicit(opts.configRealCodexBin, "config realCodexBin", env, ctx);
    if (file) return { path: file, how: "config", searched: ctx.searched };
  }
  const onPath = searchPath(env, "codex", ctx);
  if (onPath) return { path: onPath, how: "path", searched: ctx.searched };
  const global = searchNpmGlobal(env, ctx);
  if (global) return { path: global, how: "npm-global", searched: ctx.searched };
  throw new DomainError("codex-not-found", `cannot find the real codex; searched: ${ctx.searched.join("; ")}`);
}
