// A stand-in for macOS's sysctl(8), for the one name the macOS port reads: kern.boottime, answered
// from the real Linux boot time (/proc/stat btime) in macOS's format.
//
// Where the format comes from: Apple's sysctl source, system_cmds-1026 sysctl/sysctl.c S_timeval():
// "{ sec = %jd, usec = %ld } " then ctime(3) without its newline; `-n` drops the "name: " prefix; an
// unknown name is "sysctl: unknown oid '<name>'" on stderr. A real capture (macOS, github.com/ansible/
// ansible/issues/85070): `kern.boottime: { sec = 1745966643, usec = 839385 } Wed Apr 30 01:44:03 2025`.
// Linux's btime has no microseconds: usec is 0 here.
import { bootTimeSec, countCall, cTime, simConfig } from "./proc.mjs";

const config = simConfig();
const argv = process.argv.slice(2);
countCall(config, "sysctl", argv);

let bare = false;
const names = [];
for (const a of argv) {
  if (a === "-n") bare = true;
  else if (a.startsWith("-")) {
    process.stderr.write(`sysctl (macOS stand-in): option ${a} is not emulated\n`);
    process.exit(1);
  } else names.push(a);
}
let status = 0;
for (const name of names) {
  if (name !== "kern.boottime") {
    process.stderr.write(`sysctl: unknown oid '${name}'\n`);
    status = 1;
    continue;
  }
  const sec = bootTimeSec();
  process.stdout.write(`${bare ? "" : `${name}: `}{ sec = ${sec}, usec = 0 } ${cTime(sec)}\n`);
}
process.exitCode = status;
