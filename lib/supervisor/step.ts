// The supervisor's decisions: step(ctx, state, event) → { state, effects }. Pure — no I/O, no clock
// (events carry their time), no handles — so every row of the policy is a table test
// (test/supervisor/step.test.ts). core.ts performs the effects and feeds the answers back as events.
// What happens when, phase by phase, is drawn in docs/architecture.md §2; the rules for leaving a
// login live in rotation-policy.ts, the meaning of an exit in exit-policy.ts.
//
// The file is long because it is the whole state machine in one place: every phase's answer to
// every event is here, each in a few lines; splitting it would scatter one table over files.
import type { Thresholds } from "../quota/decide.js";
import { applyQuotaEvent } from "../quota/decide.js";
import type { RolloutFact } from "../quota/from-rollout.js";
import type { RateLimits } from "../quota/rate-limits.js";
import { decideCrashRestart, type CrashPolicyConfig } from "./crash-policy.js";
import type { Effect, JobPatch, StopStep, SuperviseResult } from "./effects.js";
import type { EventOf, LoopEvent } from "./events.js";
import { classifyEnd, describeExit, exitAsChild, STOPPED_EXIT_CODE, type ExitAs, type SupervisedMode } from "./exit-policy.js";
import {
  countdownLine,
  crashCapNotice,
  exhaustedNotice,
  followNotice,
  foreignLoginNotice,
  nextRunSwitchNotice,
  recapNotice,
  restartNotice,
  rotationBlockedNotice,
  rotationFailedNotice,
  startSwitchNotice,
  stayNotice,
  stoppedNotice,
} from "./notices.js";
import { dueOf, planRotation, startPlan, type PlanResult } from "./rotation-policy.js";
import { initialFacts, type ChildFacts, type End, type Phase, type Replace, type RotateDue, type State, type StopWhy } from "./state.js";

export interface StepContext {
  mode: SupervisedMode;
  initialArgv: string[];
  /** The argv that resumes `sessionId`, with our prompt (the continue prompt) or none. Pure. */
  resumeArgv(sessionId: string, prompt: string | null): string[];
  /** Accounts are configured: rotation, usage booking and sync-back are on. */
  accounts: boolean;
  thresholds: Thresholds;
  whenAllExhausted: "wait" | "stay";
  /** Sent when a cut turn is resumed (after a usage limit, or a login codex refused); null: off. */
  continuePrompt: string | null;
  crash: CrashPolicyConfig;
  stopSteps: StopStep[];
  /** How processes left with the job's marker after codex ended are ended. */
  leftoverSteps: StopStep[];
  /** After a failed rotation, no new attempt before this much time (default 5 min). */
  rotationRetryMs: number;
  /** An exit this soon after spawn, with no session and no turn, is a start failure (default 10 s). */
  startFailureWindowMs: number;
  /** How often binding is attempted until the session is known (default 250 ms). */
  pollMs: number;
  /** How often the bound session is looked at again, exactly (the open rollout), for `/new` (default 5 s). */
  rebindMs: number;
}

interface StepResult {
  state: State;
  effects: Effect[];
}

type Out = Effect[];

/** Effects that begin the loop. */
export function start(ctx: StepContext, s: State): StepResult {
  if (!ctx.accounts) return spawnNext({ ...s }, [], ctx.initialArgv);
  const state: State = { ...s, phase: { k: "boot" }, accountsReq: s.accountsReq + 1 };
  return { state, effects: [{ kind: "load-accounts", req: state.accountsReq }] };
}

export function step(ctx: StepContext, s0: State, e: LoopEvent): StepResult {
  const s: State = { ...s0 };
  const out: Out = [];
  if (s.phase.k === "ended") return { state: s, effects: out };
  switch (e.type) {
    case "accounts":
      return onAccounts(ctx, s, e, out);
    case "spawned":
      return onSpawned(ctx, s, e, out);
    case "child-exit":
      return onChildExit(ctx, s, e, out);
    case "bound":
      return onBound(ctx, s, e, out);
    case "facts":
      if (!isCurrent(s, e.seq)) return { state: s, effects: out };
      ingest(s, e.facts, e.at, out);
      return evaluate(ctx, s, e.at, out);
    case "tree-stopped":
      return onTreeStopped(ctx, s, e, out);
    case "settled":
      return onSettled(ctx, s, e, out);
    case "synced":
      return onSynced(ctx, s, e, out);
    case "switched":
      return onSwitched(ctx, s, e, out);
    case "login":
      s.login = e.login;
      return evaluate(ctx, s, e.at, out);
    case "control":
      return e.request === "stop" ? requestStop(ctx, s, "control", e.at, out) : requestRestart(ctx, s, e.at, out);
    case "signal":
      // Ctrl+C belongs to codex in a TUI (same foreground group) while one runs; nobody types into a job.
      if (e.signal === "SIGINT" && ctx.mode === "tui" && s.child?.alive) return { state: s, effects: out };
      return requestStop(ctx, s, e.signal, e.at, out);
    case "timer":
      return onTimer(ctx, s, e, out);
  }
}

