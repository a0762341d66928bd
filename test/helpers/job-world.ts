// A throw-away world for the jobs CLI tests: a loopback model, a CODEX_HOME wired to it, a private
// supervisor home, and a runner for our compiled CLI (dist/, build first). Every process a test
// starts carries the job marker or is tracked here, so cleanup can kill exactly those.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startModelServer, type ModelServer } from "../testbed/model-server.js";
import { runCli, type CliResult } from "./cli.js";
import { makeCodexHome, REAL_CODEX_LAUNCHER, REPO_ROOT, type CodexHome } from "./codex-home.js";
import { pollUntil } from "./poll.js";
import { expectNoLeftovers, findMarkedProcesses, killTracked, waitForGone, type TrackedProcess } from "./processes.js";

export interface World {
  server: ModelServer;
  codex: CodexHome;
  /** CODEX_AUTH_SUPERVISOR_HOME */
  home: string;
  /** The API key codex sends (must never appear in our logs/records/output). */
  apiKey: string;
  env: NodeJS.ProcessEnv;
  /** Run our CLI to completion. */
  cli(args: string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  /** Job ids created in this world (their markers are swept at cleanup). */
  jobs: Set<string>;
  cleanup(): Promise<void>;
}

export async function makeWorld(opts: { delayMs?: number; reply?: string } = {}): Promise<World> {
  if (!fs.existsSync(path.join(REPO_ROOT, "dist", "cli", "commands", "run.js"))) throw new Error("build first: npx tsc -p .");
  const server = await startModelServer({ delayMs: opts.delayMs ?? 0 });
  if (opts.reply) server.setResponder(() => ({ text: opts.reply! }));
  const apiKey = `sk-jobs-cli-${Math.random().toString(36).slice(2)}-SECRETSECRET`;
  const codex = makeCodexHome({ baseUrl: server.baseUrl, apiKey });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-sup-"));
  const env: NodeJS.ProcessEnv = {
    ...codex.env,
    CODEX_AUTH_SUPERVISOR_HOME: home,
    CODEX_AUTH_REAL_CODEX_BIN: REAL_CODEX_LAUNCHER,
    CODEX_AUTH_SIGINT_WAIT_MS: "1000",
    CODEX_AUTH_SIGTERM_WAIT_MS: "1000",
    CODEX_AUTH_CRASH_BACKOFF_MS: "100",
  };
  const jobs = new Set<string>();
  const cli = (args: string[], o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) => runCli(args, o.env ?? env, { cwd: codex.workDir, timeoutMs: o.timeoutMs });
  return {
    server,
    codex,
    home,
    apiKey,
    env,
    cli,
    jobs,
    async cleanup() {
      // Everything carrying one of this world's markers, then the supervisors recorded for them.
      const killed: TrackedProcess[] = [];
      for (const id of jobs) {
        const marked = findMarkedProcesses(id);
        killTracked(marked);
        killed.push(...marked);
        const rec = readRecordRaw(home, id);
        if (rec?.supervisor) {
          const sup = { pid: rec.supervisor.pid, startTicks: rec.supervisor.identity.startTicks };
          killTracked([sup]);
          killed.push(sup);
        }
      }
      // Gone before their files are removed: a dying process still finishing a write would race the rm.
      await waitForGone(killed, 5000);
      await server.close();
      codex.cleanup();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** End a world (afterEach): its cleanup, then assert no process carrying one of its jobs' markers is left. */
export async function disposeWorld(w: World): Promise<void> {
  const ids = [...w.jobs];
  await w.cleanup();
  for (const id of ids) await expectNoLeftovers({ marker: id });
}

export interface RawRecord {
  id: string;
  status: string;
  rev: number;
  supervisor: { pid: number; identity: { pid: number; startTicks: number; bootId: string } };
  child: { pid: number; identity: { pid: number; startTicks: number; bootId: string } } | null;
  sessionId: string | null;
  rolloutPath: string | null;
  restarts: number;
  reason: string | null;
  exitCode: number | null;
  endedAt: string | null;
  [k: string]: unknown;
}

export function readRecordRaw(home: string, id: string): RawRecord | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(home, "jobs", `${id}.json`), "utf8")) as RawRecord;
  } catch {
    return null;
  }
}

/** Poll the record until `pred` holds (deadline), returning it. */
export async function waitForRecord(home: string, id: string, pred: (r: RawRecord) => boolean, timeoutMs: number, what: string): Promise<RawRecord> {
  let last: RawRecord | null = null;
  const tail = (f: string) => {
    try {
      return fs.readFileSync(path.join(home, "jobs", f), "utf8").slice(-3000);
    } catch {
      return "(none)";
    }
  };
  return pollUntil(
    () => {
      last = readRecordRaw(home, id);
      return last && pred(last) ? last : undefined;
    },
    timeoutMs,
    () => `${what}; record: ${JSON.stringify(last)}\nevents: ${tail(`${id}.log`)}\noutput: ${tail(`${id}.out`)}`,
  );
}

export const trackedOf = (ref: { pid: number; identity: { startTicks: number } }): TrackedProcess => ({ pid: ref.pid, startTicks: ref.identity.startTicks });

/** Every file of our home (records, logs, outputs) concatenated: for the "no secret" check. */
export function allHomeText(home: string): string {
  let out = "";
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out += fs.readFileSync(p, "latin1");
    }
  };
  walk(home);
  return out;
}
