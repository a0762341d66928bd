// The process-table port: everything lib/process, reap and binding need from the operating system,
// behind one interface with a Linux implementation on /proc (linux.ts) and a macOS one on ps, sysctl
// and lsof (macos.ts). The port is chosen once, from the platform, by host.ts; tests pass one
// explicitly. See docs/architecture.md §3 (identities, markers) and §5 (why each platform reads what).

/**
 * Names one process for its whole life: a pid alone is reused. Compare with sameIdentity only.
 * A type alias (not an interface) so it is assignable to the records' loose identity type.
 */
export type ProcessIdentity = {
  pid: number;
  /** Linux: start time in clock ticks since boot (/proc/PID/stat field 22). macOS: start time in epoch seconds (ps lstart). */
  startTicks: number;
  /** Linux: /proc/sys/kernel/random/boot_id. macOS: `boottime-<kern.boottime seconds>`. */
  bootId: string;
  /**
   * macOS only: the executable's name (ps ucomm) when the identity was read. lstart has one-second
   * resolution, so a pid reused within the same second would otherwise pass; see macos.ts.
   */
  comm?: string;
};

/** One row of the process table. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** The executable's short name (Linux comm, macOS ucomm). */
  comm: string;
  /** First letter of the state: R, S, D/U, T (stopped), Z (zombie), I… */
  state: string;
  identity: ProcessIdentity;
}

/** A row with the values of the asked-for environment keys, as the process was started with them. */
export interface ProcWithEnv extends ProcInfo {
  /** Only the keys asked for that are set; null when the environment cannot be read (another user's process, a zombie on macOS). */
  env: ReadonlyMap<string, string> | null;
}

/** A descriptor a process holds open. */
export interface OpenFile {
  pid: number;
  fd: number;
  path: string;
  /** Opened for writing (write-only or read-write); false for read-only or unknown. */
  writable: boolean;
}

export interface ProcessPlatform {
  readonly name: "linux" | "macos";
  /** Identifies the current boot (cached). */
  bootId(): string;
  /** Every process with identity, parent and state: one read of the table. */
  list(): ProcInfo[];
  /** The same, plus each process's values of `keys`: still one read of the table (one `ps` on macOS). */
  listWithEnv(keys: readonly string[]): ProcWithEnv[];
  /** These pids now, in one read; a pid with no process is absent. Read right before every signal. */
  probe(pids: readonly number[]): Map<number, ProcInfo>;
  /** One process's values of `keys`; null when there is no such process or its environment cannot be read. */
  envOf(pid: number, keys: readonly string[]): ReadonlyMap<string, string> | null;
  /** Descriptors of `pids` that point at files under `dir` (a real path); null when this system cannot tell. */
  openFiles(pids: readonly number[], dir: string): OpenFile[] | null;
  /**
   * The children of one process straight from the kernel, without reading the whole table ([] when it
   * is gone); null when this system has no such list (then the table's parent links are walked).
   */
  childrenOf(pid: number): number[] | null;
}

/** Same process: pid, start time and boot, and (where both carry it) the executable name. */
export function sameIdentity(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.startTicks === b.startTicks && a.bootId === b.bootId && (a.comm === undefined || b.comm === undefined || a.comm === b.comm);
}

/** A zombie (Z) or dead (X) process has exited; only its parent's wait() remains. */
export function isExitedState(state: string): boolean {
  return state === "Z" || state === "X" || state === "x";
}