// ---- spawning and running -------------------------------------------------------------------------

function isCurrent(s: State, seq: number): boolean {
  return s.child !== null && s.child.seq === seq;
}

function spawnNext(s: State, out: Out, argv: string[]): StepResult {
  s.seq += 1;
  s.phase = { k: "spawning", argv };
  out.push({ kind: "spawn", seq: s.seq, argv });
  return { state: s, effects: out };
}

function onSpawned(ctx: StepContext, s: State, e: EventOf<"spawned">, out: Out): StepResult {
  if (e.seq !== s.seq || s.phase.k !== "spawning") return { state: s, effects: out };
  const argv = s.phase.argv;
  s.child = { seq: e.seq, pid: e.pid, startedAt: e.startedAt, login: e.login, alive: true };
  s.facts = initialFacts();
  s.said = [];
  if (s.login === null || s.login.key !== e.login.key) s.login = e.login;
  s.phase = { k: "running", reading: null };
  out.push({ kind: "record", patch: { status: "running", childPid: e.pid, restarts: s.restarts, account: e.login.owner } });
  out.push({ kind: "log", type: "spawn", data: { pid: e.pid, argv, account: e.login.owner, seq: e.seq } });
  // A resumed session writes to the rollout we know: follow its new lines at once.
  if (s.binding) {
    out.push({ kind: "follow", seq: e.seq, binding: s.binding, since: e.startedAt });
    out.push({ kind: "timer", id: "bind-poll", ms: ctx.rebindMs });
  } else out.push({ kind: "bind", seq: e.seq, recheck: false });
  if (s.pendingStop) return beginStop(ctx, s, { kind: "stop", why: s.pendingStop }, out);
  if (s.pendingRestart) {
    s.pendingRestart = false;
    return beginStop(ctx, s, { kind: "restart" }, out);
  }
  return evaluate(ctx, s, e.at, out);
}

function onBound(ctx: StepContext, s: State, e: EventOf<"bound">, out: Out): StepResult {
  if (!isCurrent(s, e.seq)) return { state: s, effects: out };
  const alive = s.child!.alive;
  if (s.binding) {
    // A recheck: the user may have started another conversation in the TUI (`/new`); a restart
    // must resume the one codex writes now.
    if (e.binding && e.binding.rolloutPath !== s.binding.rolloutPath && alive) {
      out.push({ kind: "log", type: "bind", data: { sessionId: e.binding.sessionId, previous: s.binding.sessionId } });
      s.binding = e.binding;
      out.push({ kind: "record", patch: { sessionId: e.binding.sessionId, rolloutPath: e.binding.rolloutPath } });
      out.push({ kind: "follow", seq: e.seq, binding: e.binding, since: s.child!.startedAt });
    }
    if (alive) out.push({ kind: "timer", id: "bind-poll", ms: ctx.rebindMs });
    return { state: s, effects: out };
  }
  if (!e.binding) {
    if (alive) out.push({ kind: "timer", id: "bind-poll", ms: ctx.pollMs });
    return { state: s, effects: out };
  }
  s.binding = e.binding;
  out.push({ kind: "record", patch: { sessionId: e.binding.sessionId, rolloutPath: e.binding.rolloutPath } });
  out.push({ kind: "log", type: "bind", data: { sessionId: e.binding.sessionId } });
  if (alive) {
    out.push({ kind: "follow", seq: e.seq, binding: e.binding, since: s.child!.startedAt });
    out.push({ kind: "timer", id: "bind-poll", ms: ctx.rebindMs });
  }
  return { state: s, effects: out };
}

/** Fold this child's new rollout facts; book new rate limits on the account it was launched with. */
function ingest(s: State, facts: RolloutFact[], at: number, out: Out): void {
  let f: ChildFacts = s.facts;
  let limits: RateLimits | null = null;
  for (const x of facts) {
    if (x.kind === "login_lost") {
      f = { ...f, loginLost: true };
      continue;
    }
    if (x.kind === "task_started") f = { ...f, loginLost: false, turnsStarted: f.turnsStarted + 1 };
    const quota = applyQuotaEvent(f.quota, x);
    if (x.kind === "token_count" && quota.rateLimits && quota.rateLimits !== f.quota.rateLimits) limits = quota.rateLimits;
    f = { ...f, quota };
  }
  s.facts = f;
  const account = s.child?.login.owner ?? null;
  if (limits && account) {
    out.push({ kind: "record-usage", account, limits, at });
    out.push({ kind: "log", type: "quota", data: { account, primary: limits.primary, secondary: limits.secondary } });
  }
}

function once(s: State, key: string): boolean {
  if (s.said.includes(key)) return false;
  s.said = [...s.said, key];
  return true;
}

