// Shared bits for the jobs tests: temp homes and records with real identities.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readIdentity } from "../../lib/process/identity.js";
import { newJobId } from "../../lib/jobs/ids.js";
import type { ProcessRef } from "../../lib/jobs/record.js";

export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "jobs-test-"));
}

/** A ProcessRef for a live pid (this process by default). */
export function refOf(pid: number = process.pid): ProcessRef {
  const identity = readIdentity(pid);
  if (!identity) throw new Error(`no process ${pid}`);
  return { pid, identity };
}

export function fakeRef(pid: number, startTicks = 1): ProcessRef {
  return { pid, identity: { pid, startTicks, bootId: "00000000-0000-0000-0000-000000000000" } };
}

export { newJobId };
