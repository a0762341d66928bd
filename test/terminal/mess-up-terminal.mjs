// A stand-in for a TUI killed mid-session: puts its terminal (stdin/stdout) in raw mode with echo off,
// enters the alternate screen, hides the cursor, pushes kitty keyboard flags, enables bracketed paste,
// focus reporting and mouse reporting; then announces readiness (argv[2] file) and waits to be killed.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const r = spawnSync("stty", ["raw", "-echo"], { stdio: ["inherit", "inherit", "inherit"] });
if (r.status !== 0) process.exit(3);
process.stdout.write("\x1b[?1049h\x1b[?25l\x1b[>1u\x1b[?2004h\x1b[?1004h\x1b[?1000h\x1b[?1006h");
process.stdout.write("MESSED UP");
fs.writeFileSync(process.argv[2], "ready");
setInterval(() => {}, 60_000);
