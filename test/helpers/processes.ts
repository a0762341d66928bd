// Process inspection for tests (Linux /proc). Finds processes by an environment entry (our job marker,
// or a test's unique CODEX_HOME), walks descendants, waits for exits with a deadline, and kills only
// processes a test started and tracked, re-checking each one's start time so a recycled PID is never hit.
import fs from "node:fs";
import { ignorePollTimeout, pollUntil } from "./poll.js";

export const JOB_MARKER_ENV = "CODEX_SUPERVISOR_JOB";

/** A process pinned by its start time (field 22 of /proc/PID/stat), so PID reuse is detectable. */
export interface TrackedProcess {
  pid: number;
  startTicks: number;
}

interface StatInfo {
  pid: number;
  ppid: number;
  state: string;
  startTicks: number;
  comm: string;
}

function readStat(pid: number): StatInfo | null {
  let s: string;
  try {
    s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm is in parentheses and may contain spaces or ')': split after the last ')'.
  const close = s.lastIndexOf(")");
  const comm = s.slice(s.indexOf("(") + 1, close);
  const rest = s.slice(close + 2).split(" ");
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return { pid, state: rest[0] ?? "?", ppid: Number(rest[1]), startTicks: Number(rest[19]), comm };
}

function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Alive = present and not a zombie (a zombie has exited; only its parent's wait is missing). */
function aliveStat(pid: number): StatInfo | null {
  const st = readStat(pid);
  return st && st.state !== "Z" && st.state !== "X" ? st : null;
}

/** Pin a PID to its current start time; null if it is not running. */
export function track(pid: number): TrackedProcess | null {
  const st = aliveStat(pid);
  return st ? { pid, startTicks: st.startTicks } : null;
}

/** Still the same process, and not exited. */
export function isStillRunning(p: TrackedProcess | number): boolean {
  if (typeof p === "number") return aliveStat(p) !== null;
  const st = aliveStat(p.pid);
  return st !== null && st.startTicks === p.startTicks;
}

export function readEnviron(pid: number): Map<string, string> | null {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(`/proc/${pid}/environ`);
  } catch {
    return null; // gone, or not ours (EACCES)
  }
  const m = new Map<string, string>();
  for (const entry of raw.toString("utf8").split("\0")) {
    const i = entry.indexOf("=");
    if (i > 0) m.set(entry.slice(0, i), entry.slice(i + 1));
  }
  return m;
}

export interface EnvMatch extends TrackedProcess {
  value: string;
  comm: string;
}

/** Running processes whose environment has `key` (equal to `value` if given). */
export function findProcessesByEnv(key: string, value?: string): EnvMatch[] {
  const out: EnvMatch[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const env = readEnviron(pid);
    const v = env?.get(key);
    if (v === undefined || (value !== undefined && v !== value)) continue;
    const st = aliveStat(pid);
    if (st) out.push({ pid, startTicks: st.startTicks, value: v, comm: st.comm });
  }
  return out;
}

/** Processes carrying CODEX_SUPERVISOR_JOB (equal to `marker` if given). */
export function findMarkedProcesses(marker?: string): EnvMatch[] {
  return findProcessesByEnv(JOB_MARKER_ENV, marker);
}

/** Running descendants of `pid` (children, grandchildren...), not including `pid`. */
export function descendantsOf(pid: number): TrackedProcess[] {
  const children = new Map<number, StatInfo[]>();
  for (const p of allPids()) {
    const st = aliveStat(p);
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(st);
    children.set(st.ppid, list);
  }
  const out: TrackedProcess[] = [];
  const queue = [pid];
  const seen = new Set<number>([pid]);
  while (queue.length > 0) {
    const cur = queue.shift()!;
    for (const c of children.get(cur) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      out.push({ pid: c.pid, startTicks: c.startTicks });
      queue.push(c.pid);
    }
  }
  return out;
}

/** The short command name of a running process, or null. */
export function commOf(pid: number): string | null {
  return aliveStat(pid)?.comm ?? null;
}

function toTracked(list: Array<TrackedProcess | number>): TrackedProcess[] {
  return list.map((p) => (typeof p === "number" ? track(p) : p)).filter((p): p is TrackedProcess => p !== null);
}

/** Poll until none of `procs` runs; resolves with the ones still running at the deadline (empty = all gone). */
export async function waitForGone(procs: Array<TrackedProcess | number>, timeoutMs: number): Promise<TrackedProcess[]> {
  let left = toTracked(procs);
  await pollUntil(() => (left = left.filter((p) => isStillRunning(p))).length === 0, timeoutMs, "the processes to exit").catch(ignorePollTimeout);
  return left;
}

/**
 * Cleanup: SIGKILL each tracked process that is still the same process. Use only for processes the
 * test started (or found by its own unique marker / CODEX_HOME). Returns the PIDs signalled.
 */
export function killTracked(procs: Array<TrackedProcess | number>, signal: NodeJS.Signals = "SIGKILL"): number[] {
  const hit: number[] = [];
  for (const p of toTracked(procs)) {
    if (!isStillRunning(p)) continue;
    try {
      process.kill(p.pid, signal);
      hit.push(p.pid);
    } catch {
      // Exited in between.
    }
  }
  return hit;
}

export type LeftoverQuery =
  | Array<TrackedProcess | number>
  | { marker: string }
  | { envKey: string; envValue: string };

function describe(p: TrackedProcess): string {
  const st = readStat(p.pid);
  let cmd = "";
  try {
    cmd = fs.readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    // gone
  }
  return `${p.pid} (${st?.comm ?? "?"}, state ${st?.state ?? "?"}) ${cmd}`;
}

/**
 * Assert that nothing is left: waits up to `graceMs` for the processes to go, then throws an Error
 * listing the survivors (after killing them, so one failing test does not leak into the next).
 */
export async function expectNoLeftovers(q: LeftoverQuery, graceMs = 3000): Promise<void> {
  const find = (): TrackedProcess[] =>
    Array.isArray(q)
      ? toTracked(q)
      : "marker" in q
        ? findMarkedProcesses(q.marker)
        : findProcessesByEnv(q.envKey, q.envValue);
  let left = find().filter((p) => isStillRunning(p));
  await pollUntil(
    () => (left = Array.isArray(q) ? left.filter((p) => isStillRunning(p)) : find()).length === 0,
    graceMs,
    "the processes to exit",
  ).catch(ignorePollTimeout);
  if (left.length === 0) return;
  const text = left.map(describe).join("\n  ");
  killTracked(left);
  throw new Error(`leftover processes (now killed):\n  ${text}`);
}

/** What a process's open file descriptors point at (/proc/PID/fd links); [] when unreadable or gone. */
export function openFilesOf(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      out.push(fs.readlinkSync(`${dir}/${fd}`));
    } catch {
      // closed in between
    }
  }
  return out;
}