/** Look at what the facts call for, and act when the child is at an idle point. */
function evaluate(ctx: StepContext, s: State, at: number, out: Out): StepResult {
  const ph = s.phase;
  if (ph.k !== "running" || ph.reading !== null || !s.child?.alive) return { state: s, effects: out };
  const due = dueOf({ child: s.child, facts: s.facts, login: s.login, rotation: ctx.accounts, thresholds: ctx.thresholds, now: at });
  if (!due) return { state: s, effects: out };
  const idle = s.facts.quota.turn === "idle";
  if (due.kind === "follow") {
    // A job's run is one turn: never cut it; if codex refuses the login, the exit says so.
    if (ctx.mode === "exec" || !idle) return { state: s, effects: out };
    out.push({ kind: "log", type: "login", data: { action: "follow", from: s.child.login.owner, to: due.login.owner } });
    return beginStop(ctx, s, { kind: "follow", login: due.login, continueTurn: due.continueTurn }, out);
  }
  if (due.kind === "preselect") {
    if (!once(s, `preselect:${due.reason}`)) return { state: s, effects: out };
    return readAccounts(s, { k: "running", reading: { kind: "preselect", reason: due.reason } }, out);
  }
  if (ctx.mode === "exec") {
    // The turn is over and codex exec is about to exit with its result: never cut it (the exit rotates).
    if (once(s, "defer")) out.push({ kind: "log", type: "quota", data: { action: "defer", reason: due.reason } });
    return { state: s, effects: out };
  }
  if (at < s.rotationRetryAt) {
    if (once(s, "backoff")) {
      out.push({ kind: "log", type: "quota", data: { action: "backoff", reason: due.reason, until: new Date(s.rotationRetryAt).toISOString() } });
      out.push({ kind: "timer", id: "retry", ms: s.rotationRetryAt - at });
    }
    return { state: s, effects: out };
  }
  if (!idle) return { state: s, effects: out };
  return readAccounts(s, { k: "running", reading: due }, out);
}

function readAccounts(s: State, phase: Phase, out: Out): StepResult {
  s.phase = phase;
  s.accountsReq += 1;
  out.push({ kind: "load-accounts", req: s.accountsReq });
  return { state: s, effects: out };
}

function onAccounts(ctx: StepContext, s: State, e: EventOf<"accounts">, out: Out): StepResult {
  if (e.req !== s.accountsReq) return { state: s, effects: out };
  const ph = s.phase;
  if (ph.k === "boot") {
    if (s.pendingStop) return finishStopped(ctx, s, s.pendingStop, e.at, out);
    const plan = e.snapshot ? startPlan(e.snapshot, e.at, ctx.thresholds.rotateAtRemainingPercent) : { kind: "start" as const };
    if (plan.kind === "switch") {
      s.phase = { k: "start-switch", to: plan.to };
      out.push({ kind: "notice", line: startSwitchNotice({ from: plan.from, to: plan.to, disabled: plan.disabled, untilMs: plan.until, nowMs: e.at }), screen: true, alert: false });
      out.push({ kind: "switch", to: plan.to, from: plan.from, coolDownUntil: null });
      return { state: s, effects: out };
    }
    if (e.error) out.push({ kind: "log", type: "error", data: { where: "start", message: e.error } });
    return spawnNext(s, out, ctx.initialArgv);
  }
  if (ph.k === "running" && ph.reading) {
    const reading = ph.reading;
    s.phase = { k: "running", reading: null };
    if (!s.child?.alive) return { state: s, effects: out };
    if (!e.snapshot) return rotationFailed(ctx, s, e.error ?? "the accounts store could not be read", e.at, { from: s.child.login.owner, to: null, childGone: false }, out);
    const due: RotateDue = reading.kind === "rotate" ? reading : { kind: "rotate", reason: reading.reason, trigger: "threshold", coolDownUntil: null };
    const plan = planRotation({ snapshot: e.snapshot, leaving: s.child.login.owner, due, now: e.at, rotateAtRemainingPercent: ctx.thresholds.rotateAtRemainingPercent, whenAllExhausted: ctx.whenAllExhausted });
    if (reading.kind === "preselect") {
      out.push({ kind: "log", type: "quota", data: { action: "preselect", reason: reading.reason, successor: plan.kind === "switch" ? plan.to : null } });
      return { state: s, effects: out };
    }
    // The user typed meanwhile: never cut the turn; the next idle point decides again.
    if (s.facts.quota.turn !== "idle") return { state: s, effects: out };
    return actOnPlan(ctx, s, plan, due, e.snapshot, e.at, out);
  }
  if (ph.k === "planning") {
    if (!e.snapshot) {
      rotationFailed(ctx, s, e.error ?? "the accounts store could not be read", e.at, { from: s.child?.login.owner ?? null, to: null, childGone: true }, out);
      return ph.nextRun ? finishEnded(ctx, s, "exited", "codex exited", e.at, out) : finishEnded(ctx, s, "failed", `${describeExit(s.lastExit!)}: usage limit, and the switch failed`, e.at, out);
    }
    const from = s.child?.login.owner ?? null;
    const plan = planRotation({ snapshot: e.snapshot, leaving: from, due: ph.due, now: e.at, rotateAtRemainingPercent: ctx.thresholds.rotateAtRemainingPercent, whenAllExhausted: ph.nextRun ? "stay" : ctx.whenAllExhausted });
    if (plan.kind === "switch") {
      s.phase = { k: "switching", to: plan.to, from, due: ph.due, nextRun: ph.nextRun, waited: false };
      out.push({ kind: "switch", to: plan.to, from, coolDownUntil: ph.due.coolDownUntil });
      return { state: s, effects: out };
    }
    if (plan.kind === "wait") return beginCountdown(ctx, s, plan, ph.due, from, e.at, out);
    if (plan.kind === "followed") {
      if (ph.nextRun) return finishEnded(ctx, s, "exited", "codex exited", e.at, out);
      const prompt = continueFor(ctx, ph.due);
      return relaunch(ctx, s, e.at, { why: "login", prompt, line: followNotice({ from, to: plan.to, sessionId: sessionOf(s), continuing: prompt !== null }) }, out);
    }
    announceNoRotation(ctx, s, plan, ph.due, from, true, out);
    if (ph.nextRun) return finishEnded(ctx, s, "exited", "codex exited", e.at, out);
    return finishEnded(ctx, s, "failed", `${describeExit(s.lastExit!)}: the turn hit the usage limit and no account can take over`, e.at, out);
  }
  return { state: s, effects: out };
}

