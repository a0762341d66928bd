// The real side effects behind the supervisor loop (core.ts SupervisorPorts), wired from the project's
// modules: launchSpec + buildChildEnv for spawning, escalateTree for stopping, the jobs store for
// records/events/control, the session binder and rollout follower, the accounts store, the login in
// auth.json. Both interactive sessions (entry.ts) and background jobs use it with different `io`.
//
// Spawning goes through cross-spawn. On POSIX it is child_process.spawn with copies of argv and
// options: same argv, same stdio inheritance, same process group (no `detached`), so codex still runs
// in the terminal's foreground group. On Windows it would resolve PATHEXT/shebang commands.
//
// The real ports also arm the last-resort exit hook (last-resort.ts) until the loop ends normally.
import type { StdioOptions } from "node:child_process";
import crossSpawn from "cross-spawn";
import type { Config } from "../config/schema.js";
import { readAccounts } from "../accounts/store.js";
import type { AccountsFile } from "../accounts/schema.js";
import { appendEvent } from "../jobs/event-log.js";
import { listJobs } from "../jobs/listing.js";
import { updateJob } from "../jobs/records.js";
import { isActiveStatus, type JobPatch as RecordPatch } from "../jobs/record.js";
import { probeProcess } from "../jobs/reconcile-io.js";
import { watchControl as watchControlFile } from "../jobs/control.js";
import { JOB_HOME_ENV } from "../jobs/marker.js";
import { readIdentity, type ProcessIdentity } from "../process/identity.js";
import { escalateTree, type EscalationWaits } from "../process/escalate.js";
import { toFacts } from "../quota/from-rollout.js";
import { bindSession } from "../session/bind.js";
import { RolloutFollower, watchFollower, type Watcher } from "../session/rollout-follower.js";
import { offsetSince } from "../session/rollout-start.js";
import { launchSpec } from "../codex/native-launch.js";
import type { ResolvedCodex } from "../codex/resolve-real-codex.js";
import { realAccountPorts } from "./account-ports.js";
import { buildChildEnv } from "./child-env.js";
import type { FollowedRollout, RunningChild, SupervisorPorts } from "./core.js";
import type { JobPatch, StopStep } from "./effects.js";
import type { ChildExit } from "./exit-policy.js";
import { tolerant, tolerantAppend } from "./job-log.js";
import { armLastResort } from "./last-resort.js";
import { readLoginView, viewOf } from "./login-view.js";
import { enterRefreshGate } from "./refresh-gate.js";
import { watchLogin as watchLoginFile } from "../accounts/login-watch.js";
import { credentialStoreRefusal } from "../accounts/credential-store.js";
import { lockOptionsFrom } from "../lock/storage-lock.js";

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
  /** A desktop notification for a notice that matters (tui); absent for jobs. */
  alert?: (line: string) => void;
  /** Epoch ms of the first spawn: rollouts created before it are not ours. */
  launchedAt: number;
  /** The `-c key=value` overrides codex runs with (where its credential store may be chosen). */
  codexConfigOverrides?: readonly string[];
}

/** The escalation waits a list of stop steps asks for. */
function waitsOf(steps: readonly StopStep[]): Partial<EscalationWaits> {
  const grace = (s: StopStep["signal"]) => steps.find((x) => x.signal === s)?.graceMs;
  const w: Partial<EscalationWaits> = {};
  const int = grace("SIGINT");
  const term = grace("SIGTERM");
  const kill = grace("SIGKILL");
  if (int !== undefined) w.sigintWaitMs = int;
  if (term !== undefined) w.sigtermWaitMs = term;
  if (kill !== undefined) w.sigkillWaitMs = kill;
  return w;
}

