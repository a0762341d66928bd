// Shared by the macOS stand-ins (ps, sysctl, lsof): what the real Linux /proc says about a process,
// and the simulation's settings. The stand-ins answer in macOS's formats from the REAL process table,
// so the macOS port is exercised against real processes, real exits and real signals.
import fs from "node:fs";

/** The simulation's settings, written by test/platform/macos-sim.ts: { callsFile, restricted: [names] }. */
export function simConfig() {
  const file = process.env.MACOS_SIM_CONFIG;
  if (!file) throw new Error("macOS stand-in run without MACOS_SIM_CONFIG (start it through test/platform/macos-sim.ts)");
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** One line per invocation, appended (O_APPEND: concurrent stand-ins never interleave inside a line). */
export function countCall(config, tool, argv) {
  fs.appendFileSync(config.callsFile, `${[tool, ...argv].join(" ")}\n`);
}

function read(file, enc) {
  try {
    return fs.readFileSync(file, enc);
  } catch {
    return null; // the process exited meanwhile, or it is not ours to read (the stand-in mirrors what ps then shows)
  }
}

let btime = null;
/** Boot time in epoch seconds (/proc/stat btime). */
export function bootTimeSec() {
  btime ??= Number(/^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "utf8"))[1]);
  return btime;
}

/** Clock ticks per second of /proc/PID/stat's start time (sysconf(_SC_CLK_TCK) is 100 on Linux x86 and arm64). */
const CLK_TCK = 100;

export function allPids() {
  return fs
    .readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Everything the stand-ins print about one process, or null when it has gone. */
export function procInfo(pid) {
  const stat = read(`/proc/${pid}/stat`, "utf8");
  if (stat === null) return null;
  const close = stat.lastIndexOf(")");
  const f = stat.slice(close + 2).split(" "); // f[0] is field 3
  const status = read(`/proc/${pid}/status`, "utf8") ?? "";
  const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  const exe = (() => {
    try {
      return fs.readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return null; // a kernel thread, a zombie, or another user's process
    }
  })();
  return {
    pid,
    linuxState: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    session: Number(f[3]),
    ttyNr: Number(f[4]),
    tpgid: Number(f[5]),
    nice: Number(f[16]),
    startSec: bootTimeSec() + Math.floor(Number(f[19]) / CLK_TCK),
    ruid: uid ? Number(uid[1]) : -1,
    euid: uid ? Number(uid[2]) : -1,
    comm: (read(`/proc/${pid}/comm`, "utf8") ?? "").replace(/\n$/, ""),
    exeName: exe === null ? null : exe.replace(/ \(deleted\)$/, "").split("/").pop(),
    cmdline: read(`/proc/${pid}/cmdline`, null),
    environ: read(`/proc/${pid}/environ`, null),
  };
}

/** NUL-separated strings of a /proc buffer (the trailing NUL ends the last one). */
export function nulStrings(buf) {
  if (!buf || buf.length === 0) return [];
  const out = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      out.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const p2 = (n) => String(n).padStart(2, "0");

/** strftime("%c") and ctime(3) in the C locale: "Tue Nov 14 09:05:01 2023" (day space-padded), in local time (TZ). */
export function cTime(epochSec) {
  const d = new Date(epochSec * 1000);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}
