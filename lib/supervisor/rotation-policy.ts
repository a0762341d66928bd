// When to leave the current login and where to go. Pure and table-tested (test/supervisor/
// rotation-policy.test.ts); step.ts asks, the interpreter never decides. See docs/architecture.md §2.
//
// Facts carry their provenance: `facts` are only what this child wrote into its rollout after it
// started, and they describe the login it was launched with (`child.login`), whatever the store or
// auth.json say now.
import { availableAt, chooseSuccessor } from "../accounts/select.js";
import { decideFromState, type Thresholds } from "../quota/decide.js";
import type { AccountsSnapshot, Child, ChildFacts, Due, LoginView, RotateDue, SwitchPlan } from "./state.js";

interface DueInput {
  child: Child;
  facts: ChildFacts;
  /** What auth.json holds now (the login watch); null before the first report. */
  login: LoginView | null;
  /** Accounts are configured (rotation is possible at all). */
  rotation: boolean;
  thresholds: Thresholds;
  now: number;
}

/**
 * What the current child's situation calls for, regardless of the idle gate (step.ts applies it):
 * 1. the login in auth.json is another account than the child runs on (a rotation in another
 *    terminal, `accounts use`): follow it — codex refuses a foreign auth.json when it must refresh;
 * 2. the child's own readings say its account is at the rotation threshold, or a turn hit the hard
 *    limit: rotate;
 * 3. near the threshold: preselect the successor.
 */
export function dueOf(i: DueInput): Due | null {
  const { child, facts, login } = i;
  // A child started without a usable login may have logged in itself (codex's own login screen):
  // then auth.json holds what it already runs on.
  if (login && login.kind === "ok" && child.login.kind === "ok" && login.key !== child.login.key) {
    return { kind: "follow", login, continueTurn: facts.loginLost };
  }
  // No stored account behind this child's login (made by hand) or no accounts: nothing to rotate;
  // a login whose account was removed (released) may be left for a stored one.
  if (!i.rotation || (child.login.owner === null && !child.login.released)) return null;
  const d = decideFromState(facts.quota, i.now, i.thresholds);
  if (d.action === "rotate" || d.action === "rotate-when-idle") {
    return { kind: "rotate", reason: d.reason, trigger: d.trigger === "usage-limit" ? "usage-limit" : "threshold", coolDownUntil: d.coolDownUntil };
  }
  if (d.action === "preselect") return { kind: "preselect", reason: d.reason };
  return null;
}

export type PlanResult =
  | SwitchPlan
  /** auth.json already moved to another account with room (another terminal rotated): go with it. */
  | { kind: "followed"; to: string }
  /** Nobody has room and there is nothing to wait for (or whenAllExhausted is "stay"). */
  | { kind: "stay"; why: string; onlyAccount: boolean }
  /** Rotation cannot work here (codex keeps logins in the OS keyring). */
  | { kind: "blocked"; why: string }
  /** auth.json holds a login of no stored account: the user's, never replaced. */
  | { kind: "foreign" };

interface PlanInput {
  snapshot: AccountsSnapshot;
  /** The account being left (the child's login owner). */
  leaving: string | null;
  due: RotateDue;
  now: number;
  rotateAtRemainingPercent: number;
  whenAllExhausted: "wait" | "stay";
}

export function planRotation(i: PlanInput): PlanResult {
  const { snapshot, leaving, now } = i;
  const rotateAt = i.rotateAtRemainingPercent;
  if (snapshot.rotationBlocked) return { kind: "blocked", why: snapshot.rotationBlocked };
  const login = snapshot.login;
  // A login made by hand is the user's; one whose account `accounts remove` deleted is not.
  if (login.kind === "ok" && login.owner === null && !login.released) return { kind: "foreign" };
  if (login.kind === "ok" && login.owner !== null && login.owner !== leaving) {
    const there = snapshot.accounts.find((a) => a.name === login.owner);
    if (there && there.enabled && (availableAt(there, now, rotateAt) ?? Infinity) <= now) return { kind: "followed", to: there.name };
  }
  const choice = chooseSuccessor(snapshot.accounts, { leaving, now, rotateAtRemainingPercent: rotateAt });
  if (!choice.none) return { kind: "switch", to: choice.account.name, reason: choice.reason };
  const onlyAccount = snapshot.accounts.filter((a) => a.enabled && a.name !== leaving).length === 0;
  if (i.whenAllExhausted === "stay") return { kind: "stay", why: "every account is at its usage limit (whenAllExhausted: stay)", onlyAccount };
  // Nobody has room: the enabled account that frees up first, the one left included (never before
  // the cool-down the due named: a usage-limit error carries no usage the store could show).
  let best: { account: string; until: number } | null = null;
  for (const a of snapshot.accounts) {
    if (!a.enabled) continue;
    let at = availableAt(a, now, rotateAt);
    if (a.name === leaving && i.due.coolDownUntil !== null) at = at === null ? null : Math.max(at, i.due.coolDownUntil);
    if (at !== null && (best === null || at < best.until)) best = { account: a.name, until: at };
  }
  if (!best) return { kind: "stay", why: "every account is at its usage limit and no reset time is known", onlyAccount };
  return { kind: "wait", account: best.account, until: Math.max(best.until, now) };
}

type StartPlan =
  | { kind: "start" }
  /** `until`: when `from` has room again (null: disabled, or no reset time known). */
  | { kind: "switch"; from: string; to: string; disabled: boolean; until: number | null };

/**
 * Before the first spawn: never start on an account that is disabled, cooling down or exhausted
 * while another has room (a cool-down ends at its time or when fresh usage showed room, see
 * accounts/usage.ts). A login of no stored account is the user's: started as it is.
 */
export function startPlan(snapshot: AccountsSnapshot, now: number, rotateAtRemainingPercent: number): StartPlan {
  if (snapshot.rotationBlocked) return { kind: "start" };
  const owner = snapshot.login.kind === "ok" ? snapshot.login.owner : null;
  if (owner === null) return { kind: "start" };
  const current = snapshot.accounts.find((a) => a.name === owner);
  if (!current) return { kind: "start" };
  const at = availableAt(current, now, rotateAtRemainingPercent);
  if (current.enabled && at !== null && at <= now) return { kind: "start" };
  const choice = chooseSuccessor(snapshot.accounts, { leaving: owner, now, rotateAtRemainingPercent });
  if (choice.none) return { kind: "start" };
  return { kind: "switch", from: owner, to: choice.account.name, disabled: !current.enabled, until: current.enabled ? at : null };
}
