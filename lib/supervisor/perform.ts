// Performing the loop's effects (effects.ts) through the ports: quick ones at once, slow ones as
// tasks that answer with an event — always, even when their port fails (the failure is logged), since
// a loop waiting for an answer that never comes would hang the user's terminal.
import type { RolloutFact } from "../quota/from-rollout.js";
import type { Effect, SuperviseResult } from "./effects.js";
import type { LoopEvent, TimerId } from "./events.js";
import type { FollowedRollout, RunningChild, SupervisorPorts } from "./port-types.js";
import type { Binding, LoginView, State } from "./state.js";

/** An event without its time (the runner stamps it). */
export type Posted = LoopEvent extends infer E ? (E extends LoopEvent ? Omit<E, "at"> : never) : never;

export class EffectRunner {
  private readonly children = new Map<number, RunningChild>();
  private readonly timers = new Map<TimerId, NodeJS.Timeout>();
  private followed: { seq: number; rollout: FollowedRollout } | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Set by the `finish` effect. */
  result: SuperviseResult | null = null;

  constructor(
    private readonly p: SupervisorPorts,
    private readonly post: (e: Posted) => void,
    /** The loop's current state (for a child's start time). */
    private readonly state: () => State,
  ) {}

  perform(e: Effect): void {
    const { p, post } = this;
    switch (e.kind) {
      case "load-accounts":
        return this.task(async () => {
          try {
            post({ type: "accounts", req: e.req, snapshot: await p.accounts!.snapshot(), error: null });
          } catch (err) {
            post({ type: "accounts", req: e.req, snapshot: null, error: describeError(err) });
          }
        });
      case "spawn":
        return this.task(() => this.spawn(e.seq, e.argv));
      case "bind": {
        const child = this.children.get(e.seq);
        if (!child) return;
        return this.task(async () => post({ type: "bound", seq: e.seq, binding: await this.attempt("bind", () => p.bind(child, e.recheck ? "recheck" : "first"), null) }));
      }
      case "follow":
        this.closeFollow();
        this.followed = { seq: e.seq, rollout: p.follow(e.binding, e.since, (facts) => post({ type: "facts", seq: e.seq, facts })) };
        return;
      case "stop-tree": {
        const child = this.children.get(e.seq);
        if (!child) return;
        return this.task(async () => post({ type: "tree-stopped", seq: e.seq, left: (await this.attempt("stop-tree", () => p.stopTree(child, e.steps), { left: [] })).left }));
      }
      case "settle": {
        const child = this.children.get(e.seq);
        if (!child) return;
        return this.task(() => this.settle(e.seq, child, e));
      }
      case "sync-back":
        return this.task(async () => {
          await this.attempt("sync-back", async () => p.accounts?.syncBack(), undefined);
          post({ type: "synced", seq: e.seq });
        });
      case "switch":
        return this.task(async () => {
          try {
            const r = await p.accounts!.switchTo(e.to, e.from, e.coolDownUntil);
            post({ type: "switched", outcome: r.kind, detail: r.kind === "foreign" ? r.detail : null });
          } catch (err) {
            post({ type: "switched", outcome: "failed", detail: describeError(err) });
          }
        });
      case "record-usage":
        return this.task(() => this.attempt("record-usage", async () => p.accounts?.recordUsage(e.account, e.limits, e.at), undefined));
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
        clearTimeout(this.timers.get(e.id));
        const id = e.id;
        this.timers.set(
          id,
          setTimeout(() => {
            this.timers.delete(id);
            post({ type: "timer", id });
          }, Math.max(0, e.ms)),
        );
        return;
      }
      case "cancel-timer":
        clearTimeout(this.timers.get(e.id));
        this.timers.delete(e.id);
        return;
      case "finish":
        this.result = e.result;
        return;
    }
  }

  /** Let the last bookkeeping (usage, sync) land before the caller ends the process. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  close(): void {
    this.closeFollow();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private async spawn(seq: number, argv: string[]): Promise<void> {
    const login = await this.p.currentLogin().catch((): LoginView => ({ kind: "unreadable", owner: null, key: null }));
    const startedAt = this.p.now();
    let child: RunningChild;
    try {
      child = await this.p.spawn(argv);
    } catch (err) {
      // Could not even start: the shell's "cannot execute" status, as an exit the policy reads.
      this.p.event("error", { where: "spawn", message: describeError(err) });
      child = { pid: -1, exit: Promise.resolve({ code: 126, signal: null }) };
    }
    this.children.set(seq, child);
    this.post({ type: "spawned", seq, pid: child.pid, startedAt, login });
    void child.exit.then((exit) => this.post({ type: "child-exit", seq, exit }));
  }

  /** After a child ended: each step on its own (a failing one is logged, the rest still run). */
  private async settle(seq: number, child: RunningChild, e: Extract<Effect, { kind: "settle" }>): Promise<void> {
    const { p } = this;
    await this.attempt("restore-terminal", async () => p.restoreTerminal(), undefined);
    const steps = e.leftoverSteps;
    const leftovers = steps ? await this.attempt("end-leftovers", () => p.endLeftovers(steps), 0) : 0;
    let facts: RolloutFact[] = [];
    const f = this.followed?.seq === seq ? this.followed.rollout : null;
    if (f) facts = await this.attempt("drain", () => f.drain(), []);
    this.closeFollow();
    let binding: Binding | null = null;
    if (e.bind) {
      binding = await this.attempt("bind", () => p.bind(child, "final"), null);
      // Bound only now (a short run): its lines decide how it ended (e.g. an exec turn at the limit).
      const b = binding;
      if (b) {
        const s = this.state();
        const since = s.child?.seq === seq ? s.child.startedAt : 0;
        const early: RolloutFact[] = [];
        const rest = await this.attempt("drain", () => p.follow(b, since, (x) => early.push(...x)).drain(), []);
        facts = [...early, ...rest];
      }
    }
    this.children.delete(seq);
    this.post({ type: "settled", seq, binding, facts, leftovers });
  }

  /** Run an effect that takes time; it answers with an event (or logs its failure). */
  private task(fn: () => Promise<void>): void {
    const t = fn().catch((err) => this.p.event("error", { where: "effect", message: err instanceof Error ? err.message : String(err) }));
    this.inFlight.add(t);
    void t.finally(() => this.inFlight.delete(t));
  }

  /** A port call whose failure is logged and replaced by `fallback`. */
  private async attempt<T>(where: string, fn: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.p.event("error", { where, message: describeError(err) });
      return fallback;
    }
  }

  private closeFollow(): void {
    this.followed?.rollout.close();
    this.followed = null;
  }
}

/** "LockLostError: storage lock … was lost (…); the write was aborted" — the name says which failure. */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
