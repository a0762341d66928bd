// The supervisor's last word when its process ends in a way the loop did not plan: an uncaught
// exception, an unhandled rejection, process.exit() from anywhere, or a signal we install no handler
// for (SIGQUIT from Ctrl+\, SIGALRM, SIGUSR2, ...). Without it, codex would keep running in the
// terminal's foreground group with nobody supervising it, and the terminal would stay in raw mode.
//
// signal-exit runs our callback on every one of those ends, synchronously: no await, no timer, no
// event loop turn is left. So the hook does only synchronous things:
//   1. SIGKILL the job's processes — our child (only if its pid still has the identity read at spawn)
//      and every process carrying the job marker — each identity re-verified right before kill(2)
//      (signalVerified), never this process or its ancestors; then wait, blocking and bounded, until
//      they are gone so none of them draws on the terminal after step 2;
//   2. restore the terminal (stty of the saved modes + the reset sequence; spawnSync, so synchronous).
// There is no graceful SIGINT → SIGTERM stage here: it needs waits the exit path cannot give. The
// planned paths (stop/restart requests, SIGTERM/SIGHUP to us, rotation) keep the async escalation in
// core.ts/escalate.ts; signals we handle never reach this hook (signal-exit stands aside when another
// listener exists).
//
// Armed from construction of the real ports until the loop reports it ended normally (core.ts calls
// ports.ended()); after that the process ends exactly as before (a user quit leaves alone what codex
// deliberately left running).
import { onExit } from "signal-exit";
import { isAlive, sameIdentity, type ProcessIdentity } from "../process/identity.js";
import { listMarked, type ProcWithEnv } from "../process/proc-table.js";
import { signalVerified } from "../process/signal.js";
import { selfAndAncestors, snapshotTree } from "../process/tree.js";

interface SyncKillInput {
  /** Our direct child as identified at spawn (null: none running). */
  root: ProcessIdentity | null;
  /** The job marker (CODEX_SUPERVISOR_JOB value): every carrier is ours. */
  marker: string;
  /** How long to block waiting for the killed processes to be gone (default 1000 ms). */
  waitMs?: number;
  /** Injectable for tests (default: the live process table with its markers). */
  table?: () => readonly ProcWithEnv[];
}

interface SyncKillReport {
  killed: number[];
  /** Still alive when the wait ran out. */
  left: number[];
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * SIGKILL the job's processes synchronously (see the header). Re-snapshots after killing, a few
 * rounds, to catch a process forked between the snapshot and the kill.
 */
export function killJobTreeSync(input: SyncKillInput): SyncKillReport {
  const readTable = input.table ?? (() => listMarked());
  const waitMs = input.waitMs ?? 1000;
  const killed = new Map<number, ProcessIdentity>();
  for (let round = 0; round < 3; round++) {
    const table = readTable();
    const never = selfAndAncestors(table);
    // A root whose pid now names another process lends us nothing (its descendants are not ours).
    const rootNow = input.root ? table.find((p) => p.pid === input.root!.pid) : undefined;
    const roots = input.root && rootNow && sameIdentity(rootNow.identity, input.root) ? [input.root.pid] : [];
    let sent = 0;
    for (const m of snapshotTree(roots, { table, marker: input.marker })) {
      if (never.has(m.pid)) continue;
      const prev = killed.get(m.pid);
      if (prev && sameIdentity(prev, m.identity)) continue;
      if (signalVerified(m.identity, "SIGKILL").sent) {
        killed.set(m.pid, m.identity);
        sent++;
      }
    }
    if (sent === 0) break;
  }
  const deadline = Date.now() + waitMs;
  let alive = [...killed.values()].filter((id) => isAlive(id));
  while (alive.length > 0 && Date.now() < deadline) {
    sleepSync(5);
    alive = alive.filter((id) => isAlive(id));
  }
  return { killed: [...killed.keys()], left: alive.map((id) => id.pid) };
}

interface LastResortInput {
  marker: string;
  /** The child running now (identity read at spawn), or null. */
  currentChild: () => ProcessIdentity | null;
  /** Synchronous terminal restore (a no-op for background jobs). */
  restoreTerminal: () => void;
  /** Synchronous note for the job log (e.g. appendEvent); must not throw. */
  log: (data: Record<string, unknown>) => void;
  waitMs?: number;
}

interface LastResort {
  /** The loop ended normally: remove the hook; the process may end freely. Idempotent. */
  disarm(): void;
}

export function armLastResort(input: LastResortInput): LastResort {
  let armed = true;
  const remove = onExit(
    (code, signal) => {
      if (!armed) return;
      armed = false;
      let report: SyncKillReport | null = null;
      try {
        report = killJobTreeSync({ root: input.currentChild(), marker: input.marker, waitMs: input.waitMs });
      } catch {
        // Nothing left to try from an exiting process; `codex-supervisor reap` finds marker carriers.
      }
      try {
        input.restoreTerminal();
      } catch {
        /* the terminal may be gone */
      }
      try {
        input.log({ code: code ?? null, signal: signal ?? null, killed: report?.killed ?? [], left: report?.left ?? [] });
      } catch {
        /* best effort */
      }
    },
    { alwaysLast: true },
  );
  return {
    disarm() {
      if (!armed) return;
      armed = false;
      remove();
    },
  };
}
