// The supervisor loop, shared by interactive sessions (mode "tui", started by the shim through
// entry.ts) and background jobs (mode "exec", started by the detached `__supervise-job` process).
//
// API
//   superviseCodex(opts: SuperviseOptions): Promise<SuperviseResult>
//     Runs codex until it ends for good and returns how it ended. It never calls process.exit and never
//     re-raises a signal: the caller mirrors `result.exit` (see exit-policy.ts shellStatus / entry.ts).
//   SuperviseOptions
//     mode          "tui" | "exec" — only changes how an unrequested exit is read (exit-policy.ts) and
//                   whether SIGINT is ignored (tui: codex owns Ctrl+C in the shared foreground group).
//     initialArgv   argv of the first child (the caller adds --no-daemon for a TUI, see entry.ts).
//     resumeArgv    sessionId → argv that resumes the bound session (tui: `... resume <id>`,
//                   exec: `exec resume <id> <continue prompt>`). Never re-sends the initial prompt.
//     ports         every side effect (spawn, escalation, terminal, binding, rollout, records, control,
//                   accounts, crash policy, clock). ports.ts wires the real modules; tests pass fakes.
//     handleSignals install SIGTERM/SIGHUP (stop the tree, then end) and, in tui mode, ignore SIGINT.
//                   Never SIGTSTP/SIGCONT: Ctrl+Z must stop us together with codex (same group).
//     pollMs        how often binding, the rollout and the quota decision are looked at (default 250). Once
//                   bound, the follower also wakes the loop as soon as the rollout grows (ports.follow's
//                   `wake`, fs.watch in the real ports), so a token_count line leads to a decision in
//                   milliseconds; the poll stays as the fallback for file systems whose watch misses events.
//   SuperviseResult {status: "exited"|"stopped"|"failed", exit: ChildExit|null, sessionId, restarts, reason}
//
// The loop: spawn → (bind the session id → follow its rollout → decide) until one of
//   - the child exits on its own: user quit → "exited"; SIGHUP → "stopped"; else a crash → resume by id
//     with backoff until the cap → "failed" with the manual `codex resume <id>` line;
//   - a request: control `stop` / SIGTERM / SIGHUP → escalate → "stopped"; control `restart` → escalate →
//     resume; quota says rotate while idle → plan the successor first, escalate, switch, resume.
// After every child end, before printing or relaunching: restore the terminal and sync the active
// account's auth.json back into the store. The storage lock is taken only inside the account ports,
// never while the child just runs. Every notice line is printed after the terminal is restored and
// before the relaunch, and also written to the job log (event "notice"). The resumed TUI may wipe it:
// measured on codex 0.169.0 in tmux, resuming a conversation of several turns clears the screen and
// the scrollback before redrawing the transcript (one short turn: the line survives). We do not fight
// codex's drawing; instead, in tui mode, the lines of restarts that happened are printed once more
// when the session ends ("earlier in this session: …"), below codex's last screen, where they stay.
//
// A login made by hand (CODEX_HOME/auth.json belongs to no stored account — the user ran `codex login`
// mid-session): a rotation never replaces it. Seen before anything is killed (plan → "foreign"): the
// rotation is skipped, the session keeps running on that login, one event in the job log (no line on
// the screen: the TUI owns it). Seen only after the child was stopped (the login happened in between,
// switchTo → "foreign"): one notice line + event, and the session is resumed on that login unchanged.
//
// A rotation that cannot be planned or carried out (the lock lost or timed out, accounts.json or
// auth.json unreadable, a full disk — whatever plan/switchTo throw) never ends the session (SPEC: "a
// lost lock aborts the write, never crashes the session"): one event "rotate-failed" naming the error,
// one notice line if the child was already stopped, and the session is resumed by id on whatever login
// CODEX_HOME/auth.json holds. No new attempt before `rotationRetryMs` (default 5 min).
//
// exec jobs (one turn per run): a rotate verdict while the child runs means its turn is over and codex
// exec is about to exit with its result, so the tick never stops it. A turn that hit the usage limit
// makes exec exit 1 → rotation + `exec resume` on the successor (not crash bookkeeping); a run that
// finished (exit 0) at the threshold keeps its result, and the accounts are switched for the next run.
//
// Not yet bound when a restart is needed: no rollout exists, so codex has not recorded (and the model
// has not seen) any prompt — the correct relaunch is the original argv (the initial prompt, if any, is
// still owed). A last bind attempt is made after the child is gone, so a rollout created in the last
// poll interval is not missed.
import type { ChildExit, SupervisedMode } from "./exit-policy.js";
import { classifyUnrequestedExit, describeExit } from "./exit-policy.js";
import type { KillStep } from "./test-kill.js";
import {
  countdownLine,
  crashCapNotice,
  exhaustedNotice,
  foreignLoginNotice,
  nextRunSwitchNotice,
  recapNotice,
  restartNotice,
  rotationFailedNotice,
  stoppedNotice,
  type RestartWhy,
} from "./notices.js";

