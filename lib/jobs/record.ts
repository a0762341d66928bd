// The job record: what `<home>/jobs/<id>.json` holds, its validation, and the `--json` view whose
// top-level names are fixed (docs/architecture.md §4). A record never holds a secret: argv is the user's own command line
// (it may hold a prompt) with secret option values redacted by the store (redactArgv), and our
// CODEX_AUTH_* environment is never stored.
//
// Validation is hand-written, not zod: `ls` validates every record of a home with 10 000 of them, and
// zod (import ~40 ms + ~10 µs per record, more before the JIT warms up) was most of the listing's
// cost. record-schema.ts keeps the same rules as a zod schema, and a test checks the two agree.
import type { JobKind } from "./ids.js";
import { JOB_ID_RE } from "./ids.js";

export const JOB_STATUSES = ["starting", "running", "restarting", "exited", "stopped", "failed", "lost"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses of a job whose processes may still be running (the only ones reconciliation looks at). */
const ACTIVE_STATUSES: ReadonlySet<JobStatus> = new Set(["starting", "running", "restarting"]);
export const isActiveStatus = (s: JobStatus): boolean => ACTIVE_STATUSES.has(s);

export const RECORD_SCHEMA_VERSION = 1;

/**
 * A process identity as lib/process/identity.ts defines it ({pid, startTicks, bootId}). Extra fields
 * (a platform may add one) round-trip through our records untouched.
 */
interface RecordedIdentity {
  pid: number;
  startTicks: number;
  bootId: string;
  [extra: string]: unknown;
}

export interface ProcessRef {
  pid: number;
  identity: RecordedIdentity;
}

/**
 * Fields written by a newer version survive a read-modify-write by this one (they are kept).
 * `rev` counts writes; it is what a non-owner's compare-and-swap checks (see store.ts).
 */
export interface JobRecord {
  schemaVersion: typeof RECORD_SCHEMA_VERSION;
  rev: number;
  id: string;
  kind: JobKind;
  name: string | null;
  status: JobStatus;
  supervisor: ProcessRef;
  child: ProcessRef | null;
  /** The value of CODEX_SUPERVISOR_JOB in every process of this job (= the id). */
  marker: string;
  cwd: string;
  argv: string[];
  sessionId: string | null;
  rolloutPath: string | null;
  account: string | null;
  restarts: number;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
  [extra: string]: unknown;
}

// ---- validation ----

/** Returns what was expected when `v` is wrong, else null. */
type Check = (v: unknown, path: string) => string | null;

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v); // as zod's .int()
const expect = (ok: boolean, what: string): string | null => (ok ? null : what);
const nullable = (c: Check, what: string): Check => (v, p) => (v === null ? null : c(v, p) === null ? null : `${what} or null`);

const positiveInt: Check = (v) => expect(isInt(v) && v > 0, "a positive integer");
const nonNegInt: Check = (v) => expect(isInt(v) && v >= 0, "a non-negative integer");
const int: Check = (v) => expect(isInt(v), "an integer");
const str: Check = (v) => expect(typeof v === "string", "a string");
const nonEmpty: Check = (v) => expect(typeof v === "string" && v.length > 0, "a non-empty string");
const isoTime: Check = (v) => expect(typeof v === "string" && !Number.isNaN(Date.parse(v)), "an ISO-8601 time");
const oneOf = (values: readonly string[]): Check => (v) => expect(typeof v === "string" && values.includes(v), `one of ${values.join(", ")}`);

/** A nested object: the first wrong member is reported with its dotted path. */
type Problem = { path: string; expected: string; got: unknown };
function checkObject(v: unknown, path: string, members: [string, Check | ((v: unknown, p: string) => Problem | null)][], out: Problem[]): void {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    out.push({ path, expected: "an object", got: v });
    return;
  }
  for (const [k, c] of members) {
    const child = (v as Record<string, unknown>)[k];
    const p = path ? `${path}.${k}` : k;
    const r = c(child, p);
    if (r === null) continue;
    if (typeof r === "string") out.push({ path: p, expected: r, got: child });
    else out.push(r);
    return;
  }
}

const identity = (v: unknown, p: string): Problem | null => {
  const out: Problem[] = [];
  checkObject(v, p, [["pid", positiveInt], ["startTicks", (x) => expect(typeof x === "number" && Number.isFinite(x) && x >= 0, "a non-negative number")], ["bootId", str]], out);
  return out[0] ?? null;
};
const processRef = (v: unknown, p: string): Problem | null => {
  const out: Problem[] = [];
  checkObject(v, p, [["pid", positiveInt], ["identity", identity]], out);
  return out[0] ?? null;
};

