// The job record: what `<home>/jobs/<id>.json` holds, its zod schema, and the `--json` view whose
// top-level names SPEC §5 fixes. A record never holds a secret: argv is the user's own command line
// (it may hold a prompt), and our CODEX_AUTH_* environment is never stored.
import { z } from "zod";
import { JOB_ID_RE, type JobKind } from "./ids.js";

export const JOB_STATUSES = ["starting", "running", "restarting", "exited", "stopped", "failed", "lost"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses of a job whose processes may still be running (the only ones reconciliation looks at). */
export const ACTIVE_STATUSES: ReadonlySet<JobStatus> = new Set(["starting", "running", "restarting"]);
export const isActiveStatus = (s: JobStatus): boolean => ACTIVE_STATUSES.has(s);

export const RECORD_SCHEMA_VERSION = 1;

/**
 * A process identity as lib/process/identity.ts defines it ({pid, startTicks, bootId}). Loose so a
 * platform that adds a field (e.g. a macOS start time) round-trips through our records untouched.
 */
export const processIdentitySchema = z.looseObject({
  pid: z.number().int().positive(),
  startTicks: z.number().nonnegative(),
  bootId: z.string(),
});
export type RecordedIdentity = z.infer<typeof processIdentitySchema>;

export const processRefSchema = z.object({
  pid: z.number().int().positive(),
  identity: processIdentitySchema,
});
export type ProcessRef = z.infer<typeof processRefSchema>;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: "expected an ISO-8601 time" });

/**
 * Loose at the top level: fields written by a newer version survive a read-modify-write by this one.
 * `rev` counts writes; it is what a non-owner's compare-and-swap checks (see store.ts).
 */
export const jobRecordSchema = z.looseObject({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  rev: z.number().int().nonnegative(),
  id: z.string().regex(JOB_ID_RE),
  kind: z.enum(["session", "job"]),
  name: z.string().min(1).nullable(),
  status: z.enum(JOB_STATUSES),
  supervisor: processRefSchema,
  child: processRefSchema.nullable(),
  /** The value of CODEX_SUPERVISOR_JOB in every process of this job (= the id). */
  marker: z.string().min(1),
  cwd: z.string(),
  argv: z.array(z.string()),
  sessionId: z.string().nullable(),
  rolloutPath: z.string().nullable(),
  account: z.string().nullable(),
  restarts: z.number().int().nonnegative(),
  createdAt: isoTime,
  updatedAt: isoTime,
  endedAt: isoTime.nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  reason: z.string().nullable(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

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

/** Validate a parsed record; a problem text naming the first bad field, or the record. */
export function parseJobRecord(value: unknown): { ok: true; record: JobRecord } | { ok: false; problem: string } {
  const r = jobRecordSchema.safeParse(value);
  if (r.success) return { ok: true, record: r.data };
  const issue = r.error.issues[0]!;
  const where = issue.path.length > 0 ? `field "${issue.path.join(".")}"` : "record";
  return { ok: false, problem: `${where}: ${issue.message}` };
}

/** `--json` shape: SPEC §5 names at the top level (plus name, argv and endedAt). */
export interface JobJsonView {
  id: string;
  kind: JobKind;
  name: string | null;
  status: JobStatus;
  sessionId: string | null;
  account: string | null;
  pid: number;
  childPid: number | null;
  restarts: number;
  cwd: string;
  argv: string[];
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
}

export function toJsonView(r: JobRecord): JobJsonView {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    status: r.status,
    sessionId: r.sessionId,
    account: r.account,
    pid: r.supervisor.pid,
    childPid: r.child ? r.child.pid : null,
    restarts: r.restarts,
    cwd: r.cwd,
    argv: r.argv,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    endedAt: r.endedAt,
    exitCode: r.exitCode,
    signal: r.signal,
    reason: r.reason,
  };
}
