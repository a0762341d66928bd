// The supervisor's interpreter: one queue of events, the pure step (step.ts) deciding, and the
// effects performed here through the ports (ports.ts in real use, fakes in tests). Nothing is decided
// in this file: it turns effects into port calls and port answers, signals, timers, control requests
// and login changes into events. Shared by interactive sessions (mode "tui", entry.ts) and background
// jobs (mode "exec", the `__supervise-job` command). See docs/architecture.md §2.
//
// Effects are performed in the order step returned them; those that take time run concurrently and
// answer with an event, so a stop request is seen while an escalation or a store write is under way.
import type { SuperviseResult } from "./effects.js";
import type { LoopEvent } from "./events.js";
import { EffectRunner, type Posted } from "./perform.js";
import type { SupervisorPorts } from "./port-types.js";
import { initialState, type State } from "./state.js";
import { start, step, type StepContext } from "./step.js";

export type { JobPatch, StopStep, SuperviseResult } from "./effects.js";
export type { AccountPorts, FollowedRollout, RunningChild, SupervisorPorts, SwitchResult } from "./port-types.js";
export type { AccountsSnapshot, Binding, LoginView } from "./state.js";

/** Fields of the step context the caller may leave to their defaults. */
type Defaulted = "rotationRetryMs" | "startFailureWindowMs" | "pollMs" | "rebindMs";

/**
 * The loop's options: the step context (step.ts StepContext, whose fields say what each does) minus
 * what the ports decide, plus the ports. `handleSignals`: SIGTERM/SIGHUP stop the tree then end;
 * SIGINT is codex's in tui mode while it runs.
 */
export type SuperviseOptions = Omit<StepContext, "accounts" | Defaulted> &
  Partial<Pick<StepContext, Defaulted>> & { ports: SupervisorPorts; handleSignals?: boolean };

const DEFAULT_ROTATION_RETRY_MS = 5 * 60_000;
const DEFAULT_START_FAILURE_WINDOW_MS = 10_000;

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

export async function superviseCodex(opts: SuperviseOptions): Promise<SuperviseResult> {
  const p = opts.ports;
  const { ports: _ports, handleSignals: _handle, ...given } = opts;
  const ctx: StepContext = {
    rotationRetryMs: DEFAULT_ROTATION_RETRY_MS,
    startFailureWindowMs: DEFAULT_START_FAILURE_WINDOW_MS,
    pollMs: 250,
    rebindMs: 5000,
    ...given,
    accounts: p.accounts !== null,
  };
  const queue = new EventQueue();
  const post = (e: Posted) => queue.push({ ...e, at: p.now() } as LoopEvent);
  let state: State = initialState();
  const runner = new EffectRunner(p, post, () => state);

  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  if (opts.handleSignals !== false) {
    for (const sig of SIGNALS) handlers.push([sig, () => post({ type: "signal", signal: sig })]);
    for (const [sig, h] of handlers) process.on(sig, h);
  }
  const unwatchControl = p.watchControl((request) => post({ type: "control", request }));
  const unwatchLogin = p.watchLogin((login) => post({ type: "login", login }));
  let result: SuperviseResult | null = null;
  try {
    const first = start(ctx, state);
    state = first.state;
    for (const e of first.effects) runner.perform(e);
    while ((result = runner.result) === null) {
      const r = step(ctx, state, await queue.next());
      state = r.state;
      for (const e of r.effects) runner.perform(e);
    }
    await runner.drain();
  } finally {
    unwatchControl();
    unwatchLogin();
    runner.close();
    for (const [sig, h] of handlers) process.removeListener(sig, h);
  }
  p.ended?.();
  return result;
}
