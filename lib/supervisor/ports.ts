// The real side effects behind the supervisor loop (core.ts SupervisorPorts), wired from the project's
// modules: launchSpec + buildChildEnv for spawning, escalateTree for stopping, the jobs store for
// records/events/control, the session binder and rollout follower, the accounts store, crash policy.
// Both the interactive session (entry.ts) and a background job use this with different `io`.
//
// Spawning goes through cross-spawn. On POSIX it is child_process.spawn with copies of argv and
// options (its command parsing and ENOENT rewriting apply only on Windows): same argv, same stdio
// inheritance, same process group (no `detached`), so codex still runs in the terminal's foreground
// group. On Windows it would resolve PATHEXT/shebang commands such as a `realCodexBin` .cmd wrapper.
//
// The real ports also arm the last-resort exit hook (last-resort.ts) until the loop ends normally.
import type { StdioOptions } from "node:child_process";
import crossSpawn from "cross-spawn";
import type { Config } from "../config/schema.js";
import { recordUsage } from "../accounts/usage.js";
import { realAccountPorts } from "./account-ports.js";
import { lockOptionsFrom } from "../lock/options.js";
import { applyQuotaEvent, decideFromState, initialQuotaState, type QuotaState } from "../quota/decide.js";
import { toQuotaEvent } from "../quota/from-rollout.js";
import type { RolloutEvent } from "../session/rollout-events.js";
import type { RateLimits } from "../quota/rate-limits.js";
import { appendEvent } from "../jobs/event-log.js";
import { listJobs } from "../jobs/listing.js";
import { updateJob } from "../jobs/records.js";
import { isActiveStatus } from "../jobs/record.js";
import { probeProcess } from "../jobs/reconcile-io.js";
import type { JobPatch as RecordPatch } from "../jobs/record.js";
import { watchControl as watchControlFile } from "../jobs/control.js";
import { readIdentity, type ProcessIdentity } from "../process/identity.js";
import { escalateTree } from "../process/escalate.js";
import { bindSession } from "../session/bind.js";
import { RolloutFollower, watchFollower, type Watcher } from "../session/rollout-follower.js";
import { launchSpec } from "../codex/native-launch.js";
import type { ResolvedCodex } from "../codex/resolve-real-codex.js";
import { buildChildEnv } from "./child-env.js";
import { JOB_HOME_ENV } from "../jobs/marker.js";
import { CrashTracker } from "./crash-policy.js";
import { armLastResort } from "./last-resort.js";
import { tolerant, tolerantAppend } from "./job-log.js";
import { killPointFrom } from "./test-kill.js";
import type { ChildExit } from "./exit-policy.js";
import type { Binding, JobPatch, QuotaPoller, QuotaVerdict, RunningChild, SupervisorPorts } from "./core.js";

export interface RealPortsInput {
  jobId: string;
  /** Our storage home (records, accounts, lock). */
  home: string;
  codexHome: string;
  /** The supervisor's own environment (our CODEX_AUTH_* keys included; buildChildEnv strips them). */
  env: NodeJS.ProcessEnv;
  config: Config;
  real: ResolvedCodex;
  cwd: string;
  /** The directory codex works in (its -C/--cd, else cwd): what the rollout's session_meta.cwd says. */
  sessionCwd: string;
  stdio: StdioOptions;
  /** Put the terminal back (tui) — a no-op for jobs. */
  restoreTerminal: () => void;
  /** Where notice lines and the countdown go (tui: stderr). */
  write: (text: string) => void;
  /** Epoch ms of the first spawn: rollouts created before it are not ours. */
  launchedAt: number;
}

