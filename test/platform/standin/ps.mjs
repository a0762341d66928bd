// A stand-in for macOS's ps(1), answering from the real Linux process table in the exact format
// macOS prints. Only what the macOS port asks for is emulated; anything else is refused loudly, so a
// change in the port's calls cannot slip past the simulation.
//
// Where the format comes from:
// - Apple's ps source, adv_cmds-237 (github.com/apple-oss-distributions/adv_cmds): ps/keyword.c for
//   each keyword's width and alignment (pid, ppid "%5d"; ruid "%5u"; state left in 4; lstart left in
//   28; ucomm = p_comm, MAXCOMLEN 16, left in 16; command last, unpadded); ps/print.c for lstarted()
//   (strftime "%c" of the start second, local time), state() (first letter T, Z or the Mach run state
//   R S I U, then <, N, s, +), and getproclline(): arguments joined by single spaces, then with -E —
//   only for root or a process of the caller's real uid — every environment string, joined the same
//   way; "<defunct>" for a zombie; "(<p_comm>)" when the arguments cannot be read; then strvis(
//   VIS_TAB | VIS_NL | VIS_NOSLASH); ps/ps.c: headers suppressed by "kw=", unlimited width when
//   stdout is not a terminal, exit 1 when no process matched.
// - The manual: ps(1) of macOS (https://keith.github.io/xcode-man-pages/ps.1.html): -A all processes,
//   -E "Display the environment as well", -ww unlimited columns, lstart "The exact time the command
//   started, using the %c format described in strftime(3)".
// - Measured on real Macs (public reports: github.com/r-lib/ps/issues/121, psutil #2084, and a probe
//   table of macOS 26 with SIP on): the kernel withholds the environment of code-signing restricted
//   processes — Apple's own executables (/bin/sleep, /bin/sh, /bin/zsh, /usr/bin/env…) — while
//   Homebrew/nvm node and the native codex binary show theirs. The simulation does the same for the
//   executable names listed in its config ("restricted"): ps prints their arguments only.
// Not emulated: sorting by terminal (rows come in pid order), the I (idle > 20 s) run state.
import { allPids, countCall, cTime, nulStrings, procInfo, simConfig } from "./proc.mjs";

const config = simConfig();
const argv = process.argv.slice(2);
countCall(config, "ps", argv);

const USAGE = `usage: ps [-AaCcEefhjlMmrSTvwXx] [-O fmt | -o fmt] [-G gid[,gid...]]
          [-g grp[,grp...]] [-u [uid,uid...]]
          [-p pid[,pid...]] [-t tty[,tty...]] [-U user[,user...]]
       ps [-L]
`;
function fail(message) {
  process.stderr.write(message);
  process.exit(1);
}

// BSD getopt over "AaCcEefhjLlMmO:o:p:rSTt:U:u:vwXx" (the stand-in takes A E e w o p).
const WITH_ARG = new Set(["O", "o", "p", "G", "g", "t", "U", "u"]);
const KNOWN = new Set([..."AaCcEefhjLlMmrSTvwXx", ...WITH_ARG]);
const TAKEN = new Set(["A", "E", "e", "w", "o", "p"]);
const opts = { all: false, env: false, fields: [], pids: null };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (!a.startsWith("-") || a === "-") fail(`ps (macOS stand-in): operand ${JSON.stringify(a)} is not emulated\n`);
  if (a === "--") break;
  for (let j = 1; j < a.length; j++) {
    const c = a[j];
    if (!KNOWN.has(c)) fail(`ps: illegal option -- ${c}\n${USAGE}`);
    if (!TAKEN.has(c)) fail(`ps (macOS stand-in): option -${c} is not emulated\n`);
    let value = null;
    if (WITH_ARG.has(c)) {
      value = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
      if (value === undefined) fail(`ps: option requires an argument -- ${c}\n${USAGE}`);
    }
    if (c === "A" || c === "e") opts.all = true;
    else if (c === "E") opts.env = true;
    else if (c === "o") opts.fields.push(...value.split(/[,\s]+/).filter(Boolean));
    else if (c === "p") (opts.pids ??= []).push(...value.split(/[,\s]+/).filter(Boolean).map(Number));
    if (value !== null) break;
  }
}
if (opts.fields.length === 0) fail("ps (macOS stand-in): the default format is not emulated; pass -o\n");

