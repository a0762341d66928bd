// `codex login` against a throw-away CODEX_HOME, so the user's current login is never touched, then the
// auth.json it wrote is captured and the directory removed. The temporary home lives inside our own
// 0700 storage home (not /tmp: codex refuses some setup under a temp dir and warns about it).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DomainError } from "../errors.js";
import { ensureDir } from "../fs/atomic.js";
import { stripOurEnv } from "../codex/env.js";
import { launchSpec } from "../codex/native-launch.js";
import { resolveRealCodex } from "../codex/resolve-real-codex.js";
import { readCodexAuth } from "./activate.js";
import type { AuthBlob } from "./schema.js";

/** Our shim (`<package>/shim/codex`): the real-codex search must skip it. */
export function packageShimFile(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shim/codex");
}

export interface LoginInput {
  /** Our storage home: the temporary CODEX_HOME is created inside it. */
  home: string;
  env: NodeJS.ProcessEnv;
  configRealCodexBin: string | null;
  /**
   * API-key login: the key is handed to `codex login --with-api-key` on stdin (never in argv), and
   * `keyEnvVar` is dropped from the child's environment. Absent: the interactive ChatGPT login.
   */
  apiKey?: { key: string; keyEnvVar: string };
}

function runLogin(command: string, args: string[], env: NodeJS.ProcessEnv, stdinText: string | null): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: [stdinText === null ? "inherit" : "pipe", "inherit", "inherit"] });
    // Ctrl+C reaches codex too (same process group): let it end the login, then clean up ourselves.
    const ignore = () => {};
    process.on("SIGINT", ignore);
    const done = () => process.off("SIGINT", ignore);
    child.on("error", (err) => {
      done();
      reject(err);
    });
    child.on("exit", (code, signal) => {
      done();
      resolve({ code, signal });
    });
    if (stdinText !== null) {
      child.stdin!.on("error", () => {}); // codex may exit before reading; its exit status tells
      child.stdin!.end(stdinText);
    }
  });
}

/** Run the real `codex login` in a temporary CODEX_HOME and return the auth.json it wrote. */
export async function captureCodexLogin(input: LoginInput): Promise<AuthBlob> {
  const real = resolveRealCodex({ env: input.env, shimFile: packageShimFile(), configRealCodexBin: input.configRealCodexBin });
  ensureDir(input.home, 0o700);
  const tmpHome = fs.mkdtempSync(path.join(input.home, "login-"));
  try {
    const env = stripOurEnv(input.env);
    env.CODEX_HOME = tmpHome;
    if (input.apiKey) delete env[input.apiKey.keyEnvVar];
    // Force the file store: with a keyring configured codex would write no auth.json to capture.
    const args = ["login", "-c", 'cli_auth_credentials_store="file"', ...(input.apiKey ? ["--with-api-key"] : [])];
    const spec = launchSpec(real, args, env);
    let end: { code: number | null; signal: NodeJS.Signals | null };
    try {
      end = await runLogin(spec.command, spec.args, spec.env, input.apiKey ? `${input.apiKey.key}\n` : null);
    } catch (err) {
      throw new DomainError("login-failed", `cannot run ${real.path} login: ${(err as Error).message}`);
    }
    if (end.code !== 0) {
      const how = end.signal ? `was killed by ${end.signal}` : `exited with status ${end.code}`;
      throw new DomainError("login-failed", `codex login ${how}; no account was added`, { childStatus: end.code ?? undefined });
    }
    const read = await readCodexAuth(tmpHome, { attempts: 1 });
    if (read.kind === "missing") throw new DomainError("login-failed", "codex login finished but wrote no auth.json; no account was added");
    if (read.kind === "unreadable") throw new DomainError("login-failed", `codex login wrote an auth.json we cannot use (${read.reason}); no account was added`);
    return read.auth;
  } finally {
    fs.rmSync(tmpHome, { recursive: true, force: true });
  }
}
