// Stop a whole process tree: SIGINT → wait → SIGTERM → wait → SIGKILL → confirm.
//
// The tree is snapshotted before the first signal and re-snapshotted after every wait, so processes
// forked meanwhile, reparented to init, or setsid()'d (found by the job marker) are included. Every
// signal goes through signalVerified (identity re-read right before kill). A stage is skipped as soon
// as everything has exited. Never signals this process or its ancestors.
//
// Cost and latency: the full re-snapshot reads every process's environment (for the marker: every
// /proc/PID/environ on Linux, one `ps -wwEA` on macOS), so it is done only at stage boundaries.
// Between them, waiting for exits only re-reads the known targets (their /proc/PID/stat, or one
// `ps -p` for all of them), so that poll can be short: it starts at 1 ms and doubles up to `pollMs`
// (10 ms), because processes usually die within a few ms of SIGINT/SIGKILL. A caller that learns of
// its own child's exit by an event (Node reaps that child) passes it as `exits`: the wait looks again
// at once instead of at its next poll.
import { hostPlatform } from "./host.js";
import { aliveOf, sameIdentity, type ProcessIdentity } from "./identity.js";
import type { ProcessPlatform } from "./platform.js";
import { listMarked } from "./proc-table.js";
import { signalVerified } from "./signal.js";
import { selfAndAncestors, snapshotTree, type TreeMember } from "./tree.js";

export interface EscalationWaits {
  /** How long to wait for exit after SIGINT (config sigintWaitMs, default 2000). */
  sigintWaitMs: number;
  /** How long to wait for exit after SIGTERM (config sigtermWaitMs, default 2000). */
  sigtermWaitMs: number;
  /** How long to wait for the kernel to finish SIGKILLed processes (default 2000). */
  sigkillWaitMs: number;
}

const DEFAULT_ESCALATION_WAITS: EscalationWaits = { sigintWaitMs: 2000, sigtermWaitMs: 2000, sigkillWaitMs: 2000 };

type EscalationStage = "SIGINT" | "SIGTERM" | "SIGKILL";

export type EscalationEvent =
  | { type: "snapshot"; after: "start" | EscalationStage; pids: number[]; added: { pid: number; comm: string; via: TreeMember["via"] }[] }
  | { type: "signal"; pid: number; comm: string; signal: NodeJS.Signals }
  | { type: "skip"; pid: number; signal: NodeJS.Signals; reason: string }
  | { type: "waited"; signal: EscalationStage; ms: number; remaining: number[] }
  | { type: "done"; left: number[] };

export interface EscalateInput {
  /** Roots by identity (preferred: they were read when the process was started). */
  identities?: readonly ProcessIdentity[];
  /** Roots by pid: their identity is read now. */
  rootPids?: readonly number[];
  /** Job marker (CODEX_SUPERVISOR_JOB value): carriers anywhere in the process table are included. */
  marker?: string | null;
  waits?: Partial<EscalationWaits>;
  /**
   * Longest poll period while waiting for exits (default 10 ms; the poll starts at 1 ms and doubles up
   * to this). Each poll reads only the targets (one probe for all of them), never the whole process table.
   */
  pollMs?: number;
  /**
   * Promises that settle when a root has exited (e.g. the caller's ChildProcess 'exit', whose result
   * `isExited` reports): a wait in progress re-checks at once. Rejections count as settling.
   */
  exits?: readonly Promise<unknown>[];
  /**
   * Override the "has exited" check for some processes, e.g. the caller's own child whose exit the
   * ChildProcess handle reports (Node reaps it). Return undefined to use the default (the table: gone,
   * reused pid, or zombie).
   */
  isExited?: (identity: ProcessIdentity) => boolean | undefined;
  /** Called for every signal actually sent (for the job log). */
  onSignal?: (identity: ProcessIdentity, signal: NodeJS.Signals) => void;
  /** Every step: snapshots, signals, skips, waits, the end. */
  onEvent?: (event: EscalationEvent) => void;
  /** Pids never to signal, in addition to this process and its ancestors. */
  exclude?: readonly number[];
  /** The process table to work on (default: this host's). */
  platform?: ProcessPlatform;
}

export interface EscalationReport {
  signalled: { pid: number; comm: string; signal: NodeJS.Signals }[];
  skipped: { pid: number; signal: NodeJS.Signals; reason: string }[];
  /** Processes still running at the end (empty on success). */
  left: ProcessIdentity[];
  /** Same, with names for an error message. */
  leftDetails: { pid: number; comm: string; state: string }[];
}

/** Default longest poll period while waiting for exits. */
const DEFAULT_EXIT_POLL_MS = 10;
/** The first poll after a signal: dying processes are usually gone within a millisecond or two. */
const FIRST_POLL_MS = 1;

interface Target {
  identity: ProcessIdentity;
  comm: string;
  state: string;
}

