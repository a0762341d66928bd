// The sessions of this home that are waiting for a quota reset or restarting (a rotation, a crash
// restart) right now, for `statusline`: the active set's records, read only — no reconciliation, no
// write, no lock — and a record counts only while its supervisor is verifiably alive (pid + start
// time + boot id), so a crashed one leaves no marker behind. It runs every few seconds, so it reads
// just the fields it uses (a record that is not `restarting` is not looked at further); `ls` and
// `status` are where a record is validated whole and an unreadable one is named.
import { assertTrustedHome } from "../fs/trust.js";
import fs from "node:fs";
import { activeJobsDir, jobRecordFile } from "../paths.js";
import { isJobId } from "../jobs/ids.js";
import { isAlive } from "../process/identity.js";

type LiveState = "waiting" | "restarting";

export interface LiveSession {
  id: string;
  state: LiveState;
  account: string | null;
  reason: string | null;
  /** When the record last changed (the wait or restart began). */
  since: string;
}

/** The supervisor records a wait as status `restarting` with a reason saying it waits for a reset. */
function liveStateOf(status: unknown, reason: string | null): LiveState | null {
  if (status !== "restarting") return null;
  return reason !== null && /\bwait/i.test(reason) ? "waiting" : "restarting";
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === "string";

/** The part of a record the status line uses, or null when it is not a restarting record of this id. */
function restartingRecordOf(id: string, text: string): { session: LiveSession; supervisor: { pid: number; startTicks: number; bootId: string } } | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(v) || v.id !== id) return null;
  const reason = v.reason ?? null;
  if (!strOrNull(reason)) return null;
  const state = liveStateOf(v.status, reason);
  if (state === null) return null;
  const sup = isObj(v.supervisor) ? v.supervisor.identity : null;
  if (!isObj(sup) || !Number.isSafeInteger(sup.pid) || !Number.isSafeInteger(sup.startTicks) || typeof sup.bootId !== "string") return null;
  const account = v.account ?? null;
  if (!strOrNull(account) || typeof v.updatedAt !== "string") return null;
  return {
    session: { id, state, account, reason, since: v.updatedAt },
    supervisor: { pid: sup.pid as number, startTicks: sup.startTicks as number, bootId: sup.bootId },
  };
}

export function liveSessions(home: string): LiveSession[] {
  assertTrustedHome(home); // records in a home that is not ours alone are never shown (lib/fs/trust.ts)
  let ids: string[];
  try {
    ids = fs.readdirSync(activeJobsDir(home)).filter(isJobId); // ids become file names: nothing else is opened
  } catch {
    return []; // no jobs yet (or unreadable: `ls` says why)
  }
  const out: LiveSession[] = [];
  for (const id of ids.sort()) {
    let text: string;
    try {
      const fd = fs.openSync(jobRecordFile(home, id), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        text = fs.readFileSync(fd, "utf8");
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      continue; // removed meanwhile, or not ours to open
    }
    const r = restartingRecordOf(id, text);
    if (r && isAlive(r.supervisor)) out.push(r.session);
  }
  return out;
}
