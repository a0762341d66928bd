// Drives the pure step function (lib/supervisor/step.ts) with events and records what it asks for.
// No processes, no files: the table tests of the loop's policy are written against this.
import type { Account } from "../../lib/accounts/schema.js";
import type { Effect } from "../../lib/supervisor/effects.js";
import type { LoopEvent } from "../../lib/supervisor/events.js";
import { initialState, type AccountsSnapshot, type LoginView, type State } from "../../lib/supervisor/state.js";
import { start, step, type StepContext } from "../../lib/supervisor/step.js";
import { account } from "../accounts/fixtures.js";

export const T0 = Date.parse("2026-12-02T10:00:00Z");
export const MIN = 60_000;

export function ctxOf(over: Partial<StepContext> = {}): StepContext {
  return {
    mode: "tui",
    initialArgv: ["--no-daemon", "hello"],
    resumeArgv: (id, prompt) => ["--no-daemon", "resume", id, ...(prompt === null ? [] : [prompt])],
    accounts: true,
    thresholds: { rotateAtRemainingPercent: 5, preselectAtRemainingPercent: 10 },
    whenAllExhausted: "wait",
    continuePrompt: "Continue.",
    crash: { crashRestartMax: 2, crashRestartWindowMs: 10 * MIN, crashBackoffMs: 500, crashBackoffMaxMs: 30_000 },
    stopSteps: [
      { signal: "SIGINT", graceMs: 2000 },
      { signal: "SIGTERM", graceMs: 2000 },
      { signal: "SIGKILL", graceMs: 2000 },
    ],
    leftoverSteps: [{ signal: "SIGINT", graceMs: 100 }, { signal: "SIGKILL", graceMs: 100 }],
    rotationRetryMs: 5 * MIN,
    startFailureWindowMs: 10_000,
    pollMs: 250,
    rebindMs: 5000,
    ...over,
  };
}

export const login = (owner: string | null, key = owner ?? "foreign"): LoginView => ({ kind: "ok", owner, key: `key:${key}` });

/** An account whose last seen usage leaves `remaining` percent of the 5 h window. */
export function acct(name: string, o: { remaining?: number; resetsInMin?: number; coolingUntil?: number; enabled?: boolean } = {}): Account {
  const a = account(name, { enabled: o.enabled ?? true });
  if (o.remaining !== undefined) {
    a.usage = {
      primaryUsedPercent: 100 - o.remaining,
      primaryWindowMinutes: 300,
      primaryResetsAt: new Date(T0 + (o.resetsInMin ?? 60) * MIN).toISOString(),
      observedAt: new Date(T0 - MIN).toISOString(),
    };
  }
  if (o.coolingUntil !== undefined) a.coolingDownUntil = new Date(o.coolingUntil).toISOString();
  return a;
}

export function snapshot(accounts: Account[], owner: string | null, rotationBlocked: string | null = null): AccountsSnapshot {
  return { accounts, login: login(owner), rotationBlocked };
}

type Posted = LoopEvent extends infer E ? (E extends LoopEvent ? Omit<E, "at"> : never) : never;

/** The rate limits codex writes, as a rollout fact. */
export function reading(usedPercent: number, resetsInMin = 60) {
  return { kind: "token_count" as const, rateLimits: { primary: { used_percent: usedPercent, window_minutes: 300, resets_at: Math.floor((T0 + resetsInMin * MIN) / 1000) }, secondary: null } };
}

export class Driver {
  state: State;
  /** Every effect, in order. */
  readonly all: Effect[] = [];
  now = T0;
  constructor(readonly ctx: StepContext) {
    const r = start(ctx, initialState());
    this.state = r.state;
    this.all.push(...r.effects);
  }
  /** Advance the clock by `ms` and send one event; returns its effects. */
  send(e: Posted, ms = 0): Effect[] {
    this.now += ms;
    const r = step(this.ctx, this.state, { ...e, at: this.now } as LoopEvent);
    this.state = r.state;
    this.all.push(...r.effects);
    return r.effects;
  }
  get req(): number {
    return this.state.accountsReq;
  }
  get seq(): number {
    return this.state.seq;
  }
  /** Answer the pending store read. */
  accounts(s: AccountsSnapshot | null, error: string | null = null): Effect[] {
    return this.send({ type: "accounts", req: this.req, snapshot: s, error });
  }
  /** The pending spawn runs, launched with `who`. */
  spawned(who: LoginView, pid = 100 + this.seq): Effect[] {
    return this.send({ type: "spawned", seq: this.seq, pid, startedAt: this.now, login: who });
  }
  bound(sessionId = "sess-1"): Effect[] {
    return this.send({ type: "bound", seq: this.seq, binding: { sessionId, rolloutPath: `/r/${sessionId}.jsonl` } });
  }
  facts(...facts: Parameters<typeof factsOf>[0]): Effect[] {
    return this.send({ type: "facts", seq: this.seq, facts: factsOf(facts) });
  }
  /** A whole turn of this child: started, a reading, completed. */
  turn(usedPercent: number, error: string | null = null): Effect[] {
    return this.facts({ kind: "task_started" }, reading(usedPercent), { kind: "task_complete", error });
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null, ms = 0): Effect[] {
    return this.send({ type: "child-exit", seq: this.seq, exit: { code, signal } }, ms);
  }
  treeStopped(): Effect[] {
    return this.send({ type: "tree-stopped", seq: this.seq, left: [] });
  }
  settled(o: { binding?: string | null; facts?: Parameters<typeof factsOf>[0]; leftovers?: number } = {}): Effect[] {
    const binding = o.binding ? { sessionId: o.binding, rolloutPath: `/r/${o.binding}.jsonl` } : null;
    const settled = this.send({ type: "settled", seq: this.seq, binding, facts: factsOf(o.facts ?? []), leftovers: o.leftovers ?? 0 });
    // With accounts, the sync-back follows (answered at once here).
    if (!this.ctx.accounts) return settled;
    return [...settled, ...this.send({ type: "synced", seq: this.seq })];
  }
  /** A requested stop runs its course: the escalation ends the child, then it is settled. */
  escalated(): Effect[] {
    return [...this.exit(null, "SIGINT"), ...this.treeStopped(), ...this.settled()];
  }
  kinds(effects: Effect[] = this.all): string[] {
    return effects.map((e) => e.kind);
  }
  of<K extends Effect["kind"]>(kind: K, effects: Effect[] = this.all): Extract<Effect, { kind: K }>[] {
    return effects.filter((e): e is Extract<Effect, { kind: K }> => e.kind === kind);
  }
  spawns(): string[][] {
    return this.of("spawn").map((e) => e.argv);
  }
  notices(): string[] {
    return this.of("notice").map((e) => e.line);
  }
  logs(type?: string): Array<Record<string, unknown>> {
    return this.of("log")
      .filter((e) => type === undefined || e.type === type)
      .map((e) => ({ type: e.type, ...e.data }));
  }
  result() {
    return this.of("finish")[0]?.result ?? null;
  }
}

function factsOf(f: Array<Record<string, unknown> & { kind: string }>) {
  return f as never;
}

/** A driver past the start: the store read (alpha active with room), alpha's child spawned and bound. */
export function running(over: Partial<StepContext> = {}, accounts = [acct("alpha", { remaining: 60 }), acct("beta", { remaining: 80 })]): Driver {
  const d = new Driver(ctxOf(over));
  d.accounts(snapshot(accounts, "alpha"));
  d.spawned(login("alpha"));
  d.bound();
  return d;
}
