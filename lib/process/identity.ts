// Process identity: a PID alone can be reused by an unrelated process, so everything we might signal is
// named by (pid, start time, boot). Linux: /proc/PID/stat field 22 (start time in clock ticks since
// boot) + /proc/sys/kernel/random/boot_id. macOS: `ps -o lstart` (start time, 1 s resolution) +
// kern.boottime.
import { execFileSync } from "node:child_process";
import fs from "node:fs";

// A type alias (not an interface) so it is assignable to the records' loose zod object type.
export type ProcessIdentity = {
  pid: number;
  /** Linux: start time in clock ticks since boot. macOS: start time in epoch seconds. */
  startTicks: number;
  bootId: string;
};

/** The fields of /proc/PID/stat we use. */
export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z (zombie), T (stopped), t, X, I… */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  startTicks: number;
}

const isLinux = process.platform === "linux";

/**
 * Parse /proc/PID/stat. comm (field 2) is in parentheses and may itself contain spaces and ')', so the
 * fields after it are split from the LAST ')'. Returns null on anything malformed.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // After ')': field 3 (state) is rest[0]; field N is rest[N - 3].
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const state = rest[0];
  const ppid = Number(rest[1]);
  const pgrp = Number(rest[2]);
  const session = Number(rest[3]);
  const startTicks = Number(rest[19]);
  if (!Number.isInteger(pid) || !state || ![ppid, pgrp, session, startTicks].every(Number.isInteger)) return null;
  return { pid, comm, state, ppid, pgrp, session, startTicks };
}

/** /proc/PID/stat of a live (or zombie) process, or null when it does not exist. */
export function readProcStat(pid: number): ProcStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  return parseProcStat(text);
}

let bootIdCache: string | null = null;
/** Identifies the current boot: start ticks restart from zero on reboot. */
export function readBootId(): string {
  if (bootIdCache !== null) return bootIdCache;
  if (isLinux) {
    bootIdCache = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } else {
    // "{ sec = 1700000000, usec = 123 } Tue Nov 14 ..." → the seconds identify the boot.
    const out = execFileSync("sysctl", ["-n", "kern.boottime"], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
    const m = /sec\s*=\s*(\d+)/.exec(out);
    bootIdCache = m ? `boottime-${m[1]}` : out.trim();
  }
  return bootIdCache;
}

/** macOS: `ps` line "pid ppid stat lstart(5 words) comm" with LC_ALL=C. Exported for proc-table. */
export function parsePsLine(line: string): { pid: number; ppid: number; state: string; startSec: number; comm: string } | null {
  const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\w{3}\s+\w{3}\s+\d+\s+[\d:]+\s+\d{4})\s+(.*)$/.exec(line);
  if (!m) return null;
  const startMs = Date.parse(m[4]!);
  if (!Number.isFinite(startMs)) return null;
  return { pid: Number(m[1]), ppid: Number(m[2]), state: m[3]!.charAt(0), startSec: Math.floor(startMs / 1000), comm: m[5]!.trim() };
}

function psOne(pid: number): ReturnType<typeof parsePsLine> {
  try {
    const out = execFileSync("ps", ["-o", "pid=,ppid=,stat=,lstart=,comm=", "-p", String(pid)], {
      encoding: "utf8",
      env: { ...process.env, LC_ALL: "C" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    return parsePsLine(out.split("\n")[0] ?? "");
  } catch {
    return null; // ps exits 1 when the pid does not exist
  }
}

/** Identity and state of `pid` right now, or null when no such process exists. */
export function readIdentityAndState(pid: number): { identity: ProcessIdentity; state: string; ppid: number } | null {
  if (isLinux) {
    const st = readProcStat(pid);
    if (!st) return null;
    return { identity: { pid, startTicks: st.startTicks, bootId: readBootId() }, state: st.state, ppid: st.ppid };
  }
  const ps = psOne(pid);
  if (!ps) return null;
  return { identity: { pid, startTicks: ps.startSec, bootId: readBootId() }, state: ps.state, ppid: ps.ppid };
}

/** The identity of `pid` now, or null when it does not exist. */
export function readIdentity(pid: number): ProcessIdentity | null {
  return readIdentityAndState(pid)?.identity ?? null;
}

export function sameIdentity(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.startTicks === b.startTicks && a.bootId === b.bootId;
}

/** A zombie (Z) or dead (X) process has exited; only its parent's wait() remains. */
export function isExitedState(state: string): boolean {
  return state === "Z" || state === "X" || state === "x";
}

/**
 * The process named by `identity` still runs: same pid, same start time, same boot, not a zombie.
 * (Read from /proc, so permissions do not matter: no EPERM case on Linux.)
 */
export function isAlive(identity: ProcessIdentity): boolean {
  const now = readIdentityAndState(identity.pid);
  return now !== null && sameIdentity(now.identity, identity) && !isExitedState(now.state);
}