/** A rotation is due while codex runs idle and the store was read: stop it for the plan, or stay. */
function actOnPlan(ctx: StepContext, s: State, plan: PlanResult, due: RotateDue, snapshot: NonNullable<EventOf<"accounts">["snapshot"]>, at: number, out: Out): StepResult {
  const from = s.child!.login.owner;
  if (plan.kind === "switch" || plan.kind === "wait") {
    out.push({ kind: "log", type: "quota", data: { action: "rotate", reason: due.reason, to: plan.kind === "switch" ? plan.to : null, waitUntil: plan.kind === "wait" ? new Date(plan.until).toISOString() : null } });
    return beginStop(ctx, s, { kind: "rotate", plan, due, snapshot }, out);
  }
  if (plan.kind === "followed") {
    out.push({ kind: "log", type: "login", data: { action: "follow", from, to: plan.to } });
    return beginStop(ctx, s, { kind: "follow", login: snapshot.login, continueTurn: due.trigger === "usage-limit" }, out);
  }
  announceNoRotation(ctx, s, plan, due, from, false, out);
  void at;
  return { state: s, effects: out };
}

/** Stay / blocked / foreign: said once per child (log, and an alert while codex owns the screen). */
function announceNoRotation(ctx: StepContext, s: State, plan: Exclude<PlanResult, { kind: "switch" | "wait" | "followed" }>, due: RotateDue, from: string | null, screen: boolean, out: Out): void {
  if (!once(s, `${plan.kind}:${due.reason}`)) return;
  if (plan.kind === "foreign") {
    out.push({ kind: "log", type: "quota", data: { action: "skip", reason: due.reason, why: "auth.json holds a login of no stored account" } });
    return;
  }
  if (plan.kind === "blocked") {
    out.push({ kind: "log", type: "quota", data: { action: "blocked", reason: due.reason, why: plan.why } });
    out.push({ kind: "notice", line: rotationBlockedNotice(plan.why), screen, alert: true });
    return;
  }
  out.push({ kind: "log", type: "quota", data: { action: "stay", reason: due.reason, why: plan.why } });
  out.push({ kind: "notice", line: stayNotice({ from, detail: due.reason, why: plan.why, onlyAccount: plan.onlyAccount }), screen, alert: true });
  void ctx;
}

// ---- stopping ------------------------------------------------------------------------------------

function beginStop(ctx: StepContext, s: State, replace: Replace, out: Out): StepResult {
  s.phase = { k: "stopping", replace, treeDone: false };
  if (replace.kind === "rotate" || replace.kind === "follow" || replace.kind === "restart") out.push({ kind: "record", patch: { status: "restarting" } });
  out.push({ kind: "cancel-timer", id: "bind-poll" });
  out.push({ kind: "stop-tree", seq: s.child!.seq, steps: ctx.stopSteps });
  return { state: s, effects: out };
}

function requestStop(ctx: StepContext, s: State, why: StopWhy, at: number, out: Out): StepResult {
  const ph = s.phase;
  switch (ph.k) {
    case "boot":
      return finishStopped(ctx, s, why, at, out);
    case "start-switch":
    case "spawning":
    case "settling":
    case "syncing":
    case "planning":
    case "switching":
      s.pendingStop = s.pendingStop ?? why;
      return { state: s, effects: out };
    case "running":
      s.phase = { k: "running", reading: null };
      return beginStop(ctx, s, { kind: "stop", why }, out);
    case "stopping":
      // A stop outranks a restart or rotation already under way; the escalation serves both.
      if (ph.replace.kind !== "stop") s.phase = { ...ph, replace: { kind: "stop", why } };
      return { state: s, effects: out };
    case "backoff":
      out.push({ kind: "cancel-timer", id: "backoff" });
      return finishStopped(ctx, s, why, at, out);
    case "countdown":
      out.push({ kind: "cancel-timer", id: "countdown" });
      out.push({ kind: "status", line: countdownLine(Math.max(0, ph.plan.until - at), sessionOf(s), ctx.mode), done: true });
      return finishStopped(ctx, s, why, at, out, " while waiting for a quota reset");
    default:
      return { state: s, effects: out };
  }
}

