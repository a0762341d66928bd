// Run codex exactly as asked and become its exit status: argv as given, stdio inherited (a TTY stays
// the TTY), the spec's env, signals forwarded while we wait, the same exit code, or death by the same
// signal. Prints nothing of ours unless codex cannot be started at all.
//
// Plain child_process.spawn, not cross-spawn: on POSIX cross-spawn adds nothing (it exists for Windows
// shebang/PATHEXT handling) and loading it costs start-up time on every `codex` call.
// No SIGTSTP/SIGCONT handling: Ctrl+Z must stop the whole foreground group (us with codex) and `fg`
// must resume both, which is what the default dispositions do.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { LaunchSpec } from "../codex/native-launch.js";

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type ExecveFn = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * Replace this process with codex when the runtime can (Node ≥ 22.15 / 23.11, not Windows): then no
 * wrapper of ours stays at all and signals/exit status are codex's own. Returns only when unavailable.
 */
function execveIfAvailable(spec: LaunchSpec): void {
  const execve = (process as unknown as { execve?: ExecveFn }).execve;
  if (process.platform === "win32" || typeof execve !== "function") return;
  // Node ignores SIGXFSZ and ignored dispositions survive execve; a handler makes exec reset it to default.
  process.on("SIGXFSZ", () => {});
  execve(spec.command, [spec.command, ...spec.args], spec.env);
}

/** Spawn codex with inherited stdio and forward our signals to it until it ends. */
function runChild(spec: LaunchSpec): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(spec.command, spec.args, { stdio: "inherit", env: spec.env });
    const handlers = new Map<NodeJS.Signals, () => void>();
    const cleanup = () => {
      for (const [sig, h] of handlers) process.removeListener(sig, h);
    };
    for (const sig of FORWARDED_SIGNALS) {
      const h = () => {
        try {
          child.kill(sig);
        } catch {
          // already gone: its exit event follows
        }
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
    child.once("error", (err) => {
      cleanup();
      reject(err);
    });
    child.once("exit", (code, signal) => {
      cleanup();
      resolve({ code, signal });
    });
  });
}

/** Leave the way the child left: the same code, or death by the same signal (the shell sees 128+n). */
function exitLike(end: ChildEnd): never {
  if (end.signal) {
    const n = (constants.signals as Record<string, number>)[end.signal] ?? 0;
    process.exitCode = 128 + n;
    // Our forwarding handlers are gone, so the default disposition applies and this kills us.
    process.removeAllListeners(end.signal);
    try {
      process.kill(process.pid, end.signal);
    } catch {
      // fall through to the exit code
    }
    // Signals whose default is to be ignored (SIGWINCH, SIGCHLD...) land here.
    process.exit(128 + n);
  }
  process.exit(end.code ?? 1);
}

/** Exit status for a spawn failure, as a shell would report it. */
function spawnFailureStatus(err: unknown): number {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" ? 127 : 126;
}

/** The whole passthrough: exec when possible, else spawn, wait and mirror. */
export async function passthrough(spec: LaunchSpec): Promise<never> {
  execveIfAvailable(spec);
  let end: ChildEnd;
  try {
    end = await runChild(spec);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`codex-supervisor: cannot run ${spec.command}: ${e.code ?? e.message}\n`);
    process.exit(spawnFailureStatus(err));
  }
  exitLike(end);
}
