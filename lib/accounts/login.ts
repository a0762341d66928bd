// `codex login` against a throw-away CODEX_HOME, so the user's current login is never touched, then the
// auth.json it wrote is captured and the directory removed. The temporary home lives inside our own
// 0700 storage home (not /tmp: codex refuses some setup under a temp dir and warns about it).
//
// That directory holds full tokens, so it never outlives the command: SIGINT, SIGTERM, SIGHUP or
// SIGQUIT during the login end the login child's whole tree (identity-verified escalation) and remove
// it; a SIGKILLed command leaves it with an `.owner` file naming us, and the next `accounts add`
// removes every login directory whose owner is gone.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DomainError } from "../errors.js";
import { ensureDir } from "../fs/atomic.js";
import { stripOurEnv } from "../codex/env.js";
import { launchSpec } from "../codex/native-launch.js";
import { resolveRealCodex } from "../codex/resolve-real-codex.js";
import { escalateTree } from "../process/escalate.js";
import { isAlive, readIdentity, type ProcessIdentity } from "../process/identity.js";
import { readCodexAuth } from "./codex-auth.js";
import type { AuthBlob } from "./schema.js";

/** Our shim (`<package>/shim/codex`): the real-codex search must skip it. */
function packageShimFile(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shim/codex");
}

interface LoginInput {
  /** Our storage home: the temporary CODEX_HOME is created inside it. */
  home: string;
  env: NodeJS.ProcessEnv;
  configRealCodexBin: string | null;
  /**
   * API-key login: the key is handed to `codex login --with-api-key` on stdin (never in argv), and
   * `keyEnvVar` is dropped from the child's environment. Absent: the interactive ChatGPT login.
   */
  apiKey?: { key: string; keyEnvVar: string };
  /** The ChatGPT login by device code (`codex login --device-auth`, for headless machines). */
  deviceAuth?: boolean;
}

const INTERRUPTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;
type Interrupt = (typeof INTERRUPTS)[number];
const LOGIN_DIR_PREFIX = "login-";
const OWNER_FILE = ".owner";
/** A login directory without an owner file younger than this may be one being created right now. */
const OWNERLESS_GRACE_MS = 60_000;

/** The login was interrupted by a signal (the edge exits 128 + its number, as a shell reports a death by it). */
class LoginInterruptedError extends DomainError {
  constructor(readonly signal: Interrupt) {
    super("interrupted", `codex login interrupted by ${signal}: the login was ended and its temporary CODEX_HOME removed; no account was added`, { signal });
    this.name = "LoginInterruptedError";
  }
}

interface LoginEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  interrupted: Interrupt | null;
  /** What codex printed, when it was captured (a non-interactive login). */
  output: string;
}

/**
 * Catches SIGINT/SIGTERM/SIGHUP/SIGQUIT from before the login starts until its directory is removed:
 * with a listener installed none of them can end us halfway (a later one changes nothing).
 */
class Interrupts {
  first: Interrupt | null = null;
  private onFirst: (() => void) | null = null;
  private readonly handlers = INTERRUPTS.map((sig) => [sig, () => this.got(sig)] as const);
  constructor() {
    for (const [sig, h] of this.handlers) process.on(sig, h);
  }
  /** Call `fn` at the first signal (at once if one came already). */
  whenInterrupted(fn: () => void): void {
    this.onFirst = fn;
    if (this.first !== null) fn();
  }
  dispose(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
  }
  private got(sig: Interrupt): void {
    if (this.first !== null) return;
    this.first = sig;
    this.onFirst?.();
  }
}

/**
 * Run the login child. An interactive login shares our terminal (its URL or device code must be
 * seen); a key login's chatter ("Reading API key from stdin...") is captured and shown only on failure.
 */