function requestRestart(ctx: StepContext, s: State, at: number, out: Out): StepResult {
  const ph = s.phase;
  if (ph.k === "boot" || ph.k === "start-switch" || ph.k === "spawning") {
    s.pendingRestart = true;
    return { state: s, effects: out };
  }
  if (ph.k === "running") {
    s.phase = { k: "running", reading: null };
    return beginStop(ctx, s, { kind: "restart" }, out);
  }
  if (ph.k === "backoff" || ph.k === "countdown") {
    out.push({ kind: "cancel-timer", id: ph.k });
    if (ph.k === "countdown") out.push({ kind: "status", line: countdownLine(Math.max(0, ph.plan.until - at), sessionOf(s), ctx.mode), done: true });
    return relaunch(ctx, s, at, { why: "control", prompt: null, line: restartNotice({ kind: "control" }, sessionOf(s)) }, out);
  }
  return { state: s, effects: out };
}

function onChildExit(ctx: StepContext, s: State, e: EventOf<"child-exit">, out: Out): StepResult {
  if (!isCurrent(s, e.seq) || !s.child!.alive) return { state: s, effects: out };
  s.child = { ...s.child!, alive: false };
  s.lastExit = e.exit;
  out.push({ kind: "cancel-timer", id: "bind-poll" });
  const ph = s.phase;
  if (ph.k === "stopping") {
    if (ph.treeDone) return settle(ctx, s, { kind: "requested", replace: ph.replace, exit: e.exit }, out);
    return { state: s, effects: out };
  }
  return settle(ctx, s, { kind: "unrequested", exit: e.exit }, out);
}

function onTreeStopped(ctx: StepContext, s: State, e: EventOf<"tree-stopped">, out: Out): StepResult {
  const ph = s.phase;
  if (!isCurrent(s, e.seq) || ph.k !== "stopping") return { state: s, effects: out };
  if (e.left.length > 0) out.push({ kind: "log", type: "escalation-left", data: { pids: e.left } });
  if (s.child!.alive) {
    // Node has not reported our child's exit yet: settle when it does.
    s.phase = { ...ph, treeDone: true };
    return { state: s, effects: out };
  }
  return settle(ctx, s, { kind: "requested", replace: ph.replace, exit: s.lastExit! }, out);
}

function settle(ctx: StepContext, s: State, end: End, out: Out): StepResult {
  s.phase = { k: "settling", end };
  // After a stop of ours the escalation's last look found nothing with the marker: no second scan.
  out.push({ kind: "settle", seq: s.child!.seq, bind: s.binding === null, leftoverSteps: end.kind === "requested" ? null : ctx.leftoverSteps });
  return { state: s, effects: out };
}

// ---- after a child ended ---------------------------------------------------------------------------

function onSettled(ctx: StepContext, s: State, e: EventOf<"settled">, out: Out): StepResult {
  const ph = s.phase;
  if (!isCurrent(s, e.seq) || ph.k !== "settling") return { state: s, effects: out };
  if (e.leftovers > 0) out.push({ kind: "log", type: "leftovers", data: { ended: e.leftovers } });
  if (!s.binding && e.binding) {
    s.binding = e.binding;
    out.push({ kind: "record", patch: { sessionId: e.binding.sessionId, rolloutPath: e.binding.rolloutPath } });
    out.push({ kind: "log", type: "bind", data: { sessionId: e.binding.sessionId } });
  }
  ingest(s, e.facts, e.at, out);
  if (ctx.accounts) {
    s.phase = { k: "syncing", end: ph.end };
    out.push({ kind: "sync-back", seq: e.seq });
    return { state: s, effects: out };
  }
  return afterEnd(ctx, s, ph.end, e.at, out);
}

function onSynced(ctx: StepContext, s: State, e: EventOf<"synced">, out: Out): StepResult {
  const ph = s.phase;
  if (!isCurrent(s, e.seq) || ph.k !== "syncing") return { state: s, effects: out };
  return afterEnd(ctx, s, ph.end, e.at, out);
}

function afterEnd(ctx: StepContext, s: State, end: End, at: number, out: Out): StepResult {
  if (end.kind === "requested") {
    out.push({ kind: "log", type: "signal", data: { request: end.replace.kind, exit: describeExit(end.exit) } });
    return afterRequested(ctx, s, end.replace, at, out);
  }
  return afterUnrequested(ctx, s, end.exit, at, out);
}

