// `codex-supervisor demo`: the real codex TUI, supervised, against the built-in loopback model server,
// with two throw-away API-key accounts whose quota climbs per turn, in a throw-away CODEX_HOME and
// supervisor home (under the user's cache dir, see demo-dir.ts). Nothing of the user's (~/.codex,
// accounts, config) is read or written, and that directory is removed on the way out, whatever way that is.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { activate } from "../accounts/activate.js";
import { addAccount, newAccount } from "../accounts/adopt.js";
import { parseAuthBlob } from "../accounts/schema.js";
import { updateAccounts } from "../accounts/store.js";
import { DomainError } from "../errors.js";
import { resolveRealCodex, REAL_CODEX_ENV } from "../codex/resolve-real-codex.js";
import { mockProviderConfigToml } from "./codex-config.js";
import { makeDemoRoot } from "./demo-dir.js";
import { endLeftovers, findProcessesWithEnv } from "./leftovers.js";
import { startModelServer, type ModelServer } from "./model-server.js";
import { accountByKey, closingText, DEMO_ACCOUNTS, demoAnswer, demoQuota, introText, summaryText, type TurnSummary } from "./script.js";

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const SHIM_FILE = path.join(PACKAGE_ROOT, "shim", "codex");
/** Where a checkout (devDependency) keeps the pinned codex: used when no codex is on PATH. */
const BUNDLED_CODEX = path.join(PACKAGE_ROOT, "node_modules", "@openai", "codex", "bin", "codex.js");

interface DemoOptions {
  /** Keep the temporary directory (for a look at the rollout, records and event log). */
  keep: boolean;
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
}

/** The real codex to run: the user's (as the shim would find it), else the one in our checkout. */
function findRealCodex(env: NodeJS.ProcessEnv): string {
  try {
    return resolveRealCodex({ env, shimFile: SHIM_FILE, configRealCodexBin: null }).path;
  } catch (err) {
    if (fs.existsSync(BUNDLED_CODEX)) return BUNDLED_CODEX;
    throw err instanceof DomainError ? new DomainError(err.code, `demo: ${err.message}. Install the Codex CLI first: npm install -g @openai/codex`) : err;
  }
}

/** The user's environment minus anything that would point codex or us at real state. */
function demoEnv(parent: NodeJS.ProcessEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parent)) {
    const u = k.toUpperCase();
    if (v === undefined || u.startsWith("CODEX_") || u.startsWith("OPENAI_")) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** The two demo accounts in the throw-away store, the first one active (writes its auth.json). */
async function addAccounts(supervisorHome: string, codexHome: string): Promise<void> {
  const now = new Date();
  await updateAccounts(supervisorHome, (draft) => {
    for (const a of DEMO_ACCOUNTS) addAccount(draft, newAccount(a.name, parseAuthBlob({ OPENAI_API_KEY: a.apiKey }), now));
  });
  // The throw-away CODEX_HOME has no auth.json yet: nothing foreign or unreadable can be in the way.
  await activate({ home: supervisorHome, codexHome, name: DEMO_ACCOUNTS[0]!.name });
}

/**
 * Wait for Enter on the terminal (true), or Ctrl+C / end of input (false). stdin is paused again
 * before codex starts, so not one key meant for codex is read by us.
 */
function waitForEnter(): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (go: boolean) => {
      process.stdin.off("data", onData);
      process.stdin.off("end", onEnd);
      process.off("SIGINT", onInt);
      process.stdin.pause();
      resolve(go);
    };
    const onData = (chunk: Buffer) => {
      if (chunk.includes(0x0a) || chunk.includes(0x0d)) finish(true);
    };
    const onEnd = () => finish(false);
    const onInt = () => finish(false);
    process.stdin.on("data", onData);
    process.stdin.on("end", onEnd);
    process.on("SIGINT", onInt);
    process.stdin.resume();
  });
}