export function realPorts(input: RealPortsInput): SupervisorPorts {
  const { home, jobId } = input;
  // The home tag lets `reap` tell our orphans from another supervisor home's processes (jobs/marker.ts).
  const childEnv = { ...buildChildEnv(input.env, jobId), [JOB_HOME_ENV]: home };
  const identities = new Map<number, ProcessIdentity | null>();
  const exited = new Set<number>();
  // Every write to the event log goes through here: a full disk must not end the session (job-log.ts).
  const log = tolerantAppend((data) => appendEvent(home, jobId, data), (line) => process.stderr.write(line));
  const event = (type: string, data: Record<string, unknown> = {}) => log({ type, ...data });
  // Likewise the record: a stale record beats a session killed by a full disk (`status` may lag).
  const writeRecord = tolerant("update the job record", (patch: RecordPatch) => updateJob(home, jobId, patch), (line) => process.stderr.write(line));
  /** The identity of the child spawned last, read right after spawn (the last-resort hook's root). */
  let current: ProcessIdentity | null = null;
  const lastResort = armLastResort({
    marker: jobId,
    currentChild: () => current,
    restoreTerminal: input.restoreTerminal,
    log: (data) => log({ type: "last-resort", ...data }),
  });
  const storeOrNull = (): AccountsFile | null => {
    try {
      return readAccounts(home);
    } catch {
      return null; // a corrupt store is reported where it is needed (rotation); the login is still named by key
    }
  };
  const loginView = () => readLoginView(input.codexHome, storeOrNull());

  return {
    currentLogin: loginView,

    watchLogin(onLogin) {
      // Every login codex writes (a refresh renames over auth.json) is stored under its owner at once,
      // so a supervisor that dies next loses no refresh token; the loop hears of account changes.
      const w = watchLoginFile(
        { home, codexHome: input.codexHome, lock: lockOptionsFrom(input.config), onError: (err) => event("error", { where: "login-watch", message: err instanceof Error ? err.message : String(err) }) },
        (login) => onLogin(viewOf(login)),
      );
      return () => w.close();
    },

    async spawn(argv) {
      // At most one codex of this home starts on a due ChatGPT token at a time (refresh-gate.ts).
      const gate = await enterRefreshGate({ home, codexHome: input.codexHome });
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
      if (gate.held) void gate.leaveWhenRefreshed(exit).catch((err: unknown) => event("error", { where: "refresh-gate", message: String(err) }));
      return { pid, exit };
    },

    async stopTree(child, steps) {
      const identity = identities.get(child.pid) ?? null;
      const r = await escalateTree({
        identities: identity ? [identity] : [],
        marker: jobId,
        waits: waitsOf(steps),
        // Our direct child is reaped by Node the moment it exits: its handle knows first.
        isExited: (id: ProcessIdentity) => (id.pid === child.pid && exited.has(child.pid) ? true : undefined),
        exits: [child.exit],
        onSignal: (id: ProcessIdentity, signal: NodeJS.Signals) => log({ type: "signal", pid: id.pid, signal }),
      });
      return { left: r.left.map((p: ProcessIdentity) => p.pid) };
    },

    async endLeftovers(steps) {
      let found = 0;
      await escalateTree({
        identities: [],
        marker: jobId,
        waits: waitsOf(steps),
        onEvent: (e) => {
          if (e.type === "snapshot" && e.after === "start") found = e.pids.length;
        },
        onSignal: (id: ProcessIdentity, signal: NodeJS.Signals) => log({ type: "signal", pid: id.pid, signal, leftover: true }),
      });
      return found;
    },

    restoreTerminal: input.restoreTerminal,

    async bind(child: RunningChild, mode) {
      // While the child runs, the rollout its tree holds open names the session exactly; once it is
      // gone only the scan of files created since launch can tell, and a neighbour started in the
      // same directory (another live job's session) would look like ours: its session is excluded.
      // A recheck of a bound session takes the exact answer only.
      if (mode === "recheck" && exited.has(child.pid)) return null;
      const method = mode === "recheck" ? "fd" : mode === "final" || exited.has(child.pid) ? "scan" : "auto";
      const exclude = method === "scan" ? sessionsBoundElsewhere(home, jobId) : [];
      const b = await bindSession({ codexHome: input.codexHome, sinceMs: input.launchedAt, childPids: [child.pid], cwd: input.sessionCwd, method, exclude });
      return b ? { sessionId: b.sessionId, rolloutPath: b.rolloutPath } : null;
    },

    follow(binding, since, onFacts) {
      return followRollout(binding.rolloutPath, since, onFacts);
    },

    accounts: realAccountPorts({ ...input, rotationBlocked: () => credentialStoreRefusal(input.codexHome, input.codexConfigOverrides ?? []) }, event),

    watchControl(onRequest) {
      const w = watchControlFile(home, jobId, (req) => onRequest(req.action), {
        onInvalid: () => log({ type: "control", invalid: true }),
      });
      return () => w.close();
    },

    record(patch) {
      writeRecord(toRecordPatch(patch, identities));
    },

    event,

    notice(line, o) {
      if (o.screen) input.write(`${line}\n`);
      if (o.alert) input.alert?.(line);
    },

    status(line, done) {
      // Rewrite the line in place: carriage return + erase line.
      input.write(`\r\x1b[2K${line}${done ? "\n" : ""}`);
    },

    now: () => Date.now(),

    ended() {
      lastResort.disarm();
    },
  };
}

/** The watcher's own poll period: a backstop for file systems whose change notifications are missed. */
const WATCH_BACKSTOP_MS = 1000;

/**
 * Follow a rollout from the first line written at or after `since`: a resumed session's earlier lines
 * are neither counted nor read (rollout-start.ts). fs.watch on the directory delivers new lines the
 * moment codex appends them; `drain` reads what is left once the child is gone. Every line is
 * delivered once, in file order (the follower serialises reads).
 */
function followRollout(file: string, since: number, onFacts: Parameters<SupervisorPorts["follow"]>[2]): FollowedRollout {
  let closed = false;
  let watcher: Watcher | null = null;
  const emit = (events: Parameters<typeof toFacts>[0][]) => {
    const facts = events.flatMap(toFacts);
    if (facts.length > 0) onFacts(facts);
  };
  const ready = offsetSince(file, since)
    .catch(() => 0)
    .then((startAt) => {
      const follower = new RolloutFollower(file, { startAt });
      if (!closed) watcher = watchFollower(follower, emit, { intervalMs: WATCH_BACKSTOP_MS, onError: () => {} });
      return follower;
    });
  return {
    async drain() {
      const follower = await ready;
      // After any read already under way (its lines are delivered through onFacts first).
      const rest = await follower.poll().catch(() => []);
      closed = true;
      watcher?.close();
      return rest.flatMap(toFacts);
    },
    close() {
      closed = true;
      watcher?.close();
    },
  };
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

/**
 * Session ids and rollout paths bound by other live jobs of this home: a read of their records (active
 * ones only, no reconciliation write), keeping those whose supervisor is verifiably the same process.
 */
function sessionsBoundElsewhere(home: string, selfId: string): string[] {
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
