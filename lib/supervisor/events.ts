// Everything that can happen to a supervisor, as data: the one queue core.ts reads from. Every event
// carries the time it was observed, so step.ts never reads a clock. See docs/architecture.md §2.
import type { RolloutFact } from "../quota/from-rollout.js";
import type { ChildExit } from "./exit-policy.js";
import type { AccountsSnapshot, Binding, LoginView } from "./state.js";

export type TimerId = "bind-poll" | "backoff" | "countdown" | "retry";

export type LoopEvent = { at: number } & (
  /** A fresh read of the store (answers load-accounts `req`); null with `error` when it failed. */
  | { type: "accounts"; req: number; snapshot: AccountsSnapshot | null; error: string | null }
  /** Child `seq` runs; `startedAt` was taken just before the spawn, `login` just before that. */
  | { type: "spawned"; seq: number; pid: number; startedAt: number; login: LoginView }
  | { type: "child-exit"; seq: number; exit: ChildExit }
  /** A binding attempt for child `seq` (null: no rollout yet). */
  | { type: "bound"; seq: number; binding: Binding | null }
  /** New lines of child `seq`'s rollout (only ones it wrote). */
  | { type: "facts"; seq: number; facts: RolloutFact[] }
  /** The escalation for child `seq` is over; `left`: pids still alive after SIGKILL. */
  | { type: "tree-stopped"; seq: number; left: number[] }
  /** After child `seq` ended: terminal restored, leftovers ended, its last rollout lines read, last bind made. */
  | { type: "settled"; seq: number; binding: Binding | null; facts: RolloutFact[]; leftovers: number }
  /** The sync-back after child `seq` is done (stored, or failed and logged). */
  | { type: "synced"; seq: number }
  | { type: "switched"; outcome: "switched" | "foreign" | "failed"; detail: string | null }
  /** What CODEX_HOME/auth.json holds changed (the login watch). */
  | { type: "login"; login: LoginView }
  | { type: "control"; request: "stop" | "restart" }
  | { type: "signal"; signal: "SIGINT" | "SIGTERM" | "SIGHUP" }
  | { type: "timer"; id: TimerId }
);

export type EventOf<T extends LoopEvent["type"]> = Extract<LoopEvent, { type: T }>;