/** Run the supervised codex in the user's terminal; resolves with its exit status. */
function runSupervisedCodex(env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const child = spawn(SHIM_FILE, [], { env, cwd, stdio: "inherit" }); // shim/codex is a sh script
  // Terminal signals reach the child directly (same foreground group); we only stay alive to clean up.
  // A SIGTERM/SIGHUP sent to us alone is passed on, so the supervisor can end its session properly.
  const ignore = () => {};
  const forward = (sig: NodeJS.Signals) => () => {
    child.kill(sig);
  };
  const onTerm = forward("SIGTERM");
  const onHup = forward("SIGHUP");
  process.on("SIGINT", ignore);
  process.on("SIGQUIT", ignore);
  process.on("SIGTERM", onTerm);
  process.on("SIGHUP", onHup);
  return new Promise<number>((resolve, reject) => {
    const done = () => {
      process.off("SIGINT", ignore);
      process.off("SIGQUIT", ignore);
      process.off("SIGTERM", onTerm);
      process.off("SIGHUP", onHup);
    };
    child.on("error", (e) => {
      done();
      reject(new DomainError("demo-failed", `demo: cannot start the shim ${SHIM_FILE}: ${e.message}`));
    });
    child.on("exit", (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1));
    });
  });
}

function turnsOf(server: ModelServer, now: number): TurnSummary[] {
  return server.turnRequests.map((r) => {
    const account = accountByKey(r.bearerKey);
    return {
      account: account?.name ?? "(unknown key)",
      primaryUsedPercent: account ? demoQuota(account, r.countForKey, now).primaryUsedPercent : undefined,
      sessionId: r.sessionId,
    };
  });
}

export async function runDemo(o: DemoOptions): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new DomainError("no-terminal", "demo: needs an interactive terminal (stdin and stdout must be a TTY)");
  }
  const realCodex = findRealCodex(o.env);
  const root = makeDemoRoot(o.env, o.env.HOME && path.isAbsolute(o.env.HOME) ? o.env.HOME : os.homedir());
  let server: ModelServer | null = null;
  const codexHome = path.join(root, "codex-home");
  try {
    const supervisorHome = path.join(root, "supervisor");
    const workDir = path.join(root, "work");
    for (const d of [codexHome, supervisorHome, workDir]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });

    const now = Math.floor(Date.now() / 1000);
    server = await startModelServer({ answer: (req) => demoAnswer(req, now) });
    fs.writeFileSync(path.join(codexHome, "config.toml"), mockProviderConfigToml({ baseUrl: server.baseUrl, model: "demo-model", trustedDirs: [workDir] }));

    const env = demoEnv(o.env, {
      CODEX_HOME: codexHome,
      CODEX_AUTH_SUPERVISOR_HOME: supervisorHome,
      CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1",
      [REAL_CODEX_ENV]: realCodex,
    });
    await addAccounts(supervisorHome, codexHome);

    o.out(introText(o.keep ? root : `${root} (removed on exit)`) + "\n");
    // Codex takes the whole screen at once: the intro stays until the user has read it.
    if (!(await waitForEnter())) {
      o.out("codex-supervisor demo: not started.\n");
      return 0;
    }
    const status = await runSupervisedCodex(env, workDir);
    const turns = turnsOf(server, now);
    const sessionId = turns.map((t) => t.sessionId).find((s): s is string => s !== null) ?? null;
    o.out(summaryText(turns, closingText({ keptRoot: o.keep ? root : null, sessionId, realCodex }), status));
    return status;
  } finally {
    await server?.close();
    // The supervisor ends its own tree; anything still running with the demo's CODEX_HOME (a codex
    // daemon would be one) must go before its home is deleted. The path is unique to this run, and
    // each process is signalled by the identity read when it was found.
    const report = await endLeftovers(findProcessesWithEnv("CODEX_HOME", codexHome));
    for (const d of report.leftDetails) o.out(`demo: process ${d.pid} (${d.comm}) of the demo is still running after SIGKILL\n`);
    if (!o.keep) fs.rmSync(root, { recursive: true, force: true });
  }
}
