// A throw-away CODEX_HOME wired to the loopback model server, and helpers to run the real pinned codex
// against it and read the rollouts it writes. Nothing here reaches the network (see
// lib/demo/codex-config.ts for the switches and how that was measured).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { officialLauncherLayout } from "../../lib/codex/native-launch.js";
import { mockProviderConfigToml, tomlString, type MockConfigOptions } from "../../lib/demo/codex-config.js";
import { cleanEnv } from "./env.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The codex the tests run: the pinned one in node_modules, or — for `npm run test:compat` — the one
 * installed with `npm install -g --prefix <dir>` in the directory CODEX_SUPERVISOR_TEST_CODEX_PREFIX names.
 */
const TEST_PREFIX = process.env.CODEX_SUPERVISOR_TEST_CODEX_PREFIX;
/** A directory whose `codex` is the official npm launcher (what a user's PATH has). */
export const REAL_CODEX_BIN_DIR = TEST_PREFIX ? path.join(TEST_PREFIX, "bin") : path.join(REPO_ROOT, "node_modules", ".bin");
/** The official npm launcher of the codex under test (a Node script). */
export const REAL_CODEX_LAUNCHER = TEST_PREFIX
  ? path.join(TEST_PREFIX, "lib", "node_modules", "@openai", "codex", "bin", "codex.js")
  : path.join(REPO_ROOT, "node_modules", "@openai", "codex", "bin", "codex.js");
/** The native binary the launcher starts (found as the shim finds it: any platform). */
export const REAL_CODEX_NATIVE = (() => {
  const layout = officialLauncherLayout(REAL_CODEX_LAUNCHER, {});
  if (!layout) throw new Error(`no native codex behind ${REAL_CODEX_LAUNCHER} for ${process.platform}-${process.arch} (npm install?)`);
  return layout.binary;
})();
/** Its version (what it writes as cli_version). */
export const REAL_CODEX_VERSION = (JSON.parse(fs.readFileSync(path.join(path.dirname(REAL_CODEX_LAUNCHER), "..", "package.json"), "utf8")) as { version: string }).version;

// The config text itself is production code (the `demo` command uses it too).
export { mockProviderConfigToml, tomlString, type MockConfigOptions } from "../../lib/demo/codex-config.js";

/** Write CODEX_HOME/auth.json for an API-key account (mode 0600, atomic rename). */
export function writeApiKeyAuth(home: string, apiKey: string): void {
  const file = path.join(home, "auth.json");
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  fs.writeFileSync(tmp, JSON.stringify({ OPENAI_API_KEY: apiKey }) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export interface CodexHome {
  /** The CODEX_HOME directory. */
  home: string;
  /** A fresh, trusted working directory for codex (not a git repo). */
  workDir: string;
  /**
   * An empty HOME for the children: codex snapshots the user's shell (`bash -lc` sourcing ~/.bashrc),
   * and a developer's dotfiles can start background jobs (pyenv-rehash...) that outlive codex and
   * would read as our leftovers.
   */
  userHome: string;
  /** Environment for codex children: cleanEnv (test/helpers/env.ts) with userHome and CODEX_HOME. */
  env: NodeJS.ProcessEnv;
  configPath: string;
  authPath: string;
  sessionsDir: string;
  /** Replace auth.json with another API key. */
  setApiKey(key: string): void;
  /** Remove the directories. */
  cleanup(): void;
}

export interface MakeCodexHomeOptions extends Omit<MockConfigOptions, "trustedDirs"> {
  apiKey?: string;
  /** Extra trusted dirs besides the work dir. */
  trustedDirs?: string[];
  /** Added to the child env (after the defaults). */
  env?: NodeJS.ProcessEnv;
}

export function makeCodexHome(o: MakeCodexHomeOptions): CodexHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-home-"));
  const workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "cxs-work-")));
  const userHome = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "cxs-user-")));
  const configPath = path.join(home, "config.toml");
  fs.writeFileSync(configPath, mockProviderConfigToml({ ...o, trustedDirs: [workDir, ...(o.trustedDirs ?? [])] }));
  writeApiKeyAuth(home, o.apiKey ?? "sk-test-a");
  const env = cleanEnv({ HOME: userHome, CODEX_HOME: home, ...(o.env ?? {}) });
  return {
    home,
    workDir,
    userHome,
    env,
    configPath,
    authPath: path.join(home, "auth.json"),
    sessionsDir: path.join(home, "sessions"),
    setApiKey: (key) => writeApiKeyAuth(home, key),
    cleanup: () => {
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(workDir, { recursive: true, force: true });
      fs.rmSync(userHome, { recursive: true, force: true });
    },
  };
}

// ---- ChatGPT logins ----

/** Where a ChatGPT login's backend lives: the test bed's model server (test/testbed/model-server.ts). */
export interface ChatgptEndpoints {
  baseUrl: string;
  /** codex's `chatgpt_base_url` (…/backend-api): wham/accounts/check, which the TUI needs. */
  chatgptBaseUrl: string;
  /** The whole token endpoint URL, for CODEX_REFRESH_TOKEN_URL_OVERRIDE. */
  tokenUrl: string;
}

