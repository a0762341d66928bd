// The job record format as a zod schema: the declarative statement of the rules record.ts checks by
// hand on the hot path (`ls` over thousands of records). A test feeds both the same valid and invalid
// records and requires the same verdict, so neither drifts; `z.toJSONSchema(jobRecordSchema)` can
// document the format. Not imported at run time (zod costs ~40 ms to load).
import { z } from "zod";
import { JOB_ID_RE } from "./ids.js";
import { JOB_STATUSES, RECORD_SCHEMA_VERSION } from "./record.js";

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: "expected an ISO-8601 time" });

const processIdentitySchema = z.looseObject({
  pid: z.number().int().positive(),
  startTicks: z.number().nonnegative(),
  bootId: z.string(),
});

const processRefSchema = z.object({
  pid: z.number().int().positive(),
  identity: processIdentitySchema,
});

export const jobRecordSchema = z.looseObject({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  rev: z.number().int().nonnegative(),
  id: z.string().regex(JOB_ID_RE),
  kind: z.enum(["session", "job"]),
  name: z.string().min(1).nullable(),
  status: z.enum(JOB_STATUSES),
  supervisor: processRefSchema,
  child: processRefSchema.nullable(),
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
