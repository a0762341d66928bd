// Shared set-up for tests that run shim/codex as a real process in front of the stand-in codex: the
// shells it must run under, a spy `node` that tells the fast path (no Node at all) from the Node path,
// and a private supervisor home for the launch records.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHIM_DIR = path.join(ROOT, "shim");
export const SHIM = path.join(SHIM_DIR, "codex");
export const FAKE_DIR = path.join(ROOT, "test", "fixtures", "fake-codex");
export const FAKE = path.join(FAKE_DIR, "codex");
export const NODE_DIR = path.dirname(process.execPath);
export { REAL_CODEX_BIN_DIR, REAL_CODEX_LAUNCHER as REAL_LAUNCHER } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";

/** Make sure the shim's bundle matches the compiled dist/ (tests run after `tsc`, maybe without `npm run build`). */
export async function ensureBundle(): Promise<void> {
  if (!existsSync(path.join(ROOT, "dist", "shim", "main.js"))) throw new Error("dist/ missing: build first (npx tsc -p .)");
  const mod = (await import(path.join(ROOT, "scripts", "bundle-shim.mjs"))) as { bundleShim: () => unknown };
  mod.bundleShim();
}

export function tempDir(prefix = "shim-test-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

let home: string | null = null;
// Removed after the test file (a vitest worker is ended without running "exit" handlers).
afterAll(() => {
  if (home !== null) rmSync(home, { recursive: true, force: true });
  home = null;
});
/** A supervisor home of this test file's own (launch records land there, never in the real ~/.codex). */
export function privateHome(): string {
  home ??= mkdtempSync(path.join(os.tmpdir(), "shim-home-"));
  return home;
}

/** cleanEnv (test/helpers/env.ts) with this process's private supervisor home, so launch records stay here. */
export function shimEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ CODEX_AUTH_SUPERVISOR_HOME: privateHome(), ...extra });
}

/** The launch record shim/codex reads for `env` (lib/shim/launch-cache.ts). */
export function recordFile(env: NodeJS.ProcessEnv): string {
  return path.join(env.CODEX_AUTH_SUPERVISOR_HOME ?? privateHome(), "shim-cache", `path-${(env.PATH ?? "").length}`);
}

export interface Shell {
  name: string;
  /** Program and its leading arguments; the shim file and its argv follow. */
  command: string[];
  argv0?: string;
  /** The same shell as words of a command line (where argv0 cannot be set: `bash --posix`). */
  words: string[];
}

/**
 * The shells shim/codex must behave the same under: /bin/sh (dash on Debian, bash 3.2 on macOS), and
 * bash started as `sh` (its POSIX mode, as macOS /bin/sh runs it) where bash is installed.
 */
export const SHELLS: Shell[] = (() => {
  const out: Shell[] = [{ name: "/bin/sh", command: ["/bin/sh"], words: ["/bin/sh"] }];
  const bash = spawnSync("/bin/sh", ["-c", "command -v bash"], { encoding: "utf8" }).stdout.trim();
  if (bash) out.push({ name: "bash as sh", command: [bash], argv0: "sh", words: [bash, "--posix"] });
  return out;
})();

/**
 * A `node` first on PATH that logs each start (its arguments, one line) and then runs the real node:
 * `shimNodeStarts()` tells whether the shim's Node path ran. Put `dir` before NODE_DIR in PATH.
 */
export function spyNode(parent: string): { dir: string; log: string; shimNodeStarts(): string[] } {
  const dir = path.join(parent, "spy-bin");
  mkdirSync(dir, { recursive: true });
  const log = path.join(parent, "node-starts.log");
  writeFileSync(path.join(dir, "node"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${process.execPath}' "$@"\n`, { mode: 0o755 });
  return {
    dir,
    log,
    shimNodeStarts: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l.includes("dist/shim/entry.js")) : []),
  };
}

export function pathOf(...dirs: string[]): string {
  return [...dirs, NODE_DIR, "/usr/bin", "/bin"].join(path.delimiter);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  child: ChildProcess;
}

export function runShim(args: string[], env: NodeJS.ProcessEnv, opts: { file?: string; timeoutMs?: number; shell?: Shell } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const file = opts.file ?? SHIM;
    const sh = opts.shell;
    const child = sh
      ? spawn(sh.command[0]!, [...sh.command.slice(1), file, ...args], { env, stdio: ["ignore", "pipe", "pipe"], argv0: sh.argv0 })
      : spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`shim did not finish within ${opts.timeoutMs ?? 20000} ms: ${stderr}`));
    }, opts.timeoutMs ?? 20000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, child });
    });
  });
}

export interface FakeReport {
  argv: string[];
  env: Record<string, string>;
  isatty: boolean[];
  pid: number;
  ppid: number;
  ready?: boolean;
  received?: string;
}

export function readReport(file: string): FakeReport | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as FakeReport;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
