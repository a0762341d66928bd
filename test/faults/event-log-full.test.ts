// The job event log on a full disk (a 64 KiB tmpfs filled to the last byte; we are root here, else the
// cases are skipped and say why). appendEvent must report a cut-short write as an error naming the log,
// leave the log as it was, and never glue a later event onto a fragment; the supervisor's event path
// (supervisor/job-log.ts, wired in ports.ts) must swallow the failure after one line on stderr so the
// session goes on.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultConfig } from "../../lib/config/schema.js";
import { appendEvent, EventLogWriteError } from "../../lib/jobs/event-log.js";
import { parseEventLog, readEvents } from "../helpers/event-log.js";
import { createJob } from "../../lib/jobs/records.js";
import { readIdentity } from "../../lib/process/identity.js";
import { tolerantAppend } from "../../lib/supervisor/job-log.js";
import { realPorts } from "../../lib/supervisor/ports.js";
import { cleanEnv } from "../helpers/env.js";

const JOB_ID = "j-20250101-0a1b2c3d";

function mountProblem(): string | null {
  if (process.getuid?.() !== 0) return "not root (needs a tmpfs mount)";
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "evlog-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", d], { stdio: "pipe" });
    execFileSync("umount", [d], { stdio: "pipe" });
    return null;
  } catch (e) {
    return `mount refused: ${(e as Error).message.split("\n")[0]}`;
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
}
const PROBLEM = mountProblem();

let base: string | null = null;
let mounted: string | null = null;
afterEach(() => {
  if (mounted) execFileSync("umount", [mounted], { stdio: "pipe" });
  mounted = null;
  if (base) fs.rmSync(base, { recursive: true, force: true });
  base = null;
});

/** A home whose jobs directory is a 64 KiB tmpfs holding an event log of one line (about a page). */
function homeOnTinyDisk(): { home: string; jobs: string; log: string } {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "evlog-full-"));
  const home = path.join(base, "home");
  const jobs = path.join(home, "jobs");
  fs.mkdirSync(jobs, { recursive: true, mode: 0o700 });
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", jobs], { stdio: "pipe" });
  mounted = jobs;
  const log = path.join(jobs, `${JOB_ID}.log`);
  // Most of a page used: the next 3000-byte line straddles a page boundary, so a full disk cuts it.
  appendEvent(home, JOB_ID, { type: "spawn", pad: "p".repeat(3900) });
  return { home, jobs, log };
}

/** Fill the file system: whole pages, then the last bytes one by one. Returns the filler's path. */
function fill(dir: string): string {
  const filler = path.join(dir, "filler");
  for (const chunk of [4096, 1]) {
    const fd = fs.openSync(filler, "a");
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(chunk, 1));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
    } finally {
      fs.closeSync(fd);
    }
  }
  return filler;
}

