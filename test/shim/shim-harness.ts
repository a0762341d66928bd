// Shared set-up for tests that run shim/codex as a real process in front of the stand-in codex.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHIM_DIR = path.join(ROOT, "shim");
export const SHIM = path.join(SHIM_DIR, "codex");
export const FAKE_DIR = path.join(ROOT, "test", "fixtures", "fake-codex");
export const FAKE = path.join(FAKE_DIR, "codex");
export const NODE_DIR = path.dirname(process.execPath);
export const REAL_LAUNCHER = path.join(ROOT, "node_modules", "@openai", "codex", "bin", "codex.js");

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

/** An environment without any of our variables (the test runner's may carry some). */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^CODEX_(AUTH|MULTI_AUTH)_/i.test(k) && k !== "CODEX_SUPERVISOR_SHIM_SEEN") env[k] = v;
  }
  return { ...env, ...extra };
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

export function runShim(args: string[], env: NodeJS.ProcessEnv, opts: { file?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.file ?? SHIM, args, { env, stdio: ["ignore", "pipe", "pipe"] });
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

export async function waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
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
