// A supervised codex in a tmux shell: the real pinned codex behind our shim (on PATH, opted in), a
// throw-away CODEX_HOME wired to the loopback model server, a private tmux server running bash.
// Everything a test starts is cleaned in `close()`, which also asserts no process kept the job marker.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startModelServer, type ModelServer } from "../testbed/model-server.js";
import { jobsDir } from "../../lib/paths.js";
import { readJob } from "../../lib/jobs/records.js";
import type { JobRecord } from "../../lib/jobs/record.js";
import { runCliSync, type CliResult } from "../helpers/cli.js";
import { makeCodexHome, REAL_CODEX_LAUNCHER, REPO_ROOT, type CodexHome } from "../helpers/codex-home.js";
import { pollUntil } from "../helpers/poll.js";
import { startShell, type TmuxSession } from "../helpers/tmux.js";
import { expectNoLeftovers, findMarkedProcesses, readEnviron, type TrackedProcess } from "../helpers/processes.js";

export const SHIM_DIR = path.join(REPO_ROOT, "shim");
export const PROMPT = "READY$ ";
const PASTE_BURST_WINDOW_MS = 400;

export interface Bed {
  server: ModelServer;
  h: CodexHome;
  /** Our storage home (CODEX_HOME/supervisor). */
  home: string;
  env: NodeJS.ProcessEnv;
  shell: TmuxSession;
  close(): Promise<void>;
}

export interface BedOptions {
  apiKey?: string;
  /** Extra environment for the shell (and so the shim/supervisor). */
  env?: NodeJS.ProcessEnv;
}

/**
 * A terminal's environment for supervised codex: the home's (cleanEnv, CODEX_HOME), our shim first on
 * PATH, opted in, the pinned codex as the real one, quick restarts.
 */
export function supervisedShellEnv(h: CodexHome, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...h.env,
    PATH: `${SHIM_DIR}:${h.env.PATH ?? "/usr/bin:/bin"}`,
    CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1",
    CODEX_AUTH_REAL_CODEX_BIN: REAL_CODEX_LAUNCHER,
    // Keep restarts quick: codex's TUI dies at the first SIGINT anyway.
    CODEX_AUTH_SIGINT_WAIT_MS: "1500",
    CODEX_AUTH_SIGTERM_WAIT_MS: "1500",
    ...extra,
  };
}

export async function startBed(o: BedOptions = {}): Promise<Bed> {
  const server = await startModelServer();
  const h = makeCodexHome({ baseUrl: server.baseUrl, apiKey: o.apiKey ?? "sk-test-A" });
  const home = path.join(h.home, "supervisor");
  const env = supervisedShellEnv(h, {
    // Must never reach codex (checked in /proc/PID/environ).
    CODEX_AUTH_X: "secret-value-x",
    ...(o.env ?? {}),
  });
  const shell = startShell({ env, cwd: h.workDir, prompt: PROMPT, cols: 120, rows: 40 });
  await shell.waitFor((s) => s.includes(PROMPT), 10_000);
  const markersSeen = new Set<string>();
  return {
    server,
    h,
    home,
    env,
    shell,
    async close() {
      for (const id of jobIds(home)) markersSeen.add(id);
      shell.kill();
      try {
        for (const m of markersSeen) await expectNoLeftovers({ marker: m }, 5000);
        await expectSupervisorsGone(home, [...markersSeen]);
      } finally {
        await server.close();
        h.cleanup();
      }
    },
  };
}

/**
 * The jobs' supervisors have exited too (they carry no marker: after codex is gone they still write
 * their final record and log, so removing the home before that races them). Kills and throws on a
 * survivor, like expectNoLeftovers.
 */
export async function expectSupervisorsGone(home: string, ids: string[], graceMs = 10_000): Promise<void> {
  const sups: TrackedProcess[] = [];
  for (const id of ids) {
    try {
      const r = readJob(home, id);
      sups.push({ pid: r.supervisor.pid, startTicks: r.supervisor.identity.startTicks });
    } catch {
      // no readable record: nothing of it to wait for
    }
  }
  await expectNoLeftovers(sups, graceMs);
}