/** A spawned codex (our direct child). */
export interface RunningChild {
  pid: number;
  /** Resolves once, when our direct child has exited (never rejects). */
  exit: Promise<ChildExit>;
}

export interface Binding {
  sessionId: string;
  rolloutPath: string;
}

/** What the rollout says should happen with the active account (quota/decide.ts, folded by the port). */
export interface QuotaVerdict {
  action: "none" | "preselect" | "rotate" | "rotate-when-idle";
  reason: string;
  /** Until when the account left should cool down (epoch ms), for rotations. */
  coolDownUntil: number | null;
}

export type RotationPlan =
  | { kind: "switch"; from: string | null; to: string }
  /** CODEX_HOME/auth.json holds a login that is in no stored account: it is the user's, never replaced. */
  | { kind: "foreign"; detail: string }
  /** No account has room. `earliest` = the account whose reset comes first (may be the one left). */
  | { kind: "none"; earliest: { account: string; resetsAt: number } | null };

export interface AccountPorts {
  /** The active account's name (null: no accounts configured → rotation disabled). */
  active(): Promise<string | null>;
  /** Copy CODEX_HOME/auth.json back into the store for the active account (after every child end). */
  syncBack(): Promise<void>;
  /**
   * Read-only: who would we switch to (never the one being left). Called before anything is killed.
   * `leavingBusyUntil`: the account left is unusable until then (the verdict's cool-down) even if the
   * store does not show it exhausted yet (a usage-limit error carries no rate limits).
   */
  plan(leaving: string | null, leavingBusyUntil?: number | null): Promise<RotationPlan>;
  /**
   * With the child gone: sync back `from`, mark it cooling down, activate `to` (CODEX_HOME/auth.json).
   * "foreign": auth.json holds a login of no stored account (e.g. a `codex login` by hand since the
   * plan was made); nothing was activated and auth.json was left as it is.
   */
  switchTo(to: string, from: string | null, coolDownUntil: number | null): Promise<SwitchResult>;
}

export type SwitchResult = { kind: "switched" } | { kind: "foreign"; detail: string };

export type CrashDecision =
  | { restart: true; delayMs: number; attempt: number; max: number }
  | { restart: false; max: number; windowMs: number };

export type ControlRequest = "stop" | "restart";

export interface JobPatch {
  status?: "starting" | "running" | "restarting" | "exited" | "stopped" | "failed";
  childPid?: number | null;
  sessionId?: string | null;
  rolloutPath?: string | null;
  account?: string | null;
  restarts?: number;
  exitCode?: number | null;
  signal?: string | null;
  reason?: string | null;
}