const KEYWORDS = { pid: "PID", ppid: "PPID", ruid: "RUID", stat: "STAT", state: "STAT", lstart: "STARTED", ucomm: "UCOMM", command: "COMMAND" };
const columns = opts.fields.map((f) => {
  const eq = f.indexOf("=");
  const name = eq < 0 ? f : f.slice(0, eq);
  if (!(name in KEYWORDS)) fail(`ps: ${name}: keyword not found\n`);
  return { name, header: eq < 0 ? KEYWORDS[name] : f.slice(eq + 1) };
});
if (columns.slice(0, -1).some((c) => c.name === "command")) fail("ps (macOS stand-in): command before the last column is not emulated\n");

const viewerUid = process.getuid();
const restricted = new Set(config.restricted ?? []);

/** strvis(VIS_TAB | VIS_NL | VIS_NOSLASH) over bytes, as macOS libc's vis.c does in the C locale. */
function vis(bytes) {
  let out = "";
  for (const b of bytes) {
    if (b === 0x09 || b === 0x0a || b === 0xa0) out += `\\${b.toString(8).padStart(3, "0")}`; // extra chars and meta-space: octal
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else {
      const c = b & 0x7f;
      const meta = b & 0x80 ? "M" : "";
      out += c < 0x20 || c === 0x7f ? `${meta}^${c === 0x7f ? "?" : String.fromCharCode(c + 0x40)}` : `${meta}-${String.fromCharCode(c)}`;
    }
  }
  return out;
}

function stateOf(p) {
  const first = { R: "R", S: "S", D: "U", T: "T", t: "T", Z: "Z", I: "I", W: "S", P: "S" }[p.linuxState] ?? "S";
  let s = first;
  if (p.nice < 0) s += "<";
  else if (p.nice > 0) s += "N";
  if (p.session === p.pid) s += "s";
  if (p.ttyNr !== 0 && p.tpgid === p.pgrp) s += "+";
  return s;
}

function commandOf(p) {
  if (p.linuxState === "Z") return "<defunct>";
  const args = nulStrings(p.cmdline);
  if (args.length === 0) return `(${p.comm.slice(0, 16)})`;
  const parts = [...args];
  const visible = viewerUid === 0 || p.ruid === viewerUid;
  if (opts.env && visible && !restricted.has(p.exeName)) parts.push(...nulStrings(p.environ));
  return vis(Buffer.concat(parts.flatMap((b, i) => (i === 0 ? [b] : [Buffer.from(" "), b]))));
}

function cell(col, p, last) {
  switch (col.name) {
    case "pid":
      return String(p.pid).padStart(5);
    case "ppid":
      return String(p.ppid).padStart(5);
    case "ruid":
      return String(p.ruid >>> 0).padStart(5);
    case "stat":
    case "state":
      return stateOf(p).padEnd(4);
    case "lstart":
      return cTime(p.startSec).padEnd(28);
    case "ucomm":
      return p.comm.slice(0, 16).padEnd(16);
    case "command":
      return last ? commandOf(p) : "";
  }
}

// Selection: -A/-e all; -p the listed pids; neither: the caller's processes that have a terminal.
const pids = opts.all ? allPids() : opts.pids ? [...new Set(opts.pids)].filter((n) => Number.isInteger(n) && n > 0).sort((a, b) => a - b) : allPids();
const rows = [];
for (const pid of pids) {
  const p = procInfo(pid);
  if (!p || p.linuxState === "X" || p.linuxState === "x") continue;
  if (!opts.all && !opts.pids && (p.euid !== process.geteuid() || p.ttyNr === 0)) continue;
  rows.push(columns.map((c, i) => cell(c, p, i === columns.length - 1)).join(" "));
}
const WIDTH = { pid: 5, ppid: 5, ruid: 5, stat: 4, state: 4, lstart: 28, ucomm: 16 };
const LEFT = new Set(["lstart", "ucomm", "command"]);
const headerCell = (c, last) => (last && LEFT.has(c.name) ? c.header : LEFT.has(c.name) ? c.header.padEnd(WIDTH[c.name]) : c.header.padStart(WIDTH[c.name] ?? 0));
const header = columns.some((c) => c.header !== "") ? `${columns.map((c, i) => headerCell(c, i === columns.length - 1)).join(" ")}\n` : "";
process.stdout.write(header + rows.map((r) => `${r}\n`).join(""));
process.exitCode = rows.length === 0 ? 1 : 0;
