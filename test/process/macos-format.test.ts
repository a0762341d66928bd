// The macOS tools' output formats the macOS port parses (lib/process/macos-format.ts), as table tests.
// Lines are laid out as Apple's ps prints them (keyword.c widths; see the module header).
import { describe, expect, it } from "vitest";
import { envFromPsCommand, parseBoottime, parseLsofFields, parsePsRow, psShowsEnvironment, type PsRow } from "../../lib/process/macos-format.js";

/** A ps line: pid ppid ruid "%5d", stat left in 4, lstart left in 28, ucomm left in 16, then the command. */
function psLine(pid: number, ppid: number, ruid: number, stat: string, lstart: string, ucomm: string, command: string | null): string {
  const cols = [String(pid).padStart(5), String(ppid).padStart(5), String(ruid).padStart(5), stat.padEnd(4), lstart.padEnd(28), ucomm.padEnd(16)];
  return command === null ? cols.join(" ") : [...cols, command].join(" ");
}

describe("parsePsRow", () => {
  it("reads every column; lstart is taken as UTC (the port runs ps with TZ=UTC0)", () => {
    const row = parsePsRow(psLine(501, 1, 501, "Ss", "Tue Nov 14 09:05:01 2023", "node", "/usr/local/bin/node x.js A=1"));
    expect(row).toEqual({ pid: 501, ppid: 1, ruid: 501, state: "S", startSec: Date.UTC(2023, 10, 14, 9, 5, 1) / 1000, ucomm: "node", command: "/usr/local/bin/node x.js A=1" });
  });
  it("a day of month below 10 is space-padded (%e); wide pids and uids shift the columns", () => {
    const row = parsePsRow(psLine(123456, 99999, 4294967294, "R+", "Sat Dec  2 23:59:59 2026", "codex", "codex"));
    expect(row).toMatchObject({ pid: 123456, ppid: 99999, ruid: 4294967294, state: "R", startSec: Date.UTC(2026, 11, 2, 23, 59, 59) / 1000 });
  });
  it("ucomm is a fixed 16 columns, so a name with spaces (or 16 characters) does not run into the command", () => {
    expect(parsePsRow(psLine(7, 1, 0, "S", "Mon Jan  1 00:00:00 2024", "Google Chrome He", "/Applications/Google Chrome.app/x"))).toMatchObject({
      ucomm: "Google Chrome He",
      command: "/Applications/Google Chrome.app/x",
    });
    expect(parsePsRow(psLine(8, 1, 0, "S", "Mon Jan  1 00:00:00 2024", "a b", "cmd"))).toMatchObject({ ucomm: "a b", command: "cmd" });
  });
  it("without the command column the row still parses (ucomm is the last, padded column)", () => {
    expect(parsePsRow(psLine(9, 1, 0, "Z", "Mon Jan  1 00:00:00 2024", "sleep", null))).toMatchObject({ pid: 9, state: "Z", ucomm: "sleep", command: "" });
  });
  it("anything else is not a row", () => {
    expect(parsePsRow("")).toBeNull();
    expect(parsePsRow("  PID  PPID  RUID STAT STARTED")).toBeNull();
    expect(parsePsRow("    1     0     0 Ss   Tue Nov 14 09:05:01 2023 launchd")).toBeNull(); // lstart not padded to 28
  });
});

describe("psShowsEnvironment: did ps append an environment?", () => {
  const row = (over: Partial<PsRow>): PsRow => ({ pid: 5, ppid: 1, ruid: 501, state: "S", startSec: 0, ucomm: "node", command: "node x.js PATH=/bin HOME=/Users/a", ...over });
  it("only for our own processes, unless we are root", () => {
    expect(psShowsEnvironment(row({}), 501)).toBe(true);
    expect(psShowsEnvironment(row({}), 502)).toBe(false);
    expect(psShowsEnvironment(row({}), 0)).toBe(true);
  });
  it("never for a zombie or a process whose arguments could not be read", () => {
    expect(psShowsEnvironment(row({ state: "Z", command: "<defunct>" }), 501)).toBe(false);
    expect(psShowsEnvironment(row({ command: "(node)" }), 501)).toBe(false);
  });
  it("not for a restricted process: its arguments come without any NAME= entry", () => {
    expect(psShowsEnvironment(row({ ucomm: "sleep", command: "/bin/sleep 300" }), 501)).toBe(false);
  });
});