export interface SupervisorPorts {
  spawn(argv: string[]): Promise<RunningChild>;
  /** Whole-tree escalation (marker + identities). Resolves when done; never rejects. */
  stopTree(child: RunningChild): Promise<{ left: number[] }>;
  restoreTerminal(): void;
  /** One cheap binding attempt for the current child (null: no rollout yet). */
  bind(child: RunningChild): Promise<Binding | null>;
  /**
   * Start following a rollout; returns a poller that reads only new lines and folds them. `wake` is
   * called (at most once per burst, any time) when the rollout has new lines, so the loop polls now
   * instead of at its next interval.
   */
  follow(binding: Binding, wake: () => void): QuotaPoller;
  accounts: AccountPorts | null;
  /** Call `onRequest` for each stop/restart request; returns an unsubscribe. */
  watchControl(onRequest: (req: ControlRequest) => void): () => void;
  /** Crash policy: record a crash at `now` and say whether/when to restart. */
  onCrash(now: number): CrashDecision;
  record(patch: JobPatch): Promise<void>;
  event(type: string, data?: Record<string, unknown>): Promise<void>;
  notice(line: string): void;
  /** A line rewritten in place (the countdown). `done` ends it with a newline. */
  status(line: string, done?: boolean): void;
  now(): number;
  sleep(ms: number, abort: AbortSignal): Promise<void>;
  /**
   * The loop has ended normally (result recorded, no child of ours left running). The real ports
   * disarm their last-resort exit hook here (last-resort.ts): from now on the process may end freely.
   */
  ended?(): void;
  /** TEST-ONLY (test-kill.ts): the loop reached `step`; the real ports may SIGKILL the process here. */
  checkpoint?(step: KillStep): void;
}

export interface QuotaPoller {
  /** Read new rollout lines; record usage of `account`; return the current verdict. */
  poll(account: string | null, now: number): Promise<QuotaVerdict>;
  /** Forget turn state, rate limits and a usage-limit error (they described the account just left); keep the offset. */
  reset(): void;
  /** Stop watching the rollout (the loop has ended). */
  close(): void;
}

export interface SuperviseOptions {
  mode: SupervisedMode;
  initialArgv: string[];
  resumeArgv: (sessionId: string) => string[];
  ports: SupervisorPorts;
  handleSignals?: boolean;
  pollMs?: number;
  /** Every account exhausted: wait for the earliest reset (countdown) or stay on the current one. */
  whenAllExhausted?: "wait" | "stay";
  /**
   * After a rotation failed (plan or switch threw: lock lost / timed out, store unreadable, auth.json
   * unreadable, disk full…): no new rotation attempt before this much time has passed (default 5 min),
   * so a broken store does not cut the session again at every tick.
   */
  rotationRetryMs?: number;
}

export interface SuperviseResult {
  status: "exited" | "stopped" | "failed";
  /** The last child's exit (null only if no child could be spawned). */
  exit: ChildExit | null;
  sessionId: string | null;
  restarts: number;
  reason: string;
}

type Request =
  | { kind: "stop"; why: string }
  | { kind: "restart" }
  | { kind: "rotate"; plan: Exclude<RotationPlan, { kind: "foreign" }>; verdict: QuotaVerdict; from: string | null };

type Outcome = { kind: "exited"; exit: ChildExit } | { kind: "requested"; req: Request; exit: ChildExit };

const STOP_SIGNALS = ["SIGTERM", "SIGHUP"] as const;

/** How long a failed rotation waits before the next attempt (see SuperviseOptions.rotationRetryMs). */
export const DEFAULT_ROTATION_RETRY_MS = 5 * 60_000;

