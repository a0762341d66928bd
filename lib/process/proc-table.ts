// The process table with identities, and the job marker a process carries in its environment.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { parsePsLine, readBootId, readProcStat, type ProcessIdentity } from "./identity.js";

/** The environment variable every process of a supervised job inherits (contracts-extra §4). */
export const JOB_MARKER_ENV = "CODEX_SUPERVISOR_JOB";

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** Single-letter state (R, S, Z, T…). */
  state: string;
  identity: ProcessIdentity;
}

function listLinux(): ProcInfo[] {
  const bootId = readBootId();
  const out: ProcInfo[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = readProcStat(Number(name));
    if (!st) continue; // exited while we listed
    out.push({
      pid: st.pid,
      ppid: st.ppid,
      comm: st.comm,
      state: st.state,
      identity: { pid: st.pid, startTicks: st.startTicks, bootId },
    });
  }
  return out;
}

function listPs(): ProcInfo[] {
  const bootId = readBootId();
  const text = execFileSync("ps", ["-A", "-o", "pid=,ppid=,stat=,lstart=,comm="], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
    maxBuffer: 64 * 1024 * 1024,
  });
  const out: ProcInfo[] = [];
  for (const line of text.split("\n")) {
    const p = parsePsLine(line);
    if (p) out.push({ pid: p.pid, ppid: p.ppid, comm: p.comm, state: p.state, identity: { pid: p.pid, startTicks: p.startSec, bootId } });
  }
  return out;
}

/** Every process visible now, with its identity. */
export function listProcesses(): ProcInfo[] {
  return process.platform === "linux" ? listLinux() : listPs();
}

/** The value of `key` in a NUL-separated environ block (pure). Last assignment wins, like getenv. */
export function envValue(environ: string, key: string): string | null {
  let found: string | null = null;
  const prefix = `${key}=`;
  for (const entry of environ.split("\0")) if (entry.startsWith(prefix)) found = entry.slice(prefix.length);
  return found;
}

/** The whole environment a process was started with, or null when unreadable (gone, not ours, zombie). */
export function readEnviron(pid: number): string | null {
  if (process.platform === "linux") {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, "latin1");
    } catch {
      return null;
    }
  }
  // macOS: `ps -E` appends the environment to the command line (own processes only); best effort.
  try {
    const out = execFileSync("ps", ["-wwE", "-o", "command=", "-p", String(pid)], {
      encoding: "utf8",
      env: { ...process.env, LC_ALL: "C" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.trim().split(/ (?=[A-Za-z_][A-Za-z0-9_]*=)/).join("\0");
  } catch {
    return null;
  }
}

/** The job id a process carries in CODEX_SUPERVISOR_JOB, or null (none, unreadable, or gone). */
export function readMarker(pid: number, key: string = JOB_MARKER_ENV): string | null {
  const env = readEnviron(pid);
  if (env === null) return null;
  const v = envValue(env, key);
  return v === null || v === "" ? null : v;
}
