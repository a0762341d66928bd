// When to leave a login and where to go (rotation-policy.ts), as tables.
import { describe, expect, it } from "vitest";
import { initialQuotaState, applyQuotaEvent } from "../../lib/quota/decide.js";
import { dueOf, planRotation, startPlan } from "../../lib/supervisor/rotation-policy.js";
import { initialFacts, type ChildFacts, type RotateDue } from "../../lib/supervisor/state.js";
import { acct, login, MIN, reading, snapshot, T0 } from "./step-driver.js";

const thresholds = { rotateAtRemainingPercent: 5, preselectAtRemainingPercent: 10 };
const child = (owner: string | null, kind: "ok" | "missing" = "ok") => ({ seq: 1, pid: 1, startedAt: T0, login: kind === "ok" ? login(owner) : { kind, owner: null, key: null }, alive: true });
function factsAfter(used: number | null, o: { inTurn?: boolean; limitError?: boolean; loginLost?: boolean } = {}): ChildFacts {
  let q = initialQuotaState();
  q = applyQuotaEvent(q, { kind: "task_started" });
  if (used !== null) q = applyQuotaEvent(q, reading(used));
  if (!o.inTurn) q = applyQuotaEvent(q, { kind: "task_complete", error: o.limitError ? "usage_limit_exceeded" : null });
  return { ...initialFacts(), quota: q, turnsStarted: 1, loginLost: o.loginLost ?? false };
}
const due = (o: Partial<RotateDue> = {}): RotateDue => ({ kind: "rotate", reason: "r", trigger: "threshold", coolDownUntil: null, ...o });

describe("dueOf", () => {
  it.each([
    { name: "no readings yet", owner: "alpha", now: login("alpha"), f: initialFacts(), want: null },
    { name: "60 % used", owner: "alpha", now: login("alpha"), f: factsAfter(60), want: null },
    { name: "91 % used: preselect", owner: "alpha", now: login("alpha"), f: factsAfter(91), want: "preselect" },
    { name: "95 % used: rotate", owner: "alpha", now: login("alpha"), f: factsAfter(95), want: "rotate" },
    { name: "usage-limit turn", owner: "alpha", now: login("alpha"), f: factsAfter(null, { limitError: true }), want: "rotate" },
    { name: "96 % but a login of no stored account", owner: null, now: login(null), f: factsAfter(96), want: null },
    { name: "auth.json now holds beta", owner: "alpha", now: login("beta"), f: factsAfter(40), want: "follow" },
    { name: "auth.json holds beta, alpha also at 96 %: follow wins", owner: "alpha", now: login("beta"), f: factsAfter(96), want: "follow" },
    { name: "auth.json now missing: nothing to follow", owner: "alpha", now: { kind: "missing" as const, owner: null, key: null }, f: factsAfter(40), want: null },
  ])("$name → $want", ({ owner, now, f, want }) => {
    const d = dueOf({ child: child(owner), facts: f, login: now, rotation: true, thresholds, now: T0 });
    expect(d?.kind ?? null).toBe(want);
  });

  it("a released login (its account removed) may be left at the limit; a hand-made one may not", () => {
    const released = { seq: 1, pid: 1, startedAt: T0, login: { ...login(null, "gone"), released: true }, alive: true };
    const hand = { seq: 1, pid: 1, startedAt: T0, login: login(null, "mine"), alive: true };
    const limited = factsAfter(null, { limitError: true });
    expect(dueOf({ child: released, facts: limited, login: released.login, rotation: true, thresholds, now: T0 })?.kind).toBe("rotate");
    expect(dueOf({ child: hand, facts: limited, login: hand.login, rotation: true, thresholds, now: T0 })).toBeNull();
    const snap = { ...snapshot([acct("beta", { remaining: 80 })], null), login: { ...login(null, "gone"), released: true } };
    expect(planRotation({ snapshot: snap, leaving: null, due: due(), now: T0, rotateAtRemainingPercent: 5, whenAllExhausted: "wait" })).toMatchObject({ kind: "switch", to: "beta" });
  });

  it("a follow carries whether codex refused the login in a turn (then the turn is continued)", () => {
    const d = dueOf({ child: child("alpha"), facts: factsAfter(40, { loginLost: true }), login: login("beta"), rotation: true, thresholds, now: T0 });
    expect(d).toEqual({ kind: "follow", login: login("beta"), continueTurn: true });
  });

  it("a usage-limit turn rotates with its trigger named; the reading's reset is the cool-down", () => {
    const d = dueOf({ child: child("alpha"), facts: factsAfter(100, { limitError: true }), login: login("alpha"), rotation: true, thresholds, now: T0 });
    expect(d).toMatchObject({ kind: "rotate", trigger: "usage-limit", coolDownUntil: T0 + 60 * MIN });
  });
});