export interface ChatgptCodexHome extends CodexHome {
  /** Replace auth.json the way codex does (temp file + rename, 0600). */
  setAuth(auth: unknown): void;
  /** auth.json as it is now (parsed). */
  readAuth(): { tokens?: { access_token?: string; refresh_token?: string; account_id?: string | null } | null; last_refresh?: string | null } & Record<string, unknown>;
}

export interface MakeChatgptHomeOptions extends Omit<MakeCodexHomeOptions, "baseUrl" | "apiKey"> {
  server: ChatgptEndpoints;
  /** auth.json's content (e.g. `server.chatgpt.login("alpha")`). */
  auth: unknown;
  /** `cli_auth_credentials_store` (default "file"; codex's own default may pick the keyring). */
  credentialsStore?: string;
}

/** Write a JSON file the way codex writes auth.json: a 0600 temp file renamed over it (new inode). */
export function writeAuthByRename(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * A CODEX_HOME logged in with a ChatGPT login against the test bed, offline: `chatgpt_base_url` and
 * the token endpoint point at the loopback server, credentials in the file store.
 */
export function makeChatgptCodexHome(o: MakeChatgptHomeOptions): ChatgptCodexHome {
  const store = o.credentialsStore ?? "file";
  const extraTopLevel = [
    `chatgpt_base_url = ${tomlString(o.server.chatgptBaseUrl)}`,
    `cli_auth_credentials_store = ${tomlString(store)}`,
    ...(o.extraTopLevel ? [o.extraTopLevel] : []),
  ].join("\n");
  const h = makeCodexHome({
    ...o,
    baseUrl: o.server.baseUrl,
    extraTopLevel,
    env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: o.server.tokenUrl, ...(o.env ?? {}) },
  });
  writeAuthByRename(h.authPath, o.auth);
  return {
    ...h,
    setAuth: (auth) => writeAuthByRename(h.authPath, auth),
    readAuth: () => JSON.parse(fs.readFileSync(h.authPath, "utf8")) as ReturnType<ChatgptCodexHome["readAuth"]>,
  };
}

// ---- rollouts ----

/** One line of a rollout file. */
export interface RolloutLine {
  timestamp?: string;
  ordinal?: number;
  type: string;
  payload: Record<string, unknown> & { type?: string };
}

/** Every rollout file under CODEX_HOME/sessions, sorted by path (= by start time). */
export function listRollouts(home: string): string[] {
  const root = path.join(home, "sessions");
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /^rollout-.*\.jsonl$/.test(e.name)) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

/** Parse a rollout file; a trailing partial line (codex mid-write) is ignored, any other bad line throws. */
export function readRollout(file: string): RolloutLine[] {
  const text = fs.readFileSync(file, "utf8");
  // The last element is "" after a final newline, or a partial line codex is still writing: drop it.
  return text
    .split("\n")
    .slice(0, -1)
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      try {
        return JSON.parse(l) as RolloutLine;
      } catch (e) {
        throw new Error(`${file}: line ${i + 1} is not JSON: ${(e as Error).message}`);
      }
    });
}

/** The event_msg payloads of a rollout, optionally only of one payload.type. */
export function rolloutEvents(lines: RolloutLine[], type?: string): Array<Record<string, unknown>> {
  return lines.filter((l) => l.type === "event_msg" && (type === undefined || l.payload.type === type)).map((l) => l.payload);
}

/** The session id from a rollout's first line (session_meta.payload.id). */
export function rolloutSessionId(lines: RolloutLine[]): string | null {
  const first = lines[0];
  return first && first.type === "session_meta" && typeof first.payload.id === "string" ? first.payload.id : null;
}

// ---- running codex exec ----

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
  timedOut: boolean;
}

export interface RunCodexOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** "native" (default, fast) or "launcher" (the npm `bin/codex.js` under node). */
  via?: "native" | "launcher";
  /** Another executable to run instead (e.g. our shim); gets the args as is. */
  command?: string;
  timeoutMs?: number;
  stdin?: string;
}

/**
 * Run a codex command to completion and collect its output. On timeout the child (only it, by PID)
 * gets SIGTERM, then SIGKILL after 2 s; the result says timedOut.
 */
export function runCodex(args: string[], o: RunCodexOptions): Promise<RunResult> {
  const via = o.via ?? "native";
  const [cmd, pre] = o.command
    ? [o.command, [] as string[]]
    : via === "native"
      ? [REAL_CODEX_NATIVE, [] as string[]]
      : [process.execPath, [REAL_CODEX_LAUNCHER]];
  const child = spawn(cmd, [...pre, ...args], {
    cwd: o.cwd,
    env: o.env,
    stdio: [o.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  if (o.stdin !== undefined) child.stdin!.end(o.stdin);
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGTERM");
    killTimer = setTimeout(() => child.kill("SIGKILL"), 2000);
  }, o.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1, timedOut });
    });
  });
}

/** `codex exec --skip-git-repo-check <prompt>` in the home's work dir. */
export function runCodexExec(h: CodexHome, prompt: string, o: Partial<RunCodexOptions> = {}): Promise<RunResult> {
  return runCodex(["exec", "--skip-git-repo-check", prompt], { env: h.env, cwd: h.workDir, ...o });
}
