// *Pure*: the /proc file formats the Linux port reads (proc(5)).

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

/** The values of `keys` in a NUL-separated /proc/PID/environ block. Last assignment wins, as the environment reads it. */
export function envFromEnviron(environ: string, keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (keys.length === 0) return out;
  for (const entry of environ.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const key = entry.slice(0, eq);
    if (keys.includes(key)) out.set(key, entry.slice(eq + 1));
  }
  return out;
}

/** The access mode bits of an fd's open flags (`flags:` in /proc/PID/fdinfo/FD, octal): null when absent. */
export function fdinfoWritable(fdinfo: string): boolean | null {
  const m = /^flags:\s*([0-7]+)\s*$/m.exec(fdinfo);
  if (!m) return null;
  const accmode = parseInt(m[1]!, 8) & 3;
  return accmode === 1 || accmode === 2;
}