function runLogin(command: string, args: string[], env: NodeJS.ProcessEnv, stdinText: string | null, interrupts: Interrupts): Promise<LoginEnd> {
  return new Promise((resolve, reject) => {
    const quiet = stdinText !== null;
    const child = spawn(command, args, { env, stdio: [quiet ? "pipe" : "inherit", quiet ? "pipe" : "inherit", quiet ? "pipe" : "inherit"] });
    const identity: ProcessIdentity | null = child.pid !== undefined ? readIdentity(child.pid) : null;
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (output += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
    let ending: Promise<unknown> = Promise.resolve();
    // A keyboard Ctrl+C reaches codex too (same process group); a signal sent to us alone does not:
    // either way the login's whole tree is ended here, identity-verified, before we clean up.
    interrupts.whenInterrupted(() => {
      if (identity) ending = escalateTree({ identities: [identity], exits: [exited], waits: { sigintWaitMs: 1000, sigtermWaitMs: 1000, sigkillWaitMs: 1000 } });
    });
    child.on("error", reject);
    void exited.then(async (end) => {
      await ending.catch(() => {});
      resolve({ ...end, interrupted: interrupts.first, output });
    });
    if (stdinText !== null) {
      child.stdin!.on("error", () => {}); // codex may exit before reading; its exit status tells
      child.stdin!.end(stdinText);
    }
  });
}

/** Remove `<home>/login-*` directories left by a login whose command was killed (SIGKILL, power cut). */
function sweepStaleLoginHomes(home: string, now: number = Date.now()): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(home);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(LOGIN_DIR_PREFIX)) continue;
    const dir = path.join(home, name);
    let owner: ProcessIdentity | null = null;
    try {
      owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8")) as ProcessIdentity;
    } catch {
      owner = null;
    }
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory()) continue;
      const stale = owner ? !isAlive(owner) : now - st.mtimeMs >= OWNERLESS_GRACE_MS;
      if (!stale) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Gone meanwhile, or not ours to remove: nothing to do.
    }
  }
  return removed;
}

/** Run the real `codex login` in a temporary CODEX_HOME and return the auth.json it wrote. */
export async function captureCodexLogin(input: LoginInput): Promise<AuthBlob> {
  const real = resolveRealCodex({ env: input.env, shimFile: packageShimFile(), configRealCodexBin: input.configRealCodexBin });
  ensureDir(input.home, 0o700);
  sweepStaleLoginHomes(input.home);
  const interrupts = new Interrupts();
  const tmpHome = fs.mkdtempSync(path.join(input.home, LOGIN_DIR_PREFIX));
  try {
    const self = readIdentity(process.pid);
    if (self) fs.writeFileSync(path.join(tmpHome, OWNER_FILE), JSON.stringify(self), { mode: 0o600 });
    const env = stripOurEnv(input.env);
    env.CODEX_HOME = tmpHome;
    if (input.apiKey) delete env[input.apiKey.keyEnvVar];
    // Force the file store: with a keyring configured codex would write no auth.json to capture.
    const how = input.apiKey ? ["--with-api-key"] : input.deviceAuth ? ["--device-auth"] : [];
    const args = ["login", "-c", 'cli_auth_credentials_store="file"', ...how];
    const spec = launchSpec(real, args, env);
    if (interrupts.first) throw new LoginInterruptedError(interrupts.first);
    let end: LoginEnd;
    try {
      end = await runLogin(spec.command, spec.args, spec.env, input.apiKey ? `${input.apiKey.key}\n` : null, interrupts);
    } catch (err) {
      throw new DomainError("login-failed", `cannot run ${real.path} login: ${(err as Error).message}`);
    }
    if (end.interrupted) throw new LoginInterruptedError(end.interrupted);
    if (end.code !== 0) {
      const how = end.signal ? `was killed by ${end.signal}` : `exited with status ${end.code}`;
      // What codex said is shown now that it matters — never with the key in it.
      const output = input.apiKey ? end.output.split(input.apiKey.key).join("<the key>") : end.output;
      const said = output.trim() === "" ? "" : `:\n${output.trimEnd()}`;
      throw new DomainError("login-failed", `codex login ${how}; no account was added${said}`, { childStatus: end.code ?? undefined });
    }
    const read = await readCodexAuth(tmpHome, { attempts: 1 });
    if (read.kind === "missing") throw new DomainError("login-failed", "codex login finished but wrote no auth.json; no account was added");
    if (read.kind === "unreadable") throw new DomainError("login-failed", `codex login wrote an auth.json we cannot use (${read.reason}); no account was added`);
    return read.auth;
  } finally {
    fs.rmSync(tmpHome, { recursive: true, force: true });
    interrupts.dispose();
  }
}
