// A stand-in for lsof(8) as macOS ships it, for the one question the macOS port asks: which files do
// these pids hold open, and how (`lsof -w -n -P -a -p <pids> -F pfan`). Answered from the real Linux
// /proc/PID/fd links and the access mode in /proc/PID/fdinfo.
//
// Where the format comes from: lsof's manual, "OUTPUT FOR OTHER PROGRAMS" (Lsof.8 of
// github.com/lsof-org/lsof; Apple's copy: developer.apple.com … man8/lsof.8.html): one field per line,
// its identifier first — `p` starts a process set (always printed), `f` a file set, `a` the access mode
// (r, w, u for read and write, space when unknown), `n` the name; non-numeric descriptors (cwd, txt)
// come first; names go through safestrprt() (lib/misc.c: `\\` for a backslash, `\xNN` for a byte it
// will not print, `^X`/`\n`… for control bytes). The same -F output of the real lsof on Linux was the
// reference for layout. Exit status 1 when a pid asked for has no process (its set is just absent).
import fs from "node:fs";
import { countCall, simConfig } from "./proc.mjs";

const config = simConfig();
const argv = process.argv.slice(2);
countCall(config, "lsof", argv);

function fail(message) {
  process.stderr.write(message);
  process.exit(1);
}
let pids = null;
let fields = null;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "-w" || a === "-n" || a === "-P" || a === "-a") continue;
  if (a === "-p") pids = argv[++i];
  else if (a === "-F") fields = argv[++i];
  else fail(`lsof (macOS stand-in): ${a} is not emulated\n`);
}
if (pids === null || fields === null) fail("lsof (macOS stand-in): only -p <pids> -F <fields> is emulated\n");
const want = new Set(fields);

function safe(bytes) {
  let out = "";
  for (const b of bytes) {
    if (b === 0x5c) out += "\\\\";
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else if (b < 0x20) out += { 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t" }[b] ?? `^${String.fromCharCode(b + 0x40)}`;
    else if (b === 0xff) out += "^?";
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}
function link(file) {
  try {
    return fs.readlinkSync(file, { encoding: "buffer" });
  } catch {
    return null; // closed meanwhile
  }
}

let status = 0;
let out = "";
for (const pid of pids.split(",").map(Number)) {
  let fds;
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    status = 1; // no such process (or not ours): lsof lists nothing for it and exits 1
    continue;
  }
  out += `p${pid}\n`;
  const cwd = link(`/proc/${pid}/cwd`);
  if (cwd && want.has("f")) out += `fcwd\n${want.has("a") ? "a \n" : ""}${want.has("n") ? `n${safe(cwd)}\n` : ""}`;
  for (const fd of fds.map(Number).sort((a, b) => a - b)) {
    const target = link(`/proc/${pid}/fd/${fd}`);
    if (target === null) continue;
    let access = " ";
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"));
      if (flags) access = ["r", "w", "u", " "][parseInt(flags[1], 8) & 3];
    } catch {
      continue; // closed between the listing and this read
    }
    if (want.has("f")) out += `f${fd}\n`;
    if (want.has("a")) out += `a${access}\n`;
    if (want.has("n")) out += `n${safe(target)}\n`;
  }
}
process.stdout.write(out);
process.exitCode = status;