export function realPorts(input: RealPortsInput): SupervisorPorts {
  const { home, jobId, config } = input;
  // The home tag lets `reap` tell our orphans from another supervisor home's processes (jobs/marker.ts).
  const childEnv = { ...buildChildEnv(input.env, jobId), [JOB_HOME_ENV]: home };
  const identities = new Map<number, ProcessIdentity | null>();
  const exited = new Set<number>();
  const crash = new CrashTracker(config);
  // Every write to the event log goes through here: a full disk must not end the session (job-log.ts).
  const log = tolerantAppend((data) => appendEvent(home, jobId, data), (line) => process.stderr.write(line));
  const event = async (type: string, data: Record<string, unknown> = {}) => {
    log({ type, ...data });
  };
  // Likewise the record: a stale record beats a session killed by a full disk (`status` may lag).
  const writeRecord = tolerant("update the job record", (patch: RecordPatch) => updateJob(home, jobId, patch), (line) => process.stderr.write(line));
  const killAt = killPointFrom(input.env);
  /** The identity of the child spawned last, read right after spawn (the last-resort hook's root). */
  let current: ProcessIdentity | null = null;
  const lastResort = armLastResort({
    marker: jobId,
    currentChild: () => current,
    restoreTerminal: input.restoreTerminal,
    log: (data) => log({ type: "last-resort", ...data }),
  });

  const ports: SupervisorPorts = {
    async spawn(argv) {
      const spec = launchSpec(input.real, argv, childEnv);
      const child = crossSpawn(spec.command, spec.args, { env: spec.env, stdio: input.stdio, cwd: input.cwd });
      const exit = new Promise<ChildExit>((resolve) => {
        child.once("exit", (code, signal) => {
          exited.add(pid);
          resolve({ code, signal });
        });
        // Could not start at all (ENOENT/EACCES): the shell's 127/126.
        child.once("error", (err) => resolve({ code: (err as NodeJS.ErrnoException).code === "EACCES" ? 126 : 127, signal: null }));
      });
      const pid = child.pid ?? -1;
      current = pid > 0 ? readIdentity(pid) : null;
      identities.set(pid, current);
      return { pid, exit };
    },

    async stopTree(child) {
      const identity = identities.get(child.pid) ?? null;
      const r = await escalateTree({
        identities: identity ? [identity] : [],
        marker: jobId,
        waits: { sigintWaitMs: config.sigintWaitMs, sigtermWaitMs: config.sigtermWaitMs },
        // Our direct child is reaped by Node the moment it exits: its handle knows first.
        isExited: (id: ProcessIdentity) => (id.pid === child.pid && exited.has(child.pid) ? true : undefined),
        exits: [child.exit],
        onSignal: (id: ProcessIdentity, signal: NodeJS.Signals) => {
          log({ type: "signal", pid: id.pid, signal });
          killAt("during-escalation");
        },
      });
      return { left: r.left.map((p: ProcessIdentity) => p.pid) };
    },

    restoreTerminal: input.restoreTerminal,

    async bind(child: RunningChild): Promise<Binding | null> {
      // While the child runs, the rollout its tree holds open names the session exactly; once it is
      // gone (the last attempt after an exit) only the scan of files created since launch can tell.
      // The scan judges by cwd and creation time, so a neighbour started in the same directory (another
      // live job's session) would look like ours: its session is excluded.
      const method = exited.has(child.pid) ? "scan" : "auto";
      const exclude = method === "scan" ? sessionsBoundElsewhere(home, jobId) : [];
      const b = await bindSession({ codexHome: input.codexHome, sinceMs: input.launchedAt, childPids: [child.pid], cwd: input.sessionCwd, method, exclude });
      return b ? { sessionId: b.sessionId, rolloutPath: b.rolloutPath } : null;
    },

    follow(binding, wake) {
      return followQuota(binding, home, config, event, wake);
    },

    accounts: realAccountPorts(input, event),

    watchControl(onRequest) {
      const w = watchControlFile(home, jobId, (req) => onRequest(req.action), {
        onInvalid: () => log({ type: "control", invalid: true }),
      });
      return () => w.close();
    },

    onCrash(now) {
      return crash.onCrash(now);
    },

    async record(patch) {
      writeRecord(toRecordPatch(patch, identities));
    },

    event,

    notice(line) {
      input.write(`${line}\n`);
    },

    status(line, done) {
      // Rewrite the line in place: carriage return + erase line.
      input.write(`\r\x1b[2K${line}${done ? "\n" : ""}`);
    },

    now: () => Date.now(),

    ended() {
      lastResort.disarm();
    },

    checkpoint: killAt,

    sleep(ms, abort) {
      return new Promise<void>((resolve) => {
        if (abort.aborted) return resolve();
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          abort.removeEventListener("abort", done);
          resolve();
        }
        abort.addEventListener("abort", done, { once: true });
      });
    },
  };
  return ports;
}

