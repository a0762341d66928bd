// The supervisor loop's state, and the facts it decides from. Plain data (no functions, no handles):
// step.ts folds events into it; tests build and compare it directly. See docs/architecture.md §2.
import type { Account } from "../accounts/schema.js";
import { initialQuotaState, type QuotaState } from "../quota/decide.js";

/** How a child process ended, as Node reports it (exactly one of the two is non-null). */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Interactive sessions ("tui") and background jobs ("exec"). */
export type SupervisedMode = "tui" | "exec";

/** What CODEX_HOME/auth.json holds, as far as the loop needs to know (never a token). */
export interface LoginView {
  kind: "ok" | "missing" | "unreadable";
  /** The stored account that owns it; null for a login of no stored account (made by hand) or none. */
  owner: string | null;
  /**
   * Who the login is (account + user for ChatGPT, a hash of the key for API keys): it changes when
   * the account changes, not when codex merely refreshes the same login. Null when missing/unreadable.
   */
  key: string | null;
  /** A login of no stored account that is exactly one `accounts remove` deleted: replaceable. */
  released?: boolean;
}

/** A fresh read of the accounts store, for one decision. */
export interface AccountsSnapshot {
  accounts: Account[];
  /** What auth.json holds at the time of the read. */
  login: LoginView;
  /** Why no rotation may touch auth.json at all (codex keeps logins in the OS keyring), or null. */
  rotationBlocked: string | null;
}

export interface Binding {
  sessionId: string;
  rolloutPath: string;
}

/** What this child's own rollout lines said (lines written before it started never count). */
export interface ChildFacts {
  quota: QuotaState;
  /** A turn failed because codex could not use its in-memory login any more (see from-rollout.ts). */
  loginLost: boolean;
  /** Turns this child started. */
  turnsStarted: number;
}

export function initialFacts(): ChildFacts {
  return { quota: initialQuotaState(), loginLost: false, turnsStarted: 0 };
}

export interface Child {
  seq: number;
  pid: number;
  /** Epoch ms just before the spawn: rollout lines older than this were not written by this child. */
  startedAt: number;
  /** The login it was launched with: its usage is charged to `login.owner`. */
  login: LoginView;
  alive: boolean;
}

/** Why the current child is being replaced (the request the escalation serves). */
export type Replace =
  | { kind: "stop"; why: StopWhy }
  | { kind: "restart" }
  | { kind: "rotate"; plan: SwitchPlan; due: RotateDue; snapshot: AccountsSnapshot }
  | { kind: "follow"; login: LoginView; continueTurn: boolean };

export type StopWhy = "control" | "SIGTERM" | "SIGHUP" | "SIGINT";

export interface RotateDue {
  kind: "rotate";
  reason: string;
  trigger: "threshold" | "usage-limit";
  /** Until when the account left is unusable (epoch ms). */
  coolDownUntil: number | null;
}

export type Due =
  | RotateDue
  | { kind: "follow"; login: LoginView; continueTurn: boolean }
  | { kind: "preselect"; reason: string };

export type SwitchPlan =
  | { kind: "switch"; to: string; reason: string }
  | { kind: "wait"; account: string; until: number };

/** How the last child ended. */
export type End = { kind: "requested"; replace: Replace; exit: ChildExit } | { kind: "unrequested"; exit: ChildExit };

/** A store read in flight while codex keeps running: for a due rotation, or to preselect. */
export type Reading = RotateDue | { kind: "preselect"; reason: string };

export type Phase =
  /** Reading the accounts before the first spawn (never start on an account that has no room). */
  | { k: "boot" }
  /** Activating another account before the first spawn. */
  | { k: "start-switch"; to: string }
  | { k: "spawning"; argv: string[] }
  | { k: "running"; reading: Reading | null }
  /** The escalation runs; `treeDone` once it reported, while Node has not yet told our child's exit. */
  | { k: "stopping"; replace: Replace; treeDone: boolean }
  /** After the child ended: terminal, leftovers, last rollout lines, last bind. */
  | { k: "settling"; end: End }
  /** Then codex's refreshed tokens stored (after the record names the session, so a kill here loses nothing). */
  | { k: "syncing"; end: End }
  /** An unrequested end that calls for a rotation (an exec turn hit the limit): reading the store. */
  | { k: "planning"; end: End; due: RotateDue; nextRun: boolean }
  | { k: "switching"; to: string; from: string | null; due: RotateDue; nextRun: boolean; waited: boolean }
  | { k: "backoff" }
  | { k: "countdown"; plan: Extract<SwitchPlan, { kind: "wait" }>; due: RotateDue; from: string | null }
  | { k: "ended" };

export interface State {
  phase: Phase;
  /** The current or last child (null before the first spawn). */
  child: Child | null;
  /** Seq numbers of children are 1-based; facts and exits of older children are ignored. */
  seq: number;
  lastExit: ChildExit | null;
  /** The session the children run (kept across restarts). */
  binding: Binding | null;
  facts: ChildFacts;
  /** What auth.json holds now, as last reported by the login watch. */
  login: LoginView | null;
  /** A stop or restart that arrived while no child was ours to stop. */
  pendingStop: StopWhy | null;
  pendingRestart: boolean;
  /** Epoch ms of the crash restarts made (the crash policy's window). */
  crashTimes: number[];
  /** No rotation attempt before this (epoch ms): a failed one backs off. */
  rotationRetryAt: number;
  restarts: number;
  /** Notice lines followed by a relaunch: repeated when a TUI session ends (codex may have wiped them). */
  relaunchNotices: string[];
  /** Keys of things logged or announced once per child (e.g. "stay:<reason>"). */
  said: string[];
  /** The latest load-accounts request: an answer to an older one is stale. */
  accountsReq: number;
}

export function initialState(): State {
  return {
    phase: { k: "boot" },
    child: null,
    seq: 0,
    lastExit: null,
    binding: null,
    facts: initialFacts(),
    login: null,
    pendingStop: null,
    pendingRestart: false,
    crashTimes: [],
    rotationRetryAt: 0,
    restarts: 0,
    relaunchNotices: [],
    said: [],
    accountsReq: 0,
  };
}
