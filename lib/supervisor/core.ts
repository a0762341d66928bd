// The supervisor's interpreter: one queue of events, the pure step (step.ts) deciding, and the
// effects performed here through the ports (ports.ts in real use, fakes in tests). Nothing is decided
// in this file: it turns effects into port calls and port answers, signals, timers, control requests
// and login changes into events. Shared by interactive sessions (mode "tui", entry.ts) and background
// jobs (mode "exec", the `__supervise-job` command). See docs/architecture.md §2.
//
// Effects are performed in the order step returned them; those that take time run concurrently and
// answer with an event, so a stop request is seen while an escalation or a store write is under way.
import type { RolloutFact } from "../quota/from-rollout.js";
import type { RateLimits } from "../quota/rate-limits.js";
import type { Thresholds } from "../quota/decide.js";
import type { CrashPolicyConfig } from "./crash-policy.js";
import type { Effect, JobPatch, StopStep, SuperviseResult } from "./effects.js";
import type { LoopEvent, TimerId } from "./events.js";
import type { ChildExit, SupervisedMode } from "./exit-policy.js";
import type { AccountsSnapshot, Binding, LoginView, State } from "./state.js";
import { initialState } from "./state.js";
import { start, step, type StepContext } from "./step.js";

export type { JobPatch, StopStep, SuperviseResult } from "./effects.js";
export type { AccountsSnapshot, Binding, LoginView } from "./state.js";

/** A spawned codex (our direct child). */
export interface RunningChild {
  pid: number;
  /** Resolves once, when our direct child has exited (never rejects). */
  exit: Promise<ChildExit>;
}

/** A followed rollout: new lines arrive through the callback given to `follow`. */
export interface FollowedRollout {
  /** Read whatever is left (after the child ended) and stop following. */
  drain(): Promise<RolloutFact[]>;
  close(): void;
}

export type SwitchResult = { kind: "switched" } | { kind: "foreign"; detail: string };

export interface AccountPorts {
  snapshot(): Promise<AccountsSnapshot>;
  /** Book rate limits read at `at` on `account` (the one the child was launched with). */
  recordUsage(account: string, limits: RateLimits, at: number): Promise<void>;
  /**
   * Make `to` the login in CODEX_HOME/auth.json (after storing what is there under its owner);
   * cool `from` down until `coolDownUntil`. "foreign": auth.json holds a login of no stored
   * account; nothing was replaced.
   */
  switchTo(to: string, from: string | null, coolDownUntil: number | null): Promise<SwitchResult>;
  /** Store what codex refreshed in auth.json under its owner (after every child end). */
  syncBack(): Promise<void>;
}

export interface SupervisorPorts {
  /** What CODEX_HOME/auth.json holds now. */
  currentLogin(): Promise<LoginView>;
  /** Report every change of the login in auth.json; returns an unsubscribe. */
  watchLogin(onLogin: (login: LoginView) => void): () => void;
  spawn(argv: string[]): Promise<RunningChild>;
  /** Whole-tree escalation (marker + identities). Resolves when done; never rejects. */
  stopTree(child: RunningChild, steps: StopStep[]): Promise<{ left: number[] }>;
  /** End processes still carrying the job's marker (codex is gone). How many there were. */
  endLeftovers(steps: StopStep[]): Promise<number>;
  restoreTerminal(): void;
  /** One binding attempt; `final`: the child is gone, only a scan can tell. */
  bind(child: RunningChild, final: boolean): Promise<Binding | null>;
  /** Follow a rollout from the first line written at or after `since` (epoch ms). */
  follow(binding: Binding, since: number, onFacts: (facts: RolloutFact[]) => void): FollowedRollout;
  accounts: AccountPorts | null;
  /** Call `onRequest` for each stop/restart request; returns an unsubscribe. */
  watchControl(onRequest: (req: "stop" | "restart") => void): () => void;
  record(patch: JobPatch): void;
  event(type: string, data?: Record<string, unknown>): void;
  /** A notice line: on the screen when `screen`, as a desktop notification when `alert`. */
  notice(line: string, o: { screen: boolean; alert: boolean }): void;
  /** A line rewritten in place (the countdown). `done` ends it with a newline. */
  status(line: string, done: boolean): void;
  now(): number;
  /** The loop has ended normally (no child of ours left running): the last-resort hook stands down. */
  ended?(): void;
}