export async function escalateTree(input: EscalateInput): Promise<EscalationReport> {
  const waits = { ...DEFAULT_ESCALATION_WAITS, ...stripUndefined(input.waits ?? {}) };
  const pollMs = Math.max(FIRST_POLL_MS, input.pollMs ?? DEFAULT_EXIT_POLL_MS);
  const emit = (e: EscalationEvent) => input.onEvent?.(e);
  const report: EscalationReport = { signalled: [], skipped: [], left: [], leftDetails: [] };

  const platform = input.platform ?? hostPlatform();
  const targets = new Map<number, Target>();
  const roots: ProcessIdentity[] = [...(input.identities ?? [])];
  if (input.rootPids?.length) for (const p of platform.probe(input.rootPids).values()) roots.push(p.identity);
  for (const id of roots) targets.set(id.pid, { identity: id, comm: "?", state: "?" });

  /** The targets still running: the caller's override where it has one, else one read for the rest. */
  const aliveTargets = (): Target[] => {
    const all = [...targets.values()];
    const verdicts = all.map((t) => input.isExited?.(t.identity));
    const unknown = all.filter((_, i) => verdicts[i] === undefined).map((t) => t.identity);
    const alive = unknown.length > 0 ? aliveOf(unknown, platform) : new Set<number>();
    return all.filter((t, i) => (verdicts[i] === undefined ? alive.has(t.identity.pid) : !verdicts[i]));
  };

  let never: Set<number> | null = null;
  /** Re-read the table: refresh known members, add new descendants of still-valid members + marker carriers. */
  const resnapshot = (after: "start" | EscalationStage) => {
    const table = input.marker ? listMarked(platform) : platform.list();
    never ??= new Set([...selfAndAncestors(table), ...(input.exclude ?? [])]);
    const byPid = new Map(table.map((p) => [p.pid, p]));
    // Only a member that is still the same process may lend its descendants (a reused pid's are not ours).
    for (const pid of never) targets.delete(pid); // and never walk from them into their other children
    const validRoots = [...targets.values()]
      .filter((t) => {
        const now = byPid.get(t.identity.pid);
        if (!now || !sameIdentity(now.identity, t.identity)) return false;
        t.comm = now.comm;
        t.state = now.state;
        return true;
      })
      .map((t) => t.identity.pid);
    const added: { pid: number; comm: string; via: TreeMember["via"] }[] = [];
    for (const m of snapshotTree(validRoots, { table, marker: input.marker ?? null, platform })) {
      if (never.has(m.pid)) continue;
      const known = targets.get(m.pid);
      if (known && sameIdentity(known.identity, m.identity)) continue;
      // A pid we knew that now names another process (it exec()ed — on macOS a new executable is a new
      // identity — or the pid was reused) is ours again only because this snapshot says so: it is below
      // a member or carries the marker. The old identity has exited either way.
      targets.set(m.pid, { identity: m.identity, comm: m.comm, state: m.state });
      added.push({ pid: m.pid, comm: m.comm, via: m.via });
    }
    emit({ type: "snapshot", after, pids: [...targets.keys()], added });
  };

  const signalAll = (signal: EscalationStage) => {
    for (const t of aliveTargets()) {
      const r = signalVerified(t.identity, signal, platform);
      if (r.sent) {
        report.signalled.push({ pid: t.identity.pid, comm: t.comm, signal });
        input.onSignal?.(t.identity, signal);
        emit({ type: "signal", pid: t.identity.pid, comm: t.comm, signal });
        // A stopped process (Ctrl+Z) only acts on SIGINT/SIGTERM once continued.
        if (signal !== "SIGKILL" && r.state === "T") signalVerified(t.identity, "SIGCONT", platform);
      } else {
        const reason = r.reason + (r.detail ? `: ${r.detail}` : "");
        report.skipped.push({ pid: t.identity.pid, signal, reason });
        emit({ type: "skip", pid: t.identity.pid, signal, reason });
      }
    }
  };

  // A nap between polls that an exit notice ends early.
  let wake: (() => void) | null = null;
  for (const p of input.exits ?? []) {
    const ring = () => wake?.();
    p.then(ring, ring);
  }
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  const waitForExit = async (signal: EscalationStage, ms: number) => {
    const start = performance.now();
    let interval = Math.min(FIRST_POLL_MS, pollMs);
    for (;;) {
      if (aliveTargets().length === 0) break;
      const left = ms - (performance.now() - start);
      if (left <= 0) break;
      await nap(Math.min(interval, left));
      interval = Math.min(pollMs, interval * 2);
    }
    emit({ type: "waited", signal, ms: Math.round(performance.now() - start), remaining: aliveTargets().map((t) => t.identity.pid) });
  };

  resnapshot("start");
  const stages: [EscalationStage, number][] = [
    ["SIGINT", waits.sigintWaitMs],
    ["SIGTERM", waits.sigtermWaitMs],
    ["SIGKILL", waits.sigkillWaitMs],
  ];
  for (const [signal, ms] of stages) {
    if (aliveTargets().length === 0) break;
    signalAll(signal);
    await waitForExit(signal, ms);
    resnapshot(signal);
  }
  // Anything that appeared during the last wait (forked before dying, or a marker carrier found late)
  // gets SIGKILL too; bounded, in case something keeps forking.
  for (let round = 0; round < 3 && aliveTargets().length > 0; round++) {
    signalAll("SIGKILL");
    await waitForExit("SIGKILL", waits.sigkillWaitMs);
    resnapshot("SIGKILL");
  }

  for (const t of aliveTargets()) {
    report.left.push(t.identity);
    report.leftDetails.push({ pid: t.identity.pid, comm: t.comm, state: t.state });
  }
  emit({ type: "done", left: report.left.map((i) => i.pid) });
  return report;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