function afterRequested(ctx: StepContext, s: State, r: Replace, at: number, out: Out): StepResult {
  if (r.kind === "stop") return finishStopped(ctx, s, r.why, at, out);
  if (s.pendingStop) return finishStopped(ctx, s, s.pendingStop, at, out);
  const sessionId = sessionOf(s);
  if (r.kind === "restart") return relaunch(ctx, s, at, { why: "control", prompt: null, line: restartNotice({ kind: "control" }, sessionId) }, out);
  if (r.kind === "follow") {
    const prompt = r.continueTurn ? ctx.continuePrompt : null;
    return relaunch(ctx, s, at, { why: "login", prompt, line: followNotice({ from: s.child!.login.owner, to: r.login.owner, sessionId, continuing: prompt !== null }) }, out);
  }
  const from = s.child!.login.owner;
  // Another terminal switched auth.json while we stopped: go with it if it has room.
  if (s.login && s.login.kind === "ok" && s.login.key !== s.child!.login.key && s.login.owner !== null) {
    const follow = planRotation({ snapshot: { ...r.snapshot, login: s.login }, leaving: from, due: r.due, now: at, rotateAtRemainingPercent: ctx.thresholds.rotateAtRemainingPercent, whenAllExhausted: ctx.whenAllExhausted });
    if (follow.kind === "followed") {
      const prompt = continueFor(ctx, r.due);
      return relaunch(ctx, s, at, { why: "login", prompt, line: followNotice({ from, to: follow.to, sessionId, continuing: prompt !== null }) }, out);
    }
  }
  if (r.plan.kind === "wait") return beginCountdown(ctx, s, r.plan, r.due, from, at, out);
  s.phase = { k: "switching", to: r.plan.to, from, due: r.due, nextRun: false, waited: false };
  out.push({ kind: "switch", to: r.plan.to, from, coolDownUntil: r.due.coolDownUntil });
  return { state: s, effects: out };
}

function afterUnrequested(ctx: StepContext, s: State, exit: EventOf<"child-exit">["exit"], at: number, out: Out): StepResult {
  const child = s.child!;
  const v = classifyEnd({ exit, bound: s.binding !== null, uptimeMs: at - child.startedAt, facts: s.facts, startFailureWindowMs: ctx.startFailureWindowMs });
  if (v.kind === "user-quit") {
    // An exec job that finished at its rotation threshold keeps its result; switch for the next run.
    if (ctx.mode === "exec" && exit.code === 0 && !s.pendingStop) {
      const due = dueOf({ child, facts: s.facts, login: null, rotation: ctx.accounts, thresholds: ctx.thresholds, now: at });
      if (due?.kind === "rotate" && at >= s.rotationRetryAt) return readAccounts(s, { k: "planning", end: { kind: "unrequested", exit }, due, nextRun: true }, out);
    }
    return finishEnded(ctx, s, "exited", "codex exited", at, out);
  }
  if (v.kind === "terminal-gone") return finishEnded(ctx, s, "stopped", "the terminal closed (SIGHUP)", at, out);
  if (s.pendingStop) return finishStopped(ctx, s, s.pendingStop, at, out);
  if (v.kind === "start-failure") {
    out.push({ kind: "log", type: "start-failure", data: { exit: v.why } });
    return finishEnded(ctx, s, "failed", `codex ${v.why}; not restarted`, at, out);
  }
  if (v.kind === "limit") {
    const due = dueOf({ child, facts: s.facts, login: null, rotation: ctx.accounts, thresholds: ctx.thresholds, now: at });
    if (due?.kind === "rotate" && at >= s.rotationRetryAt) return readAccounts(s, { k: "planning", end: { kind: "unrequested", exit }, due, nextRun: false }, out);
    return finishEnded(ctx, s, "failed", `codex ${describeExit(exit)}: the turn hit the usage limit`, at, out);
  }
  if (v.kind === "login-lost" && s.login && s.login.kind === "ok" && s.login.key !== child.login.key) {
    const prompt = ctx.continuePrompt;
    return relaunch(ctx, s, at, { why: "login", prompt, line: followNotice({ from: child.login.owner, to: s.login.owner, sessionId: sessionOf(s), continuing: prompt !== null }) }, out);
  }
  const why = v.kind === "crash" ? v.why : describeExit(exit);
  const d = decideCrashRestart(s.crashTimes, at, ctx.crash);
  out.push({ kind: "log", type: "crash", data: { exit: why, restart: d.restart } });
  if (!d.restart) {
    out.push({ kind: "notice", line: crashCapNotice(why, d.max, d.windowMs, sessionOf(s), ctx.mode), screen: true, alert: true });
    return finishEnded(ctx, s, "failed", `crash restart cap reached (${d.max} within ${d.windowMs / 60_000} min): ${why}`, at, out);
  }
  s.crashTimes = [...s.crashTimes.filter((t) => at - t < ctx.crash.crashRestartWindowMs), at];
  const line = restartNotice({ kind: "crash", detail: why, attempt: d.attempt, max: d.max, delayMs: d.delayMs }, sessionOf(s));
  if (d.delayMs <= 0) return relaunch(ctx, s, at, { why: "crash", prompt: null, line }, out);
  s.phase = { k: "backoff" };
  out.push({ kind: "record", patch: { status: "restarting" } });
  pushRelaunchNotice(s, line, out);
  out.push({ kind: "timer", id: "backoff", ms: d.delayMs });
  return { state: s, effects: out };
}

