// Job ids: `s-<yyyymmdd>-<8 hex>` for supervised sessions, `j-<yyyymmdd>-<8 hex>`
// for background jobs. The date (local, like codex's rollout paths) makes ids sort by creation day and
// tells a human roughly how old a job is; 32 random bits keep same-day ids apart.
import { randomBytes } from "node:crypto";
import { UsageError } from "../errors.js";
import { safeToEcho } from "../text/user-text.js";

export type JobKind = "session" | "job";

const PREFIX: Record<JobKind, string> = { session: "s", job: "j" };

export const JOB_ID_RE = /^[sj]-\d{8}-[0-9a-f]{8}$/;

export function newJobId(kind: JobKind, now: Date = new Date(), random: Buffer = randomBytes(4)): string {
  const y = String(now.getFullYear()).padStart(4, "0");
  const m = String(now.getMonth() + 1).padStart(2, "0");
  const d = String(now.getDate()).padStart(2, "0");
  return `${PREFIX[kind]}-${y}${m}${d}-${random.subarray(0, 4).toString("hex").padStart(8, "0")}`;
}

/** True for a well-formed job id. Ids become file names, so anything else is never used as one. */
export function isJobId(s: string): boolean {
  return JOB_ID_RE.test(s);
}

/** Ids become file names: never let anything else near the file system. */
export function assertJobId(id: string): void {
  if (!isJobId(id)) throw new UsageError(`${safeToEcho(id)} is not a job id (expected s-YYYYMMDD-xxxxxxxx or j-YYYYMMDD-xxxxxxxx)`);
}