export function jobIds(home: string): string[] {
  try {
    return fs
      .readdirSync(jobsDir(home))
      .filter((f) => /^[sj]-\d{8}-[0-9a-f]{8}\.json$/.test(f))
      .map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}

/** The only session record in the home, once it exists. */
export async function waitForJob(home: string, timeoutMs = 15_000): Promise<string> {
  return pollUntil(() => {
    const ids = jobIds(home);
    return ids.length === 1 ? ids[0] : undefined;
  }, timeoutMs, "the supervisor's job record");
}

export function record(home: string, id: string): JobRecord {
  return readJob(home, id);
}

export async function waitForRecord(home: string, id: string, pred: (r: JobRecord) => boolean, what: string, timeoutMs = 20_000): Promise<JobRecord> {
  return pollUntil(() => {
    const r = readJob(home, id);
    return pred(r) ? r : undefined;
  }, timeoutMs, what);
}

/** Run our CLI (compiled dist/) with the bed's environment, in its work dir. */
export function cli(bed: Bed, args: string[]): CliResult {
  return runCliSync(args, bed.env, { cwd: bed.h.workDir });
}

/**
 * Add an API-key account through the real CLI (`accounts add --from-file`), from a 0600 file in a
 * private temp dir that is removed at once: the key never appears in argv.
 */
export function addApiKeyAccount(bed: Bed, name: string, key: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-keys-"));
  try {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify({ OPENAI_API_KEY: key }), { mode: 0o600 });
    const r = cli(bed, ["accounts", "add", name, "--from-file", file]);
    if (r.code !== 0) throw new Error(`accounts add ${name} exited ${r.code}: ${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function cliCommandBuilt(name: string): boolean {
  return fs.existsSync(path.join(REPO_ROOT, "dist", "cli", "commands", `${name}.js`));
}

export function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((s) => s.length > 0);
  } catch {
    return [];
  }
}

/** Every CODEX_AUTH_* key found in the environment of any process carrying the marker. */
export function ourKeysInMarkedProcesses(marker: string): Array<{ pid: number; key: string }> {
  const out: Array<{ pid: number; key: string }> = [];
  for (const p of findMarkedProcesses(marker)) {
    for (const key of readEnviron(p.pid)?.keys() ?? []) {
      const k = key.toUpperCase();
      if (k.startsWith("CODEX_AUTH_") || k.startsWith("CODEX_MULTI_AUTH_")) out.push({ pid: p.pid, key });
    }
  }
  return out;
}

/** The pane's terminal modes (`stty -a` of its pty). */
export function paneStty(shell: TmuxSession): string {
  const tty = shell.tmux(["display-message", "-p", "-t", shell.target, "#{pane_tty}"]).trim();
  const r = spawnSync("stty", ["-F", tty, "-a"], { encoding: "utf8" });
  return r.stdout;
}

/** Until the program in the pane has put its terminal into raw mode (codex reads keys only then). */
export async function waitForRawMode(shell: TmuxSession, timeoutMs = 10_000): Promise<void> {
  await pollUntil(() => (/(^|\s)-icanon(\s|$)/m.test(paneStty(shell)) ? true : undefined), timeoutMs, "the TUI to enter raw mode");
}

/** The composer's text: the last `› ...` line on screen (empty when it shows its placeholder). */
export function composerText(screen: string): string {
  const lines = screen.split("\n").filter((l) => l.startsWith("› "));
  const last = (lines.at(-1) ?? "").slice(2).trimEnd();
  return /^Ask Codex to do anything/.test(last) ? "" : last;
}

const PROBE = "x";

/**
 * After a `fg`, codex may take seconds before it reads keys again, and keys typed before it is back
 * in raw mode are dropped. Probe with one harmless character, re-sent every few seconds until one
 * shows up, let any queued ones land, then erase them all: the composer is live and empty.
 */
export async function waitForComposerReady(shell: TmuxSession, timeoutMs = 30_000): Promise<void> {
  await waitForRawMode(shell, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    shell.sendText(PROBE);
    try {
      await shell.waitFor((s) => composerText(s).includes(PROBE), 3_000);
      break;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
  }
  // Probes sent earlier may still be queued behind codex's resume: give them the same window to land.
  await new Promise((r) => setTimeout(r, 3_000));
  const n = composerText(shell.capture()).length;
  for (let i = 0; i < n; i++) shell.sendKeys("BSpace");
  await shell.waitFor((s) => composerText(s) === "", 10_000);
}

/** Type a prompt into the TUI and submit it. */
export async function submitPrompt(shell: TmuxSession, text: string): Promise<void> {
  shell.sendText(text);
  await shell.waitFor((s) => s.includes(text), 10_000);
  // Codex's composer treats an Enter that follows fast typing as part of a paste (a newline); its
  // paste-burst window is time-based, so there is no screen event to wait for here.
  await new Promise((r) => setTimeout(r, PASTE_BURST_WINDOW_MS));
  shell.sendKeys("Enter");
}

export function countOccurrences(list: string[], text: string): number {
  return list.filter((t) => t.includes(text)).length;
}