describe.skipIf(PROBLEM !== null)(`event log on a full disk${PROBLEM ? ` (skipped: ${PROBLEM})` : ""}`, () => {
  it("a 3000-byte event that does not fit: EventLogWriteError naming the log, the log byte-for-byte unchanged", () => {
    const { home, jobs, log } = homeOnTinyDisk();
    fill(jobs);
    const before = fs.readFileSync(log);
    let err: unknown = null;
    try {
      appendEvent(home, JOB_ID, { type: "notice", text: "y".repeat(3000) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EventLogWriteError);
    expect((err as Error).message).toContain(log);
    expect((err as Error).message).toMatch(/no space left on the device/);
    expect(fs.readFileSync(log).equals(before), "no fragment left").toBe(true);
    // The write really was cut short (not refused outright): the message says how far it got.
    expect((err as Error).message).toMatch(/after \d+ of \d+ bytes \(the partial line was removed\)/);
  });

  it("a fragment left by an earlier cut (or a crash mid-write): the next event starts on a fresh line", () => {
    const { home, log } = homeOnTinyDisk();
    fs.appendFileSync(log, '{"ts":"2025-01-01T00:00:01.000Z","type":"noti'); // no newline
    appendEvent(home, JOB_ID, { type: "restart", why: "control" });
    appendEvent(home, JOB_ID, { type: "spawn", pid: 42 });
    const parsed = readEvents(home, JOB_ID);
    expect(parsed.events.map((e) => e.type)).toEqual(["spawn", "restart", "spawn"]);
    expect(parsed.badLines).toEqual([2]);
    expect(parsed.partialTail).toBe(false);
  });

  it("space freed again after a failure: the log goes on with whole lines only", () => {
    const { home, jobs, log } = homeOnTinyDisk();
    const filler = fill(jobs);
    expect(() => appendEvent(home, JOB_ID, { type: "notice", text: "y".repeat(3000) })).toThrow(EventLogWriteError);
    fs.rmSync(filler);
    appendEvent(home, JOB_ID, { type: "notice", text: "z".repeat(3000) });
    const parsed = parseEventLog(fs.readFileSync(log, "utf8"));
    expect(parsed.events.map((e) => e.type)).toEqual(["spawn", "notice"]);
    expect(parsed.events[1]!.text).toBe("z".repeat(3000));
    expect(parsed.badLines).toEqual([]);
  });

  it("the supervisor's event path: no throw, one line on stderr for any number of failures, the log unchanged", () => {
    const { home, jobs, log } = homeOnTinyDisk();
    fill(jobs);
    const before = fs.readFileSync(log);
    const warned: string[] = [];
    const append = tolerantAppend((data) => appendEvent(home, JOB_ID, data), (line) => warned.push(line));
    for (let i = 0; i < 5; i++) expect(() => append({ type: "quota", pad: "q".repeat(3000), i })).not.toThrow();
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain(log);
    expect(warned[0]).toMatch(/the session goes on/);
    expect(fs.readFileSync(log).equals(before)).toBe(true);
  });
});

describe.skipIf(PROBLEM !== null)(`the real supervisor ports on a full disk${PROBLEM ? ` (skipped: ${PROBLEM})` : ""}`, () => {
  it("event() and record() return (the loop goes on); one stderr line each for the log and the record", async () => {
    const { home, jobs, log } = homeOnTinyDisk();
    const me = readIdentity(process.pid)!;
    createJob(home, { id: JOB_ID, kind: "job", supervisor: { pid: process.pid, identity: me }, cwd: base!, argv: ["exec", "p"], status: "running" });
    const record = path.join(jobs, `${JOB_ID}.json`);
    // No byte left: the 3000-byte events and the record rewrites below (8000-byte reason) cannot fit.
    fill(jobs);
    const logBefore = fs.readFileSync(log);
    const recordBefore = fs.readFileSync(record);
    const ports = realPorts({
      jobId: JOB_ID,
      home,
      codexHome: path.join(base!, "codex"),
      env: cleanEnv(),
      config: defaultConfig(),
      real: { path: "/bin/true", how: "env", searched: [] },
      cwd: base!,
      sessionCwd: base!,
      stdio: "ignore",
      restoreTerminal: () => {},
      write: () => {},
      launchedAt: Date.now(),
    });
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      for (let i = 0; i < 3; i++) {
        expect(() => ports.event("notice", { line: "n".repeat(3000), i })).not.toThrow();
        expect(() => ports.record({ status: "restarting", reason: "r".repeat(8000) })).not.toThrow();
      }
    } finally {
      spy.mockRestore();
      ports.ended?.();
    }
    expect(lines).toHaveLength(2);
    expect(lines.find((l) => l.includes("event log"))).toContain(log);
    expect(lines.find((l) => l.includes("job record"))).toContain(JOB_ID);
    expect(fs.readFileSync(log).equals(logBefore), "log unchanged").toBe(true);
    expect(fs.readFileSync(record).equals(recordBefore), "record unchanged").toBe(true);
  });
});

describe("tolerantAppend (no disk needed)", () => {
  it("passes events through while the log works, warns once when it fails, and keeps passing them through", () => {
    const seen: string[] = [];
    let failing = false;
    const warned: string[] = [];
    const append = tolerantAppend(
      (d) => {
        if (failing) throw new Error("EROFS: read-only file system");
        seen.push(d.type);
      },
      (l) => warned.push(l),
    );
    append({ type: "a" });
    failing = true;
    append({ type: "b" });
    append({ type: "c" });
    failing = false;
    append({ type: "d" });
    expect(seen).toEqual(["a", "d"]);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/EROFS/);
  });

  it("a warn that throws (stderr gone) is swallowed too", () => {
    const append = tolerantAppend(
      () => {
        throw new Error("ENOSPC");
      },
      () => {
        throw new Error("EPIPE");
      },
    );
    expect(() => append({ type: "x" })).not.toThrow();
  });
});