const FINAL = new Set(["exited", "stopped", "failed"]);

function toRecordPatch(p: JobPatch, identities: Map<number, ProcessIdentity | null>): RecordPatch {
  const out: RecordPatch = {};
  if (p.status !== undefined) out.status = p.status;
  if (p.childPid !== undefined) {
    const identity = p.childPid === null ? null : identities.get(p.childPid) ?? null;
    out.child = p.childPid !== null && identity ? { pid: p.childPid, identity } : null;
  }
  if (p.sessionId !== undefined) out.sessionId = p.sessionId;
  if (p.rolloutPath !== undefined) out.rolloutPath = p.rolloutPath;
  if (p.account !== undefined) out.account = p.account;
  if (p.restarts !== undefined) out.restarts = p.restarts;
  if (p.exitCode !== undefined) out.exitCode = p.exitCode;
  if (p.signal !== undefined) out.signal = p.signal;
  if (p.reason !== undefined) out.reason = p.reason;
  if (p.status !== undefined && FINAL.has(p.status)) out.endedAt = new Date().toISOString();
  return out;
}

/** The watcher's own poll period: only a backstop, the loop polls every pollMs as well. */
const WATCH_BACKSTOP_MS = 1000;

/**
 * Follow the bound rollout and fold it into the quota state. A watcher (fs.watch on the rollout's
 * directory) reads new lines the moment codex appends them and calls `wake`, so the loop decides in
 * milliseconds; `poll()` reads too (the fallback when a change notification is missed). Both go
 * through the one RolloutFollower, which serialises reads: every line is folded once, in file order.
 */
export function followQuota(
  binding: Binding,
  home: string,
  config: Config,
  event: (type: string, data?: Record<string, unknown>) => Promise<void>,
  wake: () => void,
): QuotaPoller {
  const follower = new RolloutFollower(binding.rolloutPath);
  let state: QuotaState = initialQuotaState();
  /** Rate limits read since the last poll() (recorded there, against the account then active). */
  let newLimits: RateLimits | null = null;
  const thresholds = { rotateAtRemainingPercent: config.rotateAtRemainingPercent, preselectAtRemainingPercent: config.preselectAtRemainingPercent };
  const ingest = (events: RolloutEvent[]) => {
    for (const e of events) {
      const q = toQuotaEvent(e);
      if (!q) continue;
      state = applyQuotaEvent(state, q);
      if (q.kind === "token_count" && state.rateLimits) newLimits = state.rateLimits;
    }
  };
  // Read errors surface through poll() (the loop logs them); the watcher just keeps trying.
  const watcher: Watcher = watchFollower(
    follower,
    (events) => {
      ingest(events);
      wake();
    },
    { intervalMs: WATCH_BACKSTOP_MS, onError: () => {} },
  );
  return {
    async poll(account, now): Promise<QuotaVerdict> {
      ingest(await follower.poll());
      const limits = newLimits;
      newLimits = null;
      if (limits && account) {
        await recordUsage(home, account, limits, now, lockOptionsFrom(config));
        await event("quota", { account, primary: limits.primary, secondary: limits.secondary });
      }
      const d = decideFromState(state, now, thresholds);
      return { action: d.action, reason: d.reason, coolDownUntil: d.coolDownUntil };
    },
    reset() {
      state = initialQuotaState();
      newLimits = null;
    },
    close() {
      watcher.close();
    },
  };
}

/**
 * Session ids and rollout paths bound by other live jobs of this home: a read of their records (active
 * ones only, no reconciliation write), keeping those whose supervisor is verifiably the same process.
 */
export function sessionsBoundElsewhere(home: string, selfId: string): string[] {
  const out: string[] = [];
  let records;
  try {
    records = listJobs(home).records;
  } catch {
    return out; // no jobs directory readable: nothing known to exclude
  }
  for (const r of records) {
    if (r.id === selfId || !isActiveStatus(r.status)) continue;
    if (probeProcess(r.supervisor) !== "alive") continue;
    if (r.sessionId) out.push(r.sessionId);
    if (r.rolloutPath) out.push(r.rolloutPath);
  }
  return out;
}