describe("planRotation", () => {
  const plan = (accounts: ReturnType<typeof acct>[], o: { owner?: string | null; leaving?: string; whenAllExhausted?: "wait" | "stay"; d?: RotateDue; blocked?: string } = {}) =>
    planRotation({ snapshot: snapshot(accounts, o.owner === undefined ? "alpha" : o.owner, o.blocked ?? null), leaving: o.leaving ?? "alpha", due: o.d ?? due(), now: T0, rotateAtRemainingPercent: 5, whenAllExhausted: o.whenAllExhausted ?? "wait" });

  it.each([
    { name: "most remaining wins", accts: [acct("alpha", { remaining: 3 }), acct("beta", { remaining: 40 }), acct("gamma", { remaining: 70 })], want: { kind: "switch", to: "gamma" } },
    { name: "never seen counts as fresh", accts: [acct("alpha", { remaining: 3 }), acct("beta", { remaining: 70 }), acct("gamma")], want: { kind: "switch", to: "gamma" } },
    { name: "cooling down is skipped", accts: [acct("alpha", { remaining: 3 }), acct("beta", { remaining: 90, coolingUntil: T0 + MIN }), acct("gamma", { remaining: 20 })], want: { kind: "switch", to: "gamma" } },
    { name: "exhausted is skipped", accts: [acct("alpha", { remaining: 3 }), acct("beta", { remaining: 4 }), acct("gamma", { remaining: 20 })], want: { kind: "switch", to: "gamma" } },
    { name: "disabled is skipped", accts: [acct("alpha", { remaining: 3 }), acct("beta", { enabled: false }), acct("gamma", { remaining: 20 })], want: { kind: "switch", to: "gamma" } },
    { name: "nobody: wait for the earliest reset", accts: [acct("alpha", { remaining: 3, resetsInMin: 50 }), acct("beta", { remaining: 1, resetsInMin: 20 })], want: { kind: "wait", account: "beta", until: T0 + 20 * MIN } },
    { name: "nobody, whenAllExhausted stay", accts: [acct("alpha", { remaining: 3 }), acct("beta", { remaining: 1 })], stay: true, want: { kind: "stay" } },
    { name: "alone", accts: [acct("alpha", { remaining: 3 })], stay: true, want: { kind: "stay", onlyAccount: true } },
  ])("$name", ({ accts, stay, want }) => {
    expect(plan(accts, { whenAllExhausted: stay ? "stay" : "wait" })).toMatchObject(want);
  });

  it("the account left waits at least until the cool-down its own reading named", () => {
    const r = plan([acct("alpha", { remaining: 3, resetsInMin: 5 }), acct("beta", { remaining: 1, resetsInMin: 30 })], { d: due({ coolDownUntil: T0 + 60 * MIN }) });
    expect(r).toEqual({ kind: "wait", account: "beta", until: T0 + 30 * MIN });
  });

  it("auth.json already moved to another account with room: followed, no switch", () => {
    expect(plan([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 60 }), acct("gamma", { remaining: 90 })], { owner: "beta" })).toEqual({ kind: "followed", to: "beta" });
  });

  it("auth.json moved to an account without room: planned as usual", () => {
    expect(plan([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 2 }), acct("gamma", { remaining: 90 })], { owner: "beta" })).toMatchObject({ kind: "switch", to: "gamma" });
  });

  it("a login of no stored account, or the keyring: never replaced", () => {
    expect(plan([acct("alpha", { remaining: 3 }), acct("beta")], { owner: null })).toEqual({ kind: "foreign" });
    expect(plan([acct("alpha", { remaining: 3 }), acct("beta")], { blocked: "keyring" })).toEqual({ kind: "blocked", why: "keyring" });
  });
});

describe("startPlan", () => {
  it.each([
    { name: "room: start", accts: [acct("alpha", { remaining: 40 }), acct("beta")], want: { kind: "start" } },
    { name: "cooling down: switch", accts: [acct("alpha", { remaining: 40, coolingUntil: T0 + 10 * MIN }), acct("beta")], want: { kind: "switch", from: "alpha", to: "beta", until: T0 + 10 * MIN } },
    { name: "cool-down over: start", accts: [acct("alpha", { remaining: 40, coolingUntil: T0 - 1 }), acct("beta")], want: { kind: "start" } },
    { name: "disabled: switch", accts: [acct("alpha", { enabled: false }), acct("beta")], want: { kind: "switch", to: "beta", disabled: true } },
    { name: "exhausted, nobody else: start", accts: [acct("alpha", { remaining: 1 }), acct("beta", { remaining: 2 })], want: { kind: "start" } },
  ])("$name", ({ accts, want }) => {
    expect(startPlan(snapshot(accts, "alpha"), T0, 5)).toMatchObject(want);
  });
});