function onSwitched(ctx: StepContext, s: State, e: EventOf<"switched">, out: Out): StepResult {
  const ph = s.phase;
  if (ph.k === "start-switch") {
    if (e.outcome !== "switched") out.push({ kind: "log", type: "rotate-failed", data: { where: "start", to: ph.to, error: e.detail } });
    else out.push({ kind: "log", type: "rotate", data: { from: null, to: ph.to, reason: "the active account had no room at start" } });
    if (s.pendingStop) return finishStopped(ctx, s, s.pendingStop, e.at, out);
    return spawnNext(s, out, ctx.initialArgv);
  }
  if (ph.k !== "switching") return { state: s, effects: out };
  const sessionId = sessionOf(s);
  if (e.outcome === "failed") {
    rotationFailed(ctx, s, e.detail ?? "unknown error", e.at, { from: ph.from, to: ph.to, childGone: !ph.nextRun }, out);
    if (ph.nextRun) return finishEnded(ctx, s, "exited", "codex exited", e.at, out);
    if (s.pendingStop) return finishStopped(ctx, s, s.pendingStop, e.at, out);
    return relaunch(ctx, s, e.at, { why: "rotation-failed", prompt: null, line: null }, out);
  }
  if (e.outcome === "foreign") {
    out.push({ kind: "log", type: "rotate-skipped", data: { from: ph.from, why: e.detail, sessionId } });
    const line = foreignLoginNotice(ph.from, e.detail ?? "auth.json holds a login of no stored account", sessionId);
    if (ph.nextRun) return finishEnded(ctx, s, "exited", "codex exited", e.at, out);
    if (s.pendingStop) return finishStopped(ctx, s, s.pendingStop, e.at, out);
    return relaunch(ctx, s, e.at, { why: "foreign", prompt: null, line }, out);
  }
  out.push({ kind: "record", patch: { account: ph.to } });
  out.push({ kind: "log", type: "rotate", data: { from: ph.from, to: ph.to, reason: ph.waited ? "waited for the reset" : ph.due.reason, sessionId, ...(ph.nextRun ? { when: "next run" } : {}) } });
  if (ph.nextRun) {
    out.push({ kind: "notice", line: nextRunSwitchNotice(ph.from, ph.to, ph.due.reason), screen: true, alert: true });
    return finishEnded(ctx, s, "exited", "codex exited", e.at, out);
  }
  if (s.pendingStop) return finishStopped(ctx, s, s.pendingStop, e.at, out);
  const prompt = continueFor(ctx, ph.due);
  const line = restartNotice({ kind: "rotate", detail: ph.waited ? "usage limit reset" : ph.due.reason, from: ph.from, to: ph.to, continuing: prompt !== null }, sessionId);
  return relaunch(ctx, s, e.at, { why: "rotate", prompt, line, alert: true }, out);
}

function rotationFailed(ctx: StepContext, s: State, error: string, at: number, o: { from: string | null; to: string | null; childGone: boolean }, out: Out): StepResult {
  s.rotationRetryAt = at + ctx.rotationRetryMs;
  const sessionId = sessionOf(s);
  out.push({ kind: "log", type: "rotate-failed", data: { where: o.childGone ? "switch" : "plan", from: o.from, to: o.to, error, sessionId, retryAt: new Date(s.rotationRetryAt).toISOString() } });
  if (o.childGone || ctx.mode === "exec") {
    const line = rotationFailedNotice({ from: o.from, to: o.to, error, sessionId, retryInMs: ctx.rotationRetryMs, childGone: o.childGone });
    if (o.childGone) pushRelaunchNotice(s, line, out, true);
    else out.push({ kind: "notice", line, screen: true, alert: false });
  }
  return { state: s, effects: out };
}

function beginCountdown(ctx: StepContext, s: State, plan: Extract<PlanResult, { kind: "wait" }>, due: RotateDue, from: string | null, at: number, out: Out): StepResult {
  s.phase = { k: "countdown", plan, due, from };
  out.push({ kind: "record", patch: { status: "restarting", reason: "waiting for a quota reset" } });
  out.push({ kind: "log", type: "quota", data: { action: "wait", until: new Date(plan.until).toISOString() } });
  out.push({ kind: "notice", line: exhaustedNotice(plan.until, at), screen: true, alert: true });
  return countdownTick(ctx, s, at, out);
}