/** Every top-level field, in record order, with its rule (record-schema.ts mirrors this list). */
export const RECORD_FIELD_CHECKS: [keyof JobRecord & string, Check | ((v: unknown, p: string) => Problem | null)][] = [
  ["schemaVersion", (v) => expect(v === RECORD_SCHEMA_VERSION, `${RECORD_SCHEMA_VERSION} (this version's record format)`)],
  ["rev", nonNegInt],
  ["id", (v) => expect(typeof v === "string" && JOB_ID_RE.test(v), "a job id (s-YYYYMMDD-xxxxxxxx or j-YYYYMMDD-xxxxxxxx)")],
  ["kind", oneOf(["session", "job"])],
  ["name", nullable(nonEmpty, "a non-empty string")],
  ["status", oneOf(JOB_STATUSES)],
  ["supervisor", processRef],
  ["child", (v, p) => (v === null ? null : processRef(v, p))],
  ["marker", nonEmpty],
  ["cwd", str],
  ["argv", (v) => expect(Array.isArray(v) && v.every((a) => typeof a === "string"), "an array of strings")],
  ["sessionId", nullable(str, "a string")],
  ["rolloutPath", nullable(str, "a string")],
  ["account", nullable(str, "a string")],
  ["restarts", nonNegInt],
  ["createdAt", isoTime],
  ["updatedAt", isoTime],
  ["endedAt", nullable(isoTime, "an ISO-8601 time")],
  ["exitCode", nullable(int, "an integer")],
  ["signal", nullable(str, "a string")],
  ["reason", nullable(str, "a string")],
];

function show(v: unknown): string {
  if (v === undefined) return "nothing (missing)";
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Validate a parsed record; a problem text naming the first bad field, or the record. */
export function parseJobRecord(value: unknown): { ok: true; record: JobRecord } | { ok: false; problem: string } {
  const problems: Problem[] = [];
  checkObject(value, "", RECORD_FIELD_CHECKS, problems);
  const p = problems[0];
  if (!p) return { ok: true, record: value as JobRecord };
  return { ok: false, problem: p.path ? `field "${p.path}": expected ${p.expected}, got ${show(p.got)}` : `expected a JSON object, got ${show(p.got)}` };
}

/** Fields a writer may change with updateJob (identity fields and bookkeeping are not patchable). */
export type JobPatch = Partial<Omit<JobRecord, "schemaVersion" | "rev" | "id" | "kind" | "marker" | "createdAt" | "updatedAt">>;

export interface NewJobInit {
  id: string;
  kind: JobKind;
  name?: string | null;
  supervisor: ProcessRef;
  child?: ProcessRef | null;
  cwd: string;
  argv: string[];
  account?: string | null;
  status?: JobStatus;
}

/** A fresh record (pure). */
export function newJobRecord(init: NewJobInit, now: Date = new Date()): JobRecord {
  const t = now.toISOString();
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    rev: 0,
    id: init.id,
    kind: init.kind,
    name: init.name ?? null,
    status: init.status ?? "starting",
    supervisor: init.supervisor,
    child: init.child ?? null,
    marker: init.id,
    cwd: init.cwd,
    argv: [...init.argv],
    sessionId: null,
    rolloutPath: null,
    account: init.account ?? null,
    restarts: 0,
    createdAt: t,
    updatedAt: t,
    endedAt: null,
    exitCode: null,
    signal: null,
    reason: null,
  };
}

/** The record's fields the `--json` view copies as they are: these, then pid and childPid, then TAIL. */
const HEAD = ["id", "kind", "name", "status", "sessionId", "account"] as const;
const TAIL = ["restarts", "cwd", "argv", "createdAt", "updatedAt", "endedAt", "exitCode", "signal", "reason"] as const;
type Copied = (typeof HEAD)[number] | (typeof TAIL)[number];

/**
 * `--json` shape: the promised names at the top level (plus name, argv and endedAt); built from an
 * allow-list so a field a newer version adds never leaks into it unreviewed.
 */
type JobJsonView = Pick<JobRecord, Copied> & { pid: number; childPid: number | null };

function pick<K extends Copied>(r: JobRecord, keys: readonly K[]): Pick<JobRecord, K> {
  return Object.fromEntries(keys.map((k) => [k, r[k]])) as Pick<JobRecord, K>;
}

export function toJsonView(r: JobRecord): JobJsonView {
  return { ...pick(r, HEAD), pid: r.supervisor.pid, childPid: r.child ? r.child.pid : null, ...pick(r, TAIL) };
}