export async function superviseCodex(opts: SuperviseOptions): Promise<SuperviseResult> {
  const p = opts.ports;
  const pollMs = opts.pollMs ?? 250;
  let binding = null as Binding | null;
  let poller = null as QuotaPoller | null;
  let restarts = 0;
  let argv = opts.initialArgv;
  /** The active account while the current child runs (read at each spawn; rotation changes it). */
  let account: string | null = null;
  const whenAllExhausted = opts.whenAllExhausted ?? "wait";
  const rotationRetryMs = opts.rotationRetryMs ?? DEFAULT_ROTATION_RETRY_MS;
  /** Epoch ms before which no rotation is attempted (set when one failed). */
  let rotationRetryAt = 0;
  const rotationBackedOff = () => p.now() < rotationRetryAt;
  /** Set while a child runs: routes requests to its outcome. */
  let deliver = null as ((req: Request) => void) | null;
  /** Requests that arrive while no child runs (between children, during a countdown). */
  let pendingStop = null as Request | null;
  const idleAbort = new AbortController();
  /** Set while a child runs: polls now (the rollout follower calls it when the rollout grew). */
  let wakeTick = null as (() => void) | null;
  /** A notice line on the screen and the same text in the job log (the screen may be taken over). */
  const notify = async (line: string, opts: { beforeRelaunch?: boolean } = {}) => {
    p.notice(line);
    if (opts.beforeRelaunch) relaunchNotices.push(line);
    await safe(() => p.event("notice", { line }));
  };
  /** Notices followed by a relaunch: the resumed TUI may have wiped them (see the header). */
  const relaunchNotices: string[] = [];

  // A restart asked for while no child runs (before the first spawn, during a backoff) is kept for the
  // next child, like a stop; a stop outranks it.
  let pendingRestart = null as Request | null;
  const request = (req: Request) => {
    if (deliver) deliver(req);
    else if (req.kind === "stop") {
      pendingStop = req;
      idleAbort.abort();
    } else if (req.kind === "restart") {
      pendingRestart = req;
    }
  };

  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  if (opts.handleSignals !== false) {
    for (const sig of STOP_SIGNALS) handlers.push([sig, () => request({ kind: "stop", why: `${sig} to the supervisor` })]);
    // tui: Ctrl+C belongs to codex (same foreground group) — except while no codex runs (countdown, backoff).
    // exec: nobody types into a job; a SIGINT to its supervisor is a request to stop.
    handlers.push([
      "SIGINT",
      () => (opts.mode === "tui" && deliver ? undefined : request({ kind: "stop", why: "interrupted (SIGINT)" })),
    ]);
    for (const [sig, h] of handlers) process.on(sig, h);
  }
  const unwatch = p.watchControl((req) => request(req === "stop" ? { kind: "stop", why: "stop requested" } : { kind: "restart" }));

  const finish = async (status: SuperviseResult["status"], exit: ChildExit | null, reason: string): Promise<SuperviseResult> => {
    await p.record({
      status,
      childPid: null,
      exitCode: exit?.code ?? null,
      signal: exit?.signal ?? null,
      reason,
      restarts,
    });
    await p.event("exit", { status, code: exit?.code ?? null, signal: exit?.signal ?? null, reason });
    if (opts.mode === "tui") for (const line of relaunchNotices) p.notice(recapNotice(line));
    p.ended?.();
    return { status, exit, sessionId: binding?.sessionId ?? null, restarts, reason };
  };

  /** Sleep that a stop request (or Ctrl+C) interrupts; true when interrupted. */
  const interruptibleSleep = async (ms: number): Promise<boolean> => {
    if (pendingStop) return true;
    await p.sleep(ms, idleAbort.signal);
    return pendingStop !== null;
  };

  try {
    let lastExit: ChildExit | null = null;
    for (;;) {
      if (pendingStop) return await finish("stopped", lastExit, stopWhy());
      account = p.accounts ? ((await safe(() => p.accounts!.active())) ?? null) : null;
      const child = await p.spawn(argv);
      await p.record({ status: "running", childPid: child.pid, restarts, account });
      await p.event("spawn", { pid: child.pid, argv, account });

      const outcome = await runChild(child);
      lastExit = outcome.exit;
      // Before we print or relaunch: the terminal back to cooked, the session named in the record (a
      // short-lived child may end before a tick bound it; if we die from here on, the record must still
      // say which session to resume), and codex's refreshed tokens saved.
      p.restoreTerminal();
      if (!binding) await tryBind(child);
      p.checkpoint?.("before-sync-back");
      await safe(() => p.accounts?.syncBack());
      const sessionId = binding?.sessionId ?? null;
      const resumeOrFirst = () => (binding ? opts.resumeArgv(binding.sessionId) : opts.initialArgv);

      if (outcome.kind === "requested") {
        const req = outcome.req;
        await p.event("signal", { request: req.kind, exit: describeExit(outcome.exit) });
        if (req.kind === "stop") {
          if (req.why === "stop requested") await notify(stoppedNotice(sessionId, opts.mode));
          return await finish("stopped", outcome.exit, req.why);
        }
        await p.record({ status: "restarting" });
        if (req.kind === "restart") {
          await notify(restartNotice({ kind: "control" }, sessionId), { beforeRelaunch: true });
          await p.event("restart", { why: "control", sessionId });
        } else {
          const r = await rotate(req, sessionId);
          if (r === "stopped") return await finish("stopped", outcome.exit, `${stopWhy()} while waiting for a quota reset`);
        }
        restarts++;
        argv = resumeOrFirst();
        continue;
      }

      // The child ended on its own. The user quitting ends us; a failure because the account ran out
      // (an exec turn hitting the usage limit) is a rotation, not a crash.
      const v = classifyUnrequestedExit(outcome.exit, opts.mode);
      if (v.kind === "user-quit") {
        // An exec job that finished at its rotation threshold: its result stands (never re-run); the
        // switch is made now, for the next run.
        if (opts.mode === "exec" && outcome.exit.code === 0) await switchForNextRun(sessionId);
        return await finish("exited", outcome.exit, "codex exited");
      }
      if (v.kind === "terminal-gone") return await finish("stopped", outcome.exit, "the terminal closed (SIGHUP)");
      const verdict = await safeVerdict();
      // An exec turn that hit the usage limit exits 1: that is this rotation (then `exec resume` on the
      // successor), not a crash. After a failed rotation, the next attempt waits (rotationRetryMs).
      if (verdict && verdict.action === "rotate" && p.accounts && !rotationBackedOff()) {
        let r: Awaited<ReturnType<typeof rotate>>;
        try {
          const plan = await p.accounts.plan(account, verdict.coolDownUntil);
          r = plan.kind === "foreign" ? await skipForeign(plan.detail, account, sessionId) : await rotate({ kind: "rotate", plan, verdict, from: account }, sessionId);
        } catch (err) {
          r = await rotationFailed(err, { where: "plan", from: account, to: null, sessionId, childGone: true });
        }
        if (r === "stopped") return await finish("stopped", outcome.exit, `${stopWhy()} while waiting for a quota reset`);
        if (r !== "stay" && r !== "skipped") {
          restarts++;
          argv = resumeOrFirst();
          continue;
        }
      }
      const crash = p.onCrash(p.now());
      await p.event("crash", { exit: v.why, restart: crash.restart });
      if (!crash.restart) {
        await notify(crashCapNotice(v.why, crash.max, crash.windowMs, sessionId, opts.mode));
        return await finish("failed", outcome.exit, `crash restart cap reached (${crash.max} in ${crash.windowMs} ms): ${v.why}`);
      }
      await p.record({ status: "restarting" });
      await notify(restartNotice({ kind: "crash", detail: v.why, attempt: crash.attempt, max: crash.max, delayMs: crash.delayMs }, sessionId), { beforeRelaunch: true });
      if (crash.delayMs > 0 && (await interruptibleSleep(crash.delayMs))) {
        return await finish("stopped", outcome.exit, "interrupted before the crash restart");
      }
      await p.event("restart", { why: "crash", sessionId, attempt: crash.attempt });
      restarts++;
      argv = resumeOrFirst();
    }
  } finally {
    unwatch();
    poller?.close();
    for (const [sig, h] of handlers) process.removeListener(sig, h);
  }

  async function tryBind(child: RunningChild): Promise<void> {
    const b = await safe(() => p.bind(child));
    if (!b) return;
    binding = b;
    poller = p.follow(b, () => wakeTick?.());
    await p.record({ sessionId: b.sessionId, rolloutPath: b.rolloutPath });
    await p.event("bind", { sessionId: b.sessionId });
  }

  async function safeVerdict(): Promise<QuotaVerdict | null> {
    if (!poller) return null;
    return (await safe(() => poller!.poll(account, p.now()))) ?? null;
  }

  function stopWhy(): string {
    return pendingStop && pendingStop.kind === "stop" ? pendingStop.why : "stopped";
  }

  /**
   * Runs one child until it exits or a request has been carried out (tree stopped, child reaped).
   * The tick binds the session, follows the rollout and turns a due rotation into a request.
   */
  function runChild(child: RunningChild): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let handling: Request | null = null;
      let ticking = false;
      /** A wake arrived while a tick was running: look again right after it (the new lines may be unread). */
      let again = false;
      let preselectReason: string | null = null;
      let exhaustedLogged = false;
      let foreignLogged = false;
      let deferLogged = false;
      let backoffLogged = false;

      const onRequest = (req: Request) => {
        if (handling) {
          // A stop outranks a restart/rotation already under way; the escalation in progress serves both.
          if (req.kind === "stop" && handling.kind !== "stop") handling = req;
          return;
        }
        handling = req;
        clearInterval(timer);
        wakeTick = null;
        void (async () => {
          const { left } = await p.stopTree(child);
          if (left.length > 0) await p.event("escalation-left", { pids: left });
          const exit = await child.exit;
          deliver = null;
          resolve({ kind: "requested", req: handling!, exit });
        })();
      };
      deliver = onRequest;

      const tick = async () => {
        if (handling) return;
        if (ticking) {
          again = true;
          return;
        }
        ticking = true;
        try {
          do {
            again = false;
            await tickOnce();
          } while (again && !handling);
        } finally {
          ticking = false;
        }
      };
      const tickOnce = async () => {
        try {
          if (!binding) await tryBind(child);
          if (!poller || !p.accounts || handling) return;
          const verdict = await poller.poll(account, p.now());
          if (handling) return;
          if (verdict.action === "preselect") {
            // Pick the successor ahead of time (logged once per new reading); the rotation re-plans anyway.
            if (verdict.reason !== preselectReason) {
              preselectReason = verdict.reason;
              const plan = await p.accounts.plan(account);
              await p.event("quota", { action: "preselect", reason: verdict.reason, successor: plan.kind === "switch" ? plan.to : null });
            }
          } else if (verdict.action === "rotate") {
            // exec: the turn is over, so codex exec is about to exit with its result — never cut it. A
            // usage-limit end makes it exit 1 (rotation on that exit); a threshold reading switches the
            // account for the next run once it has exited (switchForNextRun).
            if (opts.mode === "exec") {
              if (!deferLogged) {
                deferLogged = true;
                await p.event("quota", { action: "defer", reason: verdict.reason, why: "exec run ends on its own; rotation when it exits" });
              }
              return;
            }
            // A rotation failed a short while ago: the store/lock is not usable yet; do not cut the session for nothing.
            if (rotationBackedOff()) {
              if (!backoffLogged) {
                backoffLogged = true;
                await p.event("quota", { action: "backoff", reason: verdict.reason, until: new Date(rotationRetryAt).toISOString() });
              }
              return;
            }
            let plan: RotationPlan;
            try {
              plan = await p.accounts.plan(account, verdict.coolDownUntil);
            } catch (err) {
              // Nothing was stopped: the session just goes on (no line on the TUI's screen, it owns it).
              await rotationFailed(err, { where: "plan", from: account, to: null, sessionId: binding?.sessionId ?? null, childGone: false });
              return;
            }
            if (handling) return;
            // A login made by hand is the user's choice: never cut the session to replace it.
            if (plan.kind === "foreign") {
              if (!foreignLogged) {
                foreignLogged = true;
                await p.event("quota", { action: "skip", reason: verdict.reason, why: plan.detail });
              }
              return;
            }
            // Nobody has room and nothing to wait for (stay, or no reset time known): keep the session.
            if (plan.kind === "none" && (whenAllExhausted === "stay" || !plan.earliest)) {
              if (!exhaustedLogged) {
                exhaustedLogged = true;
                await p.event("quota", { action: "stay", reason: verdict.reason });
              }
              return;
            }
            await p.event("quota", { action: "rotate", reason: verdict.reason, to: plan.kind === "switch" ? plan.to : null });
            onRequest({ kind: "rotate", plan, verdict, from: account });
          }
        } catch (err) {
          await safe(() => p.event("error", { where: "tick", message: err instanceof Error ? err.message : String(err) }));
        }
      };
      const timer = setInterval(() => void tick(), pollMs);
      wakeTick = () => void tick();
      void tick();

      void child.exit.then((exit) => {
        if (handling) return; // the request path resolves once the escalation is done
        clearInterval(timer);
        wakeTick = null;
        deliver = null;
        resolve({ kind: "exited", exit });
      });
      // A stop that came while no child was ours to stop — after the loop's last look at pendingStop,
      // during this spawn and its records (e.g. a control file consumed as the watch started) — is
      // for this child.
      if (pendingStop) onRequest(pendingStop);
      else if (pendingRestart) {
        const req = pendingRestart;
        pendingRestart = null;
        onRequest(req);
      }
    });
  }

  /**
   * The child is gone. Switch to the planned successor, or (none has room) wait for the earliest reset
   * with a countdown. Returns "switched" / "waited" (relaunch), "skipped" (a login made by hand is in
   * CODEX_HOME/auth.json: left alone, relaunch on it), or "stopped" (interrupted while waiting).
   */
  async function rotate(
    req: Extract<Request, { kind: "rotate" }>,
    sessionId: string | null,
  ): Promise<"switched" | "waited" | "stay" | "skipped" | "failed" | "stopped"> {
    const acc = p.accounts!;
    let plan: RotationPlan = req.plan;
    // The plan was made before the escalation; re-check it now that the store may have changed.
    const fresh = await safe(() => acc.plan(req.from, req.verdict.coolDownUntil));
    if (fresh) plan = fresh;
    if (plan.kind === "foreign") return skipForeign(plan.detail, req.from, sessionId);
    if (plan.kind === "none" && (whenAllExhausted === "stay" || !plan.earliest)) {
      await notify(exhaustedNotice(null, p.now(), whenAllExhausted === "stay"));
      await p.event("quota", { action: "stay", reason: req.verdict.reason });
      return "stay";
    }
    await p.record({ status: "restarting" });
    if (plan.kind === "switch") {
      let sw: SwitchResult;
      try {
        sw = await acc.switchTo(plan.to, req.from, req.verdict.coolDownUntil);
      } catch (err) {
        return rotationFailed(err, { where: "switch", from: req.from, to: plan.to, sessionId, childGone: true });
      }
      if (sw.kind === "foreign") return skipForeign(sw.detail, req.from, sessionId);
      // Whatever the rollout said described the account left. (After a failed switch it still describes
      // the account in use, and the retry waits for rotationRetryMs.)
      poller?.reset();
      p.checkpoint?.("after-activation");
      await p.record({ account: plan.to });
      await notify(restartNotice({ kind: "rotate", detail: req.verdict.reason, from: req.from, to: plan.to }, sessionId), { beforeRelaunch: true });
      await p.event("rotate", { from: req.from, to: plan.to, reason: req.verdict.reason, sessionId });
      p.checkpoint?.("before-resume");
      return "switched";
    }
    const earliest = plan.earliest!;
    await notify(exhaustedNotice(earliest.resetsAt, p.now(), false));
    await p.event("quota", { action: "wait", until: new Date(earliest.resetsAt).toISOString() });
    await p.record({ status: "restarting", reason: "waiting for a quota reset" });
    while (p.now() < earliest.resetsAt) {
      p.status(countdownLine(earliest.resetsAt - p.now(), sessionId, opts.mode));
      if (await interruptibleSleep(Math.min(1000, earliest.resetsAt - p.now()))) {
        p.status(countdownLine(earliest.resetsAt - p.now(), sessionId, opts.mode), true);
        await notify(stoppedNotice(sessionId, opts.mode));
        return "stopped";
      }
    }
    p.status(countdownLine(0, sessionId, opts.mode), true);
    let sw: SwitchResult;
    try {
      sw = await acc.switchTo(earliest.account, req.from, earliest.account === req.from ? null : req.verdict.coolDownUntil);
    } catch (err) {
      return rotationFailed(err, { where: "switch", from: req.from, to: earliest.account, sessionId, childGone: true });
    }
    if (sw.kind === "foreign") return skipForeign(sw.detail, req.from, sessionId);
    poller?.reset();
    p.checkpoint?.("after-activation");
    await p.record({ account: earliest.account });
    await notify(restartNotice({ kind: "rotate", detail: "usage limit reset", from: req.from, to: earliest.account }, sessionId), { beforeRelaunch: true });
    await p.event("rotate", { from: req.from, to: earliest.account, reason: "waited for the reset", sessionId });
    p.checkpoint?.("before-resume");
    return "waited";
  }

  /**
   * Planning or switching threw (LockLostError, LockTimeoutError, AccountsStoreError,
   * UnreadableLoginError, FileWriteError, anything): the session must not end for it. One event naming
   * the error (name + message: files and reasons, never a token) and, when the child is already gone,
   * one notice line; the caller resumes the session on whatever login CODEX_HOME/auth.json holds. No
   * rotation is attempted again before rotationRetryMs has passed.
   */
  async function rotationFailed(
    err: unknown,
    o: { where: "plan" | "switch"; from: string | null; to: string | null; sessionId: string | null; childGone: boolean },
  ): Promise<"failed"> {
    rotationRetryAt = p.now() + rotationRetryMs;
    const error = describeError(err);
    if (o.childGone || opts.mode === "exec") {
      await notify(rotationFailedNotice({ from: o.from, to: o.to, error, sessionId: o.sessionId, retryInMs: rotationRetryMs, childGone: o.childGone }), { beforeRelaunch: o.childGone });
    }
    await safe(() =>
      p.event("rotate-failed", { where: o.where, from: o.from, to: o.to, error, sessionId: o.sessionId, retryAt: new Date(rotationRetryAt).toISOString() }),
    );
    return "failed";
  }

  /**
   * exec, the run finished with status 0: if the rollout says the account is at its rotation threshold,
   * switch accounts now so the next run (a resume, the next job) uses the successor. Never re-runs the
   * job; any failure is one notice + event and the job still ends with its own result.
   */
  async function switchForNextRun(sessionId: string | null): Promise<void> {
    const verdict = await safeVerdict();
    if (!verdict || verdict.action !== "rotate" || !p.accounts || rotationBackedOff()) return;
    let to: string | null = null;
    try {
      const plan = await p.accounts.plan(account, verdict.coolDownUntil);
      if (plan.kind !== "switch") {
        await p.event("quota", { action: plan.kind === "foreign" ? "skip" : "stay", reason: verdict.reason, when: "next run" });
        return;
      }
      to = plan.to;
      const sw = await p.accounts.switchTo(plan.to, account, verdict.coolDownUntil);
      if (sw.kind === "foreign") {
        await p.event("rotate-skipped", { from: account, why: sw.detail, sessionId, when: "next run" });
        return;
      }
    } catch (err) {
      await rotationFailed(err, { where: to ? "switch" : "plan", from: account, to, sessionId, childGone: false });
      return;
    }
    poller?.reset();
    await notify(nextRunSwitchNotice(account, to, verdict.reason));
    await p.event("rotate", { from: account, to, reason: verdict.reason, sessionId, when: "next run" });
  }

  /** The rotation is skipped: CODEX_HOME/auth.json is a login of the user's own, kept as it is. */
  async function skipForeign(detail: string, from: string | null, sessionId: string | null): Promise<"skipped"> {
    await notify(foreignLoginNotice(from, detail, sessionId), { beforeRelaunch: true });
    await p.event("rotate-skipped", { from, why: detail, sessionId });
    return "skipped";
  }
}

/** "LockLostError: storage lock … was lost (…); the write was aborted" — the name says which failure. */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

async function safe<T>(fn: () => Promise<T> | T | undefined): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

export type { RestartWhy };