function countdownTick(ctx: StepContext, s: State, at: number, out: Out): StepResult {
  const ph = s.phase as Extract<Phase, { k: "countdown" }>;
  const left = ph.plan.until - at;
  if (left > 0) {
    out.push({ kind: "status", line: countdownLine(left, sessionOf(s), ctx.mode), done: false });
    out.push({ kind: "timer", id: "countdown", ms: Math.min(1000, left) });
    return { state: s, effects: out };
  }
  out.push({ kind: "status", line: countdownLine(0, sessionOf(s), ctx.mode), done: true });
  const to = ph.plan.account;
  s.phase = { k: "switching", to, from: ph.from, due: ph.due, nextRun: false, waited: true };
  out.push({ kind: "switch", to, from: ph.from, coolDownUntil: to === ph.from ? null : ph.due.coolDownUntil });
  return { state: s, effects: out };
}

function onTimer(ctx: StepContext, s: State, e: EventOf<"timer">, out: Out): StepResult {
  const ph = s.phase;
  switch (e.id) {
    case "bind-poll":
      if (s.child?.alive) out.push({ kind: "bind", seq: s.child.seq, recheck: s.binding !== null });
      return { state: s, effects: out };
    case "backoff":
      if (ph.k !== "backoff") return { state: s, effects: out };
      return relaunch(ctx, s, e.at, { why: "crash", prompt: null, line: null }, out);
    case "countdown":
      return ph.k === "countdown" ? countdownTick(ctx, s, e.at, out) : { state: s, effects: out };
    case "retry":
      s.said = s.said.filter((k) => k !== "backoff");
      return evaluate(ctx, s, e.at, out);
  }
}

// ---- relaunch and the end --------------------------------------------------------------------------

function sessionOf(s: State): string | null {
  return s.binding?.sessionId ?? null;
}

/** The continue prompt for a turn a usage limit cut (null: not cut, or continuing is off). */
function continueFor(ctx: StepContext, due: RotateDue): string | null {
  return due.trigger === "usage-limit" || ctx.mode === "exec" ? ctx.continuePrompt : null;
}

function pushRelaunchNotice(s: State, line: string, out: Out, alert = false): void {
  s.relaunchNotices = [...s.relaunchNotices, line];
  out.push({ kind: "notice", line, screen: true, alert });
}

/**
 * Start the next child: resume the bound session by id (with our prompt, if any), or — nothing bound
 * yet, so codex recorded no prompt — the original argv again (its prompt is still owed).
 */
type RelaunchWhy = "control" | "crash" | "rotate" | "login" | "rotation-failed" | "foreign";

interface RelaunchOpts {
  why: RelaunchWhy;
  prompt: string | null;
  /** The notice for it (printed now, repeated when a TUI session ends). */
  line: string | null;
  alert?: boolean;
}

function relaunch(ctx: StepContext, s: State, at: number, o: RelaunchOpts, out: Out): StepResult {
  if (s.pendingStop) return finishStopped(ctx, s, s.pendingStop, at, out);
  if (o.line) pushRelaunchNotice(s, o.line, out, o.alert ?? false);
  s.restarts += 1;
  const argv = s.binding ? ctx.resumeArgv(s.binding.sessionId, o.prompt) : ctx.initialArgv;
  out.push({ kind: "record", patch: { status: "restarting", restarts: s.restarts } });
  out.push({ kind: "log", type: "restart", data: { why: o.why, sessionId: sessionOf(s), continuePrompt: o.prompt !== null && s.binding !== null } });
  return spawnNext(s, out, argv);
}

function finishStopped(ctx: StepContext, s: State, why: StopWhy, at: number, out: Out, suffix = ""): StepResult {
  const reason = (why === "control" ? "stop requested" : why === "SIGINT" ? "interrupted (SIGINT)" : `${why} to the supervisor`) + suffix;
  if (why === "control") out.push({ kind: "notice", line: stoppedNotice(sessionOf(s), ctx.mode), screen: true, alert: false });
  const exitAs: ExitAs = why === "control" ? { code: STOPPED_EXIT_CODE } : { signal: why };
  return finish(ctx, s, "stopped", reason, exitAs, at, out);
}

function finishEnded(ctx: StepContext, s: State, status: SuperviseResult["status"], reason: string, at: number, out: Out): StepResult {
  return finish(ctx, s, status, reason, exitAsChild(s.lastExit), at, out);
}

function finish(ctx: StepContext, s: State, status: SuperviseResult["status"], reason: string, exitAs: ExitAs, at: number, out: Out): StepResult {
  s.phase = { k: "ended" };
  for (const id of ["bind-poll", "backoff", "countdown", "retry"] as const) out.push({ kind: "cancel-timer", id });
  const exit = s.lastExit;
  const patch: JobPatch = { status, childPid: null, exitCode: exit?.code ?? null, signal: exit?.signal ?? null, reason, restarts: s.restarts };
  out.push({ kind: "record", patch });
  out.push({ kind: "log", type: "exit", data: { status, code: exit?.code ?? null, signal: exit?.signal ?? null, reason } });
  if (ctx.mode === "tui") for (const line of s.relaunchNotices) out.push({ kind: "notice", line: recapNotice(line), screen: true, alert: false });
  out.push({ kind: "finish", result: { status, exit, exitAs, sessionId: sessionOf(s), restarts: s.restarts, reason } });
  void at;
  return { state: s, effects: out };
}
