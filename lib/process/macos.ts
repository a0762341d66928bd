// The process-table port on macOS, where there is no /proc: ps(1) for the table, identities and
// environments, sysctl(8) for the boot, lsof(8) for open files — each run under LC_ALL=C and TZ=UTC0
// so the output has one fixed shape (parsed in macos-format.ts). A read of the whole table, with the
// environments when asked, is ONE `ps -wwEA` call, whatever the number of processes.
//
// Identity = pid + lstart + boot + ucomm. lstart (the start time ps prints) has one-second
// resolution, so "same pid, same start second" is all it says. macOS hands out pids in increasing
// order and wraps at 99 999: the same pid going to another process within one second takes about
// 100 000 forks in that second. For what is left, the identity also holds the executable's name
// (ucomm, set by the kernel at exec): a pid reused within the second by another program is refused.
// Not refused: the same program again under the same pid in the same second. The price: a process
// that exec()s changes ucomm and reads as another process; the escalation's re-snapshots take it
// back in by its marker or parent (escalate.ts), a record's child then reads "reused" (never signalled).
//
// Boot = kern.boottime's seconds, read once per process (`boottime-<sec>`).
import { spawnSync } from "node:child_process";
import { DomainError } from "../errors.js";
import { JOB_HOME_ENV, JOB_MARKER_ENV } from "./markers.js";
import { envFromPsCommand, parseBoottime, parseLsofFields, parsePsRow, psShowsEnvironment, type PsRow } from "./macos-format.js";
import type { OpenFile, ProcessPlatform, ProcInfo, ProcWithEnv } from "./platform.js";

/** ps, sysctl or lsof could not be run or failed: names the command and what it said. */
class ProcessToolError extends DomainError {
  constructor(command: string, detail: string) {
    super("process-tool-failed", `could not read the process table: \`${command}\` ${detail}`);
    this.name = "ProcessToolError";
  }
}

const TABLE_COLUMNS = "pid=,ppid=,ruid=,stat=,lstart=,ucomm=";
const WITH_COMMAND = `${TABLE_COLUMNS},command=`;

interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
  missing: boolean;
}

/** Our environment for the tools, in the C locale and UTC, without our markers (a ps of ours is nobody's job). */
function toolEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", TZ: "UTC0" };
  delete env[JOB_MARKER_ENV];
  delete env[JOB_HOME_ENV];
  return env;
}

function run(cmd: string, args: string[]): ToolRun {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    env: toolEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 512 * 1024 * 1024,
  });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (r.error && code !== "ENOENT") throw new ProcessToolError(`${cmd} ${args.join(" ")}`, r.error.message);
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", missing: code === "ENOENT" };
}

/** ps, where exit status 1 with no output means "no process matched" (ps.c: nkept == 0). */
function ps(args: string[]): PsRow[] {
  const r = run("ps", args);
  if (r.missing) throw new ProcessToolError("ps", "was not found on PATH");
  if (r.status !== 0 && !(r.status === 1 && r.stdout === "" && r.stderr.trim() === "")) {
    throw new ProcessToolError(`ps ${args.join(" ")}`, `exited with status ${r.status}: ${r.stderr.trim().split("\n")[0] ?? ""}`);
  }
  const rows: PsRow[] = [];
  for (const line of r.stdout.split("\n")) {
    const row = parsePsRow(line);
    if (row) rows.push(row); // anything else (an empty last line) is not a process
  }
  return rows;
}

export function macosPlatform(): ProcessPlatform {
  let bootIdCache: string | null = null;
  const viewerUid = process.getuid?.() ?? -1;

  const bootId = (): string => {
    if (bootIdCache !== null) return bootIdCache;
    const r = run("sysctl", ["-n", "kern.boottime"]);
    const sec = r.status === 0 ? parseBoottime(r.stdout) : null;
    if (sec === null) throw new ProcessToolError("sysctl -n kern.boottime", r.missing ? "was not found on PATH" : `gave ${JSON.stringify(r.stdout.trim() || r.stderr.trim())}`);
    bootIdCache = `boottime-${sec}`;
    return bootIdCache;
  };

  const toInfo = (row: PsRow): ProcInfo => ({
    pid: row.pid,
    ppid: row.ppid,
    comm: row.ucomm,
    state: row.state,
    identity: { pid: row.pid, startTicks: row.startSec, bootId: bootId(), comm: row.ucomm },
  });

  const validPids = (pids: readonly number[]) => [...new Set(pids)].filter((p) => Number.isInteger(p) && p > 0);

  const list = (): ProcInfo[] => ps(["-A", "-o", TABLE_COLUMNS]).map(toInfo);

  const listWithEnv = (keys: readonly string[]): ProcWithEnv[] =>
    ps(["-wwEA", "-o", WITH_COMMAND]).map((row) => ({ ...toInfo(row), env: psShowsEnvironment(row, viewerUid) ? envFromPsCommand(row.command, keys) : null }));

  const probe = (pids: readonly number[]): Map<number, ProcInfo> => {
    const out = new Map<number, ProcInfo>();
    const want = validPids(pids);
    if (want.length === 0) return out;
    for (const row of ps(["-o", TABLE_COLUMNS, "-p", want.join(",")])) out.set(row.pid, toInfo(row));
    return out;
  };

  const envOf = (pid: number, keys: readonly string[]): ReadonlyMap<string, string> | null => {
    if (validPids([pid]).length === 0) return null;
    const row = ps(["-wwE", "-o", WITH_COMMAND, "-p", String(pid)]).find((r) => r.pid === pid);
    return row && psShowsEnvironment(row, viewerUid) ? envFromPsCommand(row.command, keys) : null;
  };

  const openFiles = (pids: readonly number[], dir: string): OpenFile[] | null => {
    const want = validPids(pids);
    if (want.length === 0) return [];
    // lsof exits 1 when one of the pids has no process any more; its output for the others stands.
    const r = run("lsof", ["-w", "-n", "-P", "-a", "-p", want.join(","), "-F", "pfan"]);
    if (r.missing) return null;
    if (r.status !== 0 && r.status !== 1) throw new ProcessToolError(`lsof -p ${want.join(",")}`, `exited with status ${r.status}: ${r.stderr.trim().split("\n")[0] ?? ""}`);
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    return parseLsofFields(r.stdout)
      .filter((f) => f.path.startsWith(prefix))
      .map((f) => ({ pid: f.pid, fd: f.fd, path: f.path, writable: f.access === "w" || f.access === "u" }));
  };

  // macOS keeps no per-process child list a user can read: the table's parent links are walked.
  const childrenOf = (): number[] | null => null;

  return { name: "macos", bootId, list, listWithEnv, probe, envOf, openFiles, childrenOf };
}
