// Reconciled reads: every status read checks the recorded processes against the system and persists
// a `lost` verdict so it does not recur. The verdict itself is pure (reconcile.ts); this
// file probes processes and writes.
//
// The write is a non-owner write (see records.ts): only made when the supervisor is verified gone, as
// a compare-and-swap on the rev that was judged, under the storage lock. If someone wrote in between
// (the supervisor's last words, another reader, a takeover), the new state is judged again.
import type { StorageLockOptions } from "../lock/options.js";
import { isAlive, readIdentity, sameIdentity, type ProcessIdentity } from "../process/identity.js";
import { reconcile, type Liveness, type ProcState } from "./reconcile.js";
import { isActiveStatus, type JobRecord, type ProcessRef } from "./record.js";
import { appendEvent } from "./event-log.js";
import { listJobs, sortNewestFirst, type JobListing } from "./listing.js";
import { readJob, updateJobIf, type WithLock } from "./records.js";

/** Alive = same pid with the same start identity (zombies count as exited); a pid now held by another process = reused. */
export function probeProcess(ref: ProcessRef | null): ProcState | "none" {
  if (!ref) return "none";
  const identity = ref.identity as ProcessIdentity;
  if (isAlive(identity)) return "alive";
  const now = readIdentity(ref.pid);
  if (now === null) return "gone";
  // Same identity but not alive = a zombie: exited, only waiting to be reaped.
  return sameIdentity(now, identity) ? "gone" : "reused";
}

function probeLiveness(r: JobRecord): Liveness {
  return { supervisor: probeProcess(r.supervisor) as ProcState, child: probeProcess(r.child) };
}

interface ReconciledJob {
  record: JobRecord;
  /** The record was changed by this read (persisted unless `persistError` is set). */
  changed: boolean;
  /** Why it changed, or a note on an orphaned child; else null. */
  reason: string | null;
  /** Set when the verdict could not be written (lock busy or lost, I/O error); the verdict still stands. */
  persistError: string | null;
}

interface ReconcileOptions {
  /** Serialises non-owner writers; default: the storage lock of `home`, with the configured timings. */
  withLock?: WithLock;
  /** Probe override for tests of the write path; default probeLiveness. */
  probe?: (r: JobRecord) => Liveness;
  now?: () => Date;
}

/** The storage lock as a WithLock, loaded only when a write is actually needed (keeps `ls` light). */
export function storageLockFor(home: string): WithLock {
  return async <T>(fn: (assertHeld: () => void) => Promise<T>): Promise<T> => {
    const [{ withStorageLock }, timings] = await Promise.all([import("../lock/storage-lock.js"), lockTimings()]);
    return withStorageLock(home, (guard) => fn(() => guard.assertHeld()), timings);
  };
}

async function lockTimings(): Promise<StorageLockOptions> {
  try {
    const [{ loadConfig }, { lockOptionsFrom }] = await Promise.all([import("../config/load.js"), import("../lock/options.js")]);
    return lockOptionsFrom(loadConfig(process.env));
  } catch {
    // A broken config must not stop a read from recording a verified death; the lock's defaults
    // match the config defaults. (The config error itself is reported by commands that need it.)
    return {};
  }
}

const MAX_REJUDGE = 5;

/** Reconcile one record already read; persist a change. */
export async function reconcileRecord(home: string, record: JobRecord, opts: ReconcileOptions = {}): Promise<ReconciledJob> {
  const probe = opts.probe ?? probeLiveness;
  const now = opts.now ?? (() => new Date());
  let current = record;
  for (let i = 0; i < MAX_REJUDGE; i++) {
    if (!isActiveStatus(current.status)) return { record: current, changed: current !== record, reason: null, persistError: null };
    const verdict = reconcile(current, probe(current), now());
    if (!verdict.changed) return { record: current, changed: current !== record, reason: verdict.reason, persistError: null };
    const { status, reason, endedAt } = verdict.record;
    let w;
    try {
      w = await updateJobIf(home, current.id, current.rev, { status, reason, endedAt }, { withLock: opts.withLock ?? storageLockFor(home), now: now() });
    } catch (err) {
      return { record: verdict.record, changed: true, reason: verdict.reason, persistError: (err as Error).message };
    }
    if (w.ok) {
      try {
        appendEvent(home, current.id, { type: "lost", reason: verdict.reason });
      } catch {
        /* the record is the source of truth; a missing log line is not worth failing a read */
      }
      return { record: w.record, changed: true, reason: verdict.reason, persistError: null };
    }
    current = w.current; // someone wrote since we judged: judge the new state
  }
  return { record: current, changed: current !== record, reason: null, persistError: "the record kept changing while it was being reconciled" };
}

/** readJob + reconcile (the one read `status`, `result`, `stop`... use, so they never disagree). */
export async function readJobReconciled(home: string, id: string, opts: ReconcileOptions = {}): Promise<ReconciledJob> {
  return reconcileRecord(home, readJob(home, id), opts);
}

interface ReconciledListing extends JobListing {
  /** Per-record notes: why a record became lost now, orphan warnings, failed writes. */
  notes: { id: string; note: string }[];
}

/**
 * listJobs + reconcile. Only active records are probed (ended ones cannot change), so the cost on a
 * home with thousands of finished jobs is reading them, not probing them.
 */
export async function listJobsReconciled(home: string, opts: ReconcileOptions & { all?: boolean; at?: Date } = {}): Promise<ReconciledListing> {
  const listing = listJobs(home, { all: opts.all ?? false, ...(opts.at ? { now: opts.at } : {}) });
  const notes: { id: string; note: string }[] = [];
  const out: JobRecord[] = [];
  for (const r of listing.records) {
    if (!isActiveStatus(r.status)) {
      out.push(r);
      continue;
    }
    const rec = await reconcileRecord(home, r, opts);
    out.push(rec.record);
    if (rec.reason) notes.push({ id: r.id, note: rec.reason });
    if (rec.persistError) notes.push({ id: r.id, note: `could not record the verdict: ${rec.persistError}` });
  }
  return { records: sortNewestFirst(out), problems: listing.problems, notes };
}