export interface SuperviseOptions {
  mode: SupervisedMode;
  initialArgv: string[];
  resumeArgv: (sessionId: string, prompt: string | null) => string[];
  ports: SupervisorPorts;
  /** SIGTERM/SIGHUP stop the tree then end; SIGINT is codex's in tui mode while it runs. */
  handleSignals?: boolean;
  thresholds: Thresholds;
  whenAllExhausted: "wait" | "stay";
  continuePrompt: string | null;
  crash: CrashPolicyConfig;
  stopSteps: StopStep[];
  leftoverSteps: StopStep[];
  /** After a failed rotation, no new attempt before this much time (default 5 min). */
  rotationRetryMs?: number;
  /** An exit this soon after spawn, with no session and no turn, is a start failure (default 10 s). */
  startFailureWindowMs?: number;
  /** How often binding is attempted until the session is known (default 250 ms). */
  pollMs?: number;
}

export const DEFAULT_ROTATION_RETRY_MS = 5 * 60_000;
export const DEFAULT_START_FAILURE_WINDOW_MS = 10_000;

const SIGNALS = ["SIGTERM", "SIGHUP", "SIGINT"] as const;

/** A queue that one consumer awaits. */
class EventQueue {
  private items: LoopEvent[] = [];
  private waiter: ((e: LoopEvent) => void) | null = null;
  push(e: LoopEvent): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(e);
    } else this.items.push(e);
  }
  next(): Promise<LoopEvent> {
    const e = this.items.shift();
    if (e) return Promise.resolve(e);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

type Posted = LoopEvent extends infer E ? (E extends LoopEvent ? Omit<E, "at"> : never) : never;

export async function superviseCodex(opts: SuperviseOptions): Promise<SuperviseResult> {
  const p = opts.ports;
  const ctx: StepContext = {
    mode: opts.mode,
    initialArgv: opts.initialArgv,
    resumeArgv: opts.resumeArgv,
    accounts: p.accounts !== null,
    thresholds: opts.thresholds,
    whenAllExhausted: opts.whenAllExhausted,
    continuePrompt: opts.continuePrompt,
    crash: opts.crash,
    stopSteps: opts.stopSteps,
    leftoverSteps: opts.leftoverSteps,
    rotationRetryMs: opts.rotationRetryMs ?? DEFAULT_ROTATION_RETRY_MS,
    startFailureWindowMs: opts.startFailureWindowMs ?? DEFAULT_START_FAILURE_WINDOW_MS,
    pollMs: opts.pollMs ?? 250,
  };
  const queue = new EventQueue();
  const post = (e: Posted) => queue.push({ ...e, at: p.now() } as LoopEvent);
  const children = new Map<number, RunningChild>();
  const timers = new Map<TimerId, NodeJS.Timeout>();
  let followed: { seq: number; rollout: FollowedRollout } | null = null;
  const inFlight = new Set<Promise<void>>();
  let result: SuperviseResult | null = null;
  let state: State = initialState();

  /** Run an effect that takes time; it answers with an event (or logs its failure). */
  const task = (fn: () => Promise<void>) => {
    const t = fn().catch((err) => p.event("error", { where: "effect", message: messageOf(err) }));
    inFlight.add(t);
    void t.finally(() => inFlight.delete(t));
  };
  /** A port call whose failure is logged and replaced by `fallback`: effects that answer always answer. */
  const attempt = async <T>(where: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      p.event("error", { where, message: describeError(err) });
      return fallback;
    }
  };
  const closeFollow = () => {
    followed?.rollout.close();
    followed = null;
  };

  const perform = (e: Effect): void => {
    switch (e.kind) {
      case "load-accounts":
        return task(async () => {
          try {
            post({ type: "accounts", req: e.req, snapshot: await p.accounts!.snapshot(), error: null });
          } catch (err) {
            post({ type: "accounts", req: e.req, snapshot: null, error: describeError(err) });
          }
        });
      case "spawn":
        return task(async () => {
          const login = await p.currentLogin().catch((): LoginView => ({ kind: "unreadable", owner: null, key: null }));
          const startedAt = p.now();
          let child: RunningChild;
          try {
            child = await p.spawn(e.argv);
          } catch (err) {
            // Could not even start: the shell's "cannot execute" status, as an exit the policy reads.
            p.event("error", { where: "spawn", message: describeError(err) });
            child = { pid: -1, exit: Promise.resolve({ code: 126, signal: null }) };
          }
          children.set(e.seq, child);
          post({ type: "spawned", seq: e.seq, pid: child.pid, startedAt, login });
          void child.exit.then((exit) => post({ type: "child-exit", seq: e.seq, exit }));
        });
      case "bind": {
        const child = children.get(e.seq);
        if (!child) return;
        return task(async () => post({ type: "bound", seq: e.seq, binding: await attempt("bind", () => p.bind(child, false), null) }));
      }
      case "follow":
        closeFollow();
        followed = { seq: e.seq, rollout: p.follow(e.binding, e.since, (facts) => post({ type: "facts", seq: e.seq, facts })) };
        return;
      case "stop-tree": {
        const child = children.get(e.seq);
        if (!child) return;
        return task(async () => post({ type: "tree-stopped", seq: e.seq, left: (await attempt("stop-tree", () => p.stopTree(child, e.steps), { left: [] })).left }));
      }
      case "settle": {
        const child = children.get(e.seq);
        if (!child) return;
        // Each step on its own: a failing one is logged and the rest still run, and the loop always
        // gets its answer (a loop waiting for an answer that never comes would hang the terminal).
        return task(async () => {
          await attempt("restore-terminal", async () => p.restoreTerminal(), undefined);
          const leftovers = await attempt("end-leftovers", () => p.endLeftovers(e.leftoverSteps), 0);
          let facts: RolloutFact[] = [];
          const f = followed?.seq === e.seq ? followed.rollout : null;
          if (f) facts = await attempt("drain", () => f.drain(), []);
          closeFollow();
          let binding: Binding | null = null;
          if (e.bind) {
            binding = await attempt("bind", () => p.bind(child, true), null);
            // Bound only now (a short run): its lines decide how it ended (e.g. an exec turn at the limit).
            const b = binding;
            if (b) {
              const early: RolloutFact[] = [];
              const rest = await attempt("drain", () => p.follow(b, startedAtOf(e.seq), (f) => early.push(...f)).drain(), []);
              facts = [...early, ...rest];
            }
          }
          children.delete(e.seq);
          post({ type: "settled", seq: e.seq, binding, facts, leftovers });
        });
      }
      case "sync-back":
        return task(async () => {
          await attempt("sync-back", async () => p.accounts?.syncBack(), undefined);
          post({ type: "synced", seq: e.seq });
        });
      case "switch":
        return task(async () => {
          try {
            const r = await p.accounts!.switchTo(e.to, e.from, e.coolDownUntil);
            post({ type: "switched", outcome: r.kind, detail: r.kind === "foreign" ? r.detail : null });
          } catch (err) {
            post({ type: "switched", outcome: "failed", detail: describeError(err) });
          }
        });
      case "record-usage":
        return task(() => attempt("record-usage", async () => p.accounts?.recordUsage(e.account, e.limits, e.at), undefined));
      case "record":
        return p.record(e.patch);
      case "log":
        return p.event(e.type, e.data);
      case "notice":
        p.notice(e.line, { screen: e.screen, alert: e.alert });
        return p.event("notice", { line: e.line });
      case "status":
        return p.status(e.line, e.done);
      case "timer": {
        clearTimeout(timers.get(e.id));
        const id = e.id;
        timers.set(id, setTimeout(() => {
          timers.delete(id);
          post({ type: "timer", id });
        }, Math.max(0, e.ms)));
        return;
      }
      case "cancel-timer":
        clearTimeout(timers.get(e.id));
        timers.delete(e.id);
        return;
      case "finish":
        result = e.result;
        return;
    }
  };
  const startedAtOf = (seq: number) => (state.child?.seq === seq ? state.child.startedAt : 0);

  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  if (opts.handleSignals !== false) {
    for (const sig of SIGNALS) handlers.push([sig, () => post({ type: "signal", signal: sig })]);
    for (const [sig, h] of handlers) process.on(sig, h);
  }
  const unwatchControl = p.watchControl((request) => post({ type: "control", request }));
  const unwatchLogin = p.watchLogin((login) => post({ type: "login", login }));
  try {
    const first = start(ctx, state);
    state = first.state;
    for (const e of first.effects) perform(e);
    while (!result) {
      const ev = await queue.next();
      const r = step(ctx, state, ev);
      state = r.state;
      for (const e of r.effects) perform(e);
    }
    // Let the last bookkeeping (usage, sync) land before the caller ends the process.
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  } finally {
    unwatchControl();
    unwatchLogin();
    closeFollow();
    for (const t of timers.values()) clearTimeout(t);
    for (const [sig, h] of handlers) process.removeListener(sig, h);
  }
  p.ended?.();
  return result;
}

/** "LockLostError: storage lock … was lost (…); the write was aborted" — the name says which failure. */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
