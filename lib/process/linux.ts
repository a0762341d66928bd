// The process-table port on Linux: everything is read from /proc (proc(5)), no process is spawned.
// Identity = /proc/PID/stat field 22 (start time in clock ticks since boot, 10 ms here) + the boot id;
// two processes cannot share a pid within one tick, so nothing else is compared.
import fs from "node:fs";
import { envFromEnviron, fdinfoWritable, parseProcStat, type ProcStat } from "./proc-format.js";
import type { OpenFile, ProcessPlatform, ProcInfo, ProcWithEnv } from "./platform.js";

/** A /proc file's text, or null when the process is gone (ENOENT/ESRCH) or not readable by us (EACCES). */
function readProcFile(file: string, encoding: BufferEncoding): string | null {
  try {
    return fs.readFileSync(file, encoding);
  } catch (err) {
    if (isGoneOrForbidden(err)) return null;
    throw err;
  }
}

/** The errors a /proc read meets when the process exits meanwhile or belongs to someone else. */
function isGoneOrForbidden(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ESRCH" || code === "EACCES" || code === "EPERM" || code === "ENOTDIR";
}

function readStat(pid: number): ProcStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const text = readProcFile(`/proc/${pid}/stat`, "utf8");
  return text === null ? null : parseProcStat(text);
}

let bootIdCache: string | null = null;
function bootId(): string {
  bootIdCache ??= fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  return bootIdCache;
}

function toInfo(st: ProcStat): ProcInfo {
  return { pid: st.pid, ppid: st.ppid, comm: st.comm, state: st.state, identity: { pid: st.pid, startTicks: st.startTicks, bootId: bootId() } };
}

function pidsInProc(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

function list(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const pid of pidsInProc()) {
    const st = readStat(pid);
    if (st) out.push(toInfo(st)); // null: exited while we listed
  }
  return out;
}

function envOf(pid: number, keys: readonly string[]): ReadonlyMap<string, string> | null {
  // UTF-8, as our values (paths included) are written; a value that is not UTF-8 matches none of ours.
  const environ = readProcFile(`/proc/${pid}/environ`, "utf8");
  return environ === null ? null : envFromEnviron(environ, keys);
}

function listWithEnv(keys: readonly string[]): ProcWithEnv[] {
  return list().map((p) => ({ ...p, env: envOf(p.pid, keys) }));
}

function probe(pids: readonly number[]): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  for (const pid of pids) {
    const st = readStat(pid);
    if (st) out.set(pid, toInfo(st));
  }
  return out;
}

/** /proc/self/fd is readable: without it (a restricted /proc) nobody's descriptors can be listed. */
function procFdsUsable(): boolean {
  try {
    fs.readdirSync("/proc/self/fd");
    return true;
  } catch (err) {
    if (isGoneOrForbidden(err)) return false;
    throw err;
  }
}

function readLink(file: string): string | null {
  try {
    return fs.readlinkSync(file);
  } catch (err) {
    if (isGoneOrForbidden(err)) return null; // the descriptor was closed meanwhile
    throw err;
  }
}

function openFiles(pids: readonly number[], dir: string): OpenFile[] | null {
  if (!procFdsUsable()) return null;
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const out: OpenFile[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch (err) {
      if (isGoneOrForbidden(err)) continue; // exited, or not ours to read
      throw err;
    }
    for (const fd of fds) {
      const target = readLink(`/proc/${pid}/fd/${fd}`);
      // A deleted file reads as "<path> (deleted)"; callers match names, so it never passes for a live one.
      if (target === null || !target.startsWith(prefix)) continue;
      // Unreadable fdinfo = closed in between: not held. The link is read again so the flags of a
      // descriptor number reused for another file meanwhile are not taken for this one's.
      const info = readProcFile(`/proc/${pid}/fdinfo/${fd}`, "utf8");
      const same = info !== null && readLink(`/proc/${pid}/fd/${fd}`) === target;
      out.push({ pid, fd: Number(fd), path: target, writable: same && fdinfoWritable(info) === true });
    }
  }
  return out;
}

/** /proc/PID/task/TID/children of every thread (CONFIG_PROC_CHILDREN); null on a kernel without them. */
function childrenOf(pid: number): number[] | null {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch (err) {
    if (isGoneOrForbidden(err)) return []; // exited
    throw err;
  }
  const out: number[] = [];
  for (const tid of tasks) {
    const text = readProcFile(`/proc/${pid}/task/${tid}/children`, "utf8");
    if (text === null) {
      if (fs.existsSync(`/proc/${pid}/task/${tid}`)) return null; // the thread is there, its list is not: no CONFIG_PROC_CHILDREN
      continue; // the thread exited meanwhile
    }
    for (const c of text.split(" ")) if (c.trim() !== "") out.push(Number(c));
  }
  return out;
}

export const linuxPlatform: ProcessPlatform = { name: "linux", bootId, list, listWithEnv, probe, envOf, openFiles, childrenOf };
