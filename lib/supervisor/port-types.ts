// The seam between the loop and the world: what the interpreter (core.ts, perform.ts) asks of the
// ports. ports.ts implements them with the project's modules; tests pass fakes.
import type { RolloutFact } from "../quota/from-rollout.js";
import type { RateLimits } from "../quota/rate-limits.js";
import type { JobPatch, StopStep } from "./effects.js";
import type { AccountsSnapshot, Binding, ChildExit, LoginView } from "./state.js";

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
  /**
   * One binding attempt. "first": until the session is known; "recheck": only an exact answer (the
   * rollout the tree holds open for writing); "final": the child is gone, only a scan can tell.
   */
  bind(child: RunningChild, mode: "first" | "recheck" | "final"): Promise<Binding | null>;
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
