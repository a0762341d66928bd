// A snapshot of a job's processes: every descendant of the roots, plus every process carrying the job's
// marker — those escape the tree when reparented to init (their parent died) or after setsid().
import { hostPlatform } from "./host.js";
import type { ProcessPlatform } from "./platform.js";
import { listMarked, markerOf, type ProcInfo, type ProcWithEnv } from "./proc-table.js";

export interface TreeMember extends ProcInfo {
  /** Why it belongs: a root, below a root in the parent chain, or found by its marker only. */
  via: "root" | "descendant" | "marker";
}

/** Roots (when present, never pid 0/1) and all their descendants in `table` (pure; breadth-first). */
function descendantsOf(table: readonly ProcInfo[], rootPids: Iterable<number>): TreeMember[] {
  const children = new Map<number, ProcInfo[]>();
  const byPid = new Map<number, ProcInfo>();
  for (const p of table) {
    byPid.set(p.pid, p);
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const out: TreeMember[] = [];
  const seen = new Set<number>();
  const queue: { p: ProcInfo; via: TreeMember["via"] }[] = [];
  for (const pid of rootPids) {
    const p = byPid.get(pid);
    // Never root a walk at the kernel (0) or init (1): their descendants are the whole system.
    if (p && pid > 1 && !seen.has(pid)) {
      seen.add(pid);
      queue.push({ p, via: "root" });
    }
  }
  while (queue.length > 0) {
    const { p, via } = queue.shift()!;
    out.push({ ...p, via });
    for (const c of children.get(p.pid) ?? []) {
      if (c.pid <= 1 || seen.has(c.pid)) continue;
      seen.add(c.pid);
      queue.push({ p: c, via: "descendant" });
    }
  }
  return out;
}

interface SnapshotOptions {
  /** Also include every process whose CODEX_SUPERVISOR_JOB equals this. */
  marker?: string | null;
  /** One read of the table shared with the caller; with a `marker` it must be one from listMarked(). */
  table?: readonly ProcInfo[] | readonly ProcWithEnv[];
  platform?: ProcessPlatform;
}

/**
 * Descendants of `rootPids` (a root that no longer exists contributes nothing), plus marker carriers.
 * Identities come from the same read of the table (one `ps` on macOS, markers included), so a
 * member's identity is what the pid was at snapshot time.
 */
export function snapshotTree(rootPids: number | readonly number[], opts: SnapshotOptions = {}): TreeMember[] {
  const platform = opts.platform ?? hostPlatform();
  const table: readonly ProcInfo[] = opts.table ?? (opts.marker ? listMarked(platform) : platform.list());
  const roots = typeof rootPids === "number" ? [rootPids] : rootPids;
  const members = descendantsOf(table, roots);
  if (opts.marker) {
    const have = new Set(members.map((m) => m.pid));
    const extraRoots: number[] = [];
    for (const p of table) {
      if (have.has(p.pid) || p.pid <= 1) continue;
      if (!("env" in p)) throw new Error("snapshotTree: a marker scan needs a table read with its markers (listMarked)");
      if (markerOf(p as ProcWithEnv) === opts.marker) extraRoots.push(p.pid);
    }
    // A marker carrier's own children belong too (they carry the marker as well unless they reset
    // their environment, which is exactly the case this catches).
    for (const m of descendantsOf(table, extraRoots)) {
      if (have.has(m.pid)) continue;
      have.add(m.pid);
      members.push({ ...m, via: m.via === "root" ? "marker" : "descendant" });
    }
  }
  return members;
}

/**
 * The pids of `rootPids` and all their descendants, cheaply: from the kernel's child lists where the
 * platform has them (the cost is the tree, not the machine), else from one read of the table.
 */
export function descendantPids(rootPids: readonly number[], platform: ProcessPlatform = hostPlatform()): number[] {
  const seen = new Set<number>();
  const queue = rootPids.filter((p) => Number.isInteger(p) && p > 1);
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const children = platform.childrenOf(pid);
    if (children === null) return descendantsOf(platform.list(), rootPids).map((m) => m.pid);
    for (const c of children) if (c > 1 && !seen.has(c)) queue.push(c);
  }
  return [...seen];
}

/** This process and its ancestors, by the table's ppid links: never to be signalled by us. */
export function selfAndAncestors(table: readonly ProcInfo[]): Set<number> {
  const byPid = new Map(table.map((p) => [p.pid, p]));
  const out = new Set<number>();
  let pid: number | undefined = process.pid;
  while (pid !== undefined && pid > 0 && !out.has(pid)) {
    out.add(pid);
    pid = byPid.get(pid)?.ppid;
  }
  return out;
}