describe("envFromPsCommand", () => {
  const keys = ["CODEX_SUPERVISOR_JOB", "CODEX_SUPERVISOR_HOME"];
  it("reads values from the environment after the arguments, up to the next NAME= entry", () => {
    const cmd = "node /x/codex.js exec hi TERM=xterm CODEX_SUPERVISOR_JOB=j-20261202-0a1b2c3d CODEX_SUPERVISOR_HOME=/Users/a b/.codex/supervisor LANG=C";
    expect(envFromPsCommand(cmd, keys)).toEqual(
      new Map([
        ["CODEX_SUPERVISOR_JOB", "j-20261202-0a1b2c3d"],
        ["CODEX_SUPERVISOR_HOME", "/Users/a b/.codex/supervisor"],
      ]),
    );
  });
  it("the last occurrence wins: the environment follows the arguments", () => {
    const cmd = "grep CODEX_SUPERVISOR_JOB=j-20260101-00000000 log PATH=/bin CODEX_SUPERVISOR_JOB=j-20261202-0a1b2c3d";
    expect(envFromPsCommand(cmd, keys).get("CODEX_SUPERVISOR_JOB")).toBe("j-20261202-0a1b2c3d");
  });
  it("a token inside the arguments reads with what follows it, so it matches no marker; a prefix is not the key", () => {
    expect(envFromPsCommand("env CODEX_SUPERVISOR_JOB=j-20261202-0a1b2c3d node x.js PATH=/bin", keys).get("CODEX_SUPERVISOR_JOB")).toBe("j-20261202-0a1b2c3d node x.js");
    expect(envFromPsCommand("x --a=CODEX_SUPERVISOR_JOB=j-20261202-0a1b2c3d PATH=/bin", keys).has("CODEX_SUPERVISOR_JOB")).toBe(false);
    expect(envFromPsCommand("x PATH=/bin XCODEX_SUPERVISOR_JOB=j-1 CODEX_SUPERVISOR_JOBS=j-2", keys).size).toBe(0);
  });
  it("values are unescaped (vis): UTF-8 home paths come back as they were", () => {
    expect(envFromPsCommand("n CODEX_SUPERVISOR_HOME=/Users/JosM-CM-)/.codex", keys).get("CODEX_SUPERVISOR_HOME")).toBe("/Users/José/.codex");
  });
});

describe("values are unescaped as ps escaped them (strvis, LC_ALL=C)", () => {
  const value = (v: string) => envFromPsCommand(`x PATH=/bin K=${v} LANG=C`, ["K"]).get("K");
  it("decodes the M-x / M^X / ^X / \\ooo forms", () => {
    expect(value("a\\011b")).toBe("a\tb");
    expect(value("a^Ab")).toBe("a\u0001b");
    expect(value("M-CM-)")).toBe("é");
    expect(value("M-dM-8M--")).toBe("中");
  });
  it("text that only looks escaped (not UTF-8 when decoded) is left as it is", () => {
    expect(value("emacs M-x")).toBe("emacs M-x");
    expect(value("plain/path_1")).toBe("plain/path_1");
  });
});

describe("parseBoottime", () => {
  it("reads the seconds of `sysctl -n kern.boottime` (a real capture, macOS: ansible/ansible#85070)", () => {
    expect(parseBoottime("{ sec = 1745966643, usec = 839385 } Wed Apr 30 01:44:03 2025\n")).toBe(1745966643);
    expect(parseBoottime("{ sec = 0, usec = 0 } Thu Jan  1 00:00:00 1970\n")).toBeNull();
    expect(parseBoottime("")).toBeNull();
  });
});

describe("parseLsofFields", () => {
  it("numeric descriptors with their access mode and unescaped name; cwd/txt/mem sets are skipped", () => {
    // Layout of real `lsof -w -n -P -a -p <pid> -F pfan` output (captured from lsof 4.95 here).
    const out = ["p18280", "fcwd", "a ", "n/work/main", "ftxt", "a ", "n/usr/bin/bash", "f0", "ar", "n/dev/null", "f1", "aw", "n/tmp/out", "f5", "au", "n/Users/Jos\\xc3\\xa9/a\\\\b.jsonl", "p42", "f3", "ar", "n/x", ""].join("\n");
    expect(parseLsofFields(out)).toEqual([
      { pid: 18280, fd: 0, access: "r", path: "/dev/null" },
      { pid: 18280, fd: 1, access: "w", path: "/tmp/out" },
      { pid: 18280, fd: 5, access: "u", path: "/Users/José/a\\b.jsonl" },
      { pid: 42, fd: 3, access: "r", path: "/x" },
    ]);
    expect(parseLsofFields("")).toEqual([]);
  });
});
