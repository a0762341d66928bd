// Running the compiled `codex-supervisor` bin against temp homes, for the property and fault suites.
// Every child is tracked so a test can assert none is left behind.
import { spawn } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BIN = path.join(ROOT, "bin/codex-supervisor");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Our environment without any CODEX_AUTH_* / CODEX_HOME of the developer's own, plus `extra`. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("CODEX_") || k === "FAULTS") continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export const liveChildren = new Set<number>();

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid!;
    liveChildren.add(pid);
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => {
      clearTimeout(timer);
      liveChildren.delete(pid);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      liveChildren.delete(pid);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
