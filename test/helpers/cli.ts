// The one runner for our compiled CLI (`node bin/codex-supervisor …`, from dist/: build first) as a
// real process. It waits for the output to close (all of stdout and stderr), reports the exit code and
// the signal apart, and on its deadline kills the CLI and what it started (each pinned by start time),
// then fails naming the command. The environment is always the caller's whole one (cleanEnv).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanEnv } from "./env.js";
import { descendantsOf, killTracked, track, type TrackedProcess } from "./processes.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI_BIN = path.join(REPO_ROOT, "bin", "codex-supervisor");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

export interface CliOptions {
  cwd?: string;
  /** Default 60 s; then the CLI and its descendants are SIGKILLed and the run fails. */
  timeoutMs?: number;
  /** Node's own flags, before the script (`--import` a preload). */
  nodeArgs?: string[];
  /** A program that runs node for us, with its arguments (`setpriv --reuid=…`, `/usr/bin/time -v`). */
  via?: string[];
  /** Another node script of ours to run instead of the CLI (a test driver). */
  script?: string;
  uid?: number;
  gid?: number;
  /** Take stdout chunk by chunk instead of keeping it (the result's stdout is then ""): 150 MB outputs. */
  onStdout?: (chunk: Buffer) => void;
}

export interface RunningCli {
  child: ChildProcess;
  pid: number;
  /** What it has printed so far. */
  stdout(): string;
  stderr(): string;
  /** The process's end (before its output may have closed). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The whole run: output closed. Rejects on spawn failure or the deadline. */
  done: Promise<CliResult>;
}

const live = new Set<number>();
/** PIDs of CLI processes started here that have not exited: a suite asserts it is empty after each test. */
export const liveCliPids: ReadonlySet<number> = live;

function argvOf(args: string[], o: CliOptions): [string, string[]] {
  const node = [...(o.nodeArgs ?? []), o.script ?? CLI_BIN, ...args];
  return o.via && o.via.length > 0 ? [o.via[0]!, [...o.via.slice(1), process.execPath, ...node]] : [process.execPath, node];
}

/** Start the CLI and keep its handle: for a test that signals it or reads its output while it runs. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, o: CliOptions = {}): RunningCli {
  const [cmd, argv] = argvOf(args, o);
  const t0 = performance.now();
  const child = spawn(cmd, argv, { env, cwd: o.cwd, stdio: ["ignore", "pipe", "pipe"], ...(o.uid !== undefined ? { uid: o.uid } : {}), ...(o.gid !== undefined ? { gid: o.gid } : {}) });
  const pid = child.pid ?? -1;
  let stdout = "";
  let stderr = "";
  if (o.onStdout) child.stdout!.on("data", o.onStdout);
  else child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let ms = 0;
  if (pid > 0) live.add(pid);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      ms = performance.now() - t0;
      live.delete(pid);
      resolve({ code, signal });
    }),
  );
  const timeoutMs = o.timeoutMs ?? 60_000;
  let timedOut = false;
  const done = new Promise<CliResult>((resolve, reject) => {
    // Pinned while it surely runs (not yet waited for), so a deadline kill never hits a reused pid.
    const self = pid > 0 ? track(pid) : null;
    const timer = setTimeout(() => {
      timedOut = true;
      const tree: TrackedProcess[] = self ? [self, ...descendantsOf(pid)] : [];
      killTracked(tree);
      child.kill("SIGKILL");
      // Already exited, but something it started holds the pipes: stop reading so the run can end.
      if (child.exitCode !== null || child.signalCode !== null) {
        child.stdout!.destroy();
        child.stderr!.destroy();
      }
    }, timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      live.delete(pid);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${path.basename(o.script ?? CLI_BIN)} ${args.join(" ")} did not finish within ${timeoutMs} ms (killed); stderr: ${stderr}`));
      else resolve({ code, signal, stdout, stderr, ms: ms || performance.now() - t0 });
    });
  });
  // A test that only awaits `exited` (its CLI was SIGKILLed, an orphan may hold the pipes) must not
  // see this run's later deadline as an unhandled rejection; awaiting `done` still gets it.
  done.catch(() => {});
  return { child, pid, stdout: () => stdout, stderr: () => stderr, exited, done };
}

/** Run the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, o: CliOptions = {}): Promise<CliResult> {
  return startCli(args, env, o).done;
}

/**
 * The same, synchronously (for set-up inside synchronous helpers); on the deadline spawnSync kills the
 * CLI itself with SIGKILL and this throws.
 */
export function runCliSync(args: string[], env: NodeJS.ProcessEnv, o: Omit<CliOptions, "uid" | "gid" | "onStdout"> = {}): CliResult {
  const [cmd, argv] = argvOf(args, o);
  const timeoutMs = o.timeoutMs ?? 30_000;
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { env, cwd: o.cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
  if (r.error) throw new Error(`codex-supervisor ${args.join(" ")}: ${r.error.message}; stderr: ${r.stderr ?? ""}`);
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/**
 * The CLI against a job store of its own: `home` is both HOME and CODEX_AUTH_SUPERVISOR_HOME (the
 * job-command tests make records there and read what the CLI says about them).
 */
export function cliInHome(home: string, args: string[], extra: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, cleanEnv({ HOME: home, ...extra, CODEX_AUTH_SUPERVISOR_HOME: home }));
}
