import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../lib/errors.js";
import { jobLogFile, jobRecordFile, jobsDir } from "../../lib/paths.js";
import { appendEvent } from "../../lib/jobs/event-log.js";
import { readEvents } from "../helpers/event-log.js";
import { createJob, JobRecordCorruptError, readJob, updateJob, updateJobIf } from "../../lib/jobs/records.js";
import { isRecent, listJobs } from "../../lib/jobs/listing.js";
import { removeJobFiles } from "../../lib/jobs/removal.js";
import { resolveJobRef } from "../../lib/jobs/references.js";
import { cleanEnv } from "../helpers/env.js";
import { fakeRef, tempHome } from "./helpers.js";

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const mk = (id: string, extra: Partial<Parameters<typeof createJob>[1]> = {}, at = new Date()) =>
  createJob(home, { id, kind: id.startsWith("s-") ? "session" : "job", supervisor: fakeRef(100), cwd: "/w", argv: ["exec", "hi"], ...extra }, at);

describe("records", () => {
  it("are created 0600 in a 0700 jobs directory, and read back equal", () => {
    const r = mk("s-20250109-00000001", { name: "alpha" });
    expect(fs.statSync(jobsDir(home)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(jobRecordFile(home, r.id)).mode & 0o777).toBe(0o600);
    expect(readJob(home, r.id)).toEqual(r);
    expect(() => mk("s-20250109-00000001")).toThrow(/already exists/);
  });

  it("updateJob replaces atomically, bumps rev and keeps identity fields", () => {
    const r = mk("j-20250109-00000002");
    const u = updateJob(home, r.id, { status: "running", sessionId: "sess", id: "j-20250109-ffffffff" } as never);
    expect(u.rev).toBe(1);
    expect(u.id).toBe(r.id);
    expect(u.sessionId).toBe("sess");
    expect(readJob(home, r.id)).toEqual(u);
    const u2 = updateJob(home, r.id, (cur) => ({ restarts: cur.restarts + 1 }));
    expect(u2.rev).toBe(2);
    expect(u2.restarts).toBe(1);
    expect(u2.updatedAt >= u.updatedAt).toBe(true);
    // no temp files left behind
    expect(fs.readdirSync(jobsDir(home)).sort()).toEqual([".active", `${r.id}.json`]);
  });

  it("updateJobIf writes only when the rev is the one judged", async () => {
    const r = mk("j-20250109-00000003");
    updateJob(home, r.id, { status: "running" }); // rev 1
    const stale = await updateJobIf(home, r.id, 0, { status: "lost" });
    expect(stale.ok).toBe(false);
    expect(!stale.ok && stale.current.status).toBe("running");
    expect(readJob(home, r.id).status).toBe("running");
    const fresh = await updateJobIf(home, r.id, 1, { status: "lost" });
    expect(fresh.ok && fresh.record.rev).toBe(2);
  });

  it("updateJobIf checks the lock right before writing", async () => {
    const r = mk("j-20250109-00000004");
    const lost = () => {
      throw new Error("lock lost");
    };
    await expect(updateJobIf(home, r.id, 0, { status: "lost" }, { withLock: (fn) => fn(lost) })).rejects.toThrow("lock lost");
    expect(readJob(home, r.id).status).toBe("starting");
  });

  it("a corrupt record is reported by file name and kept byte for byte", () => {
    const r = mk("s-20250109-00000005");
    const file = jobRecordFile(home, r.id);
    for (const bad of ['{"schemaVersion":1, "id": tru', JSON.stringify({ ...r, status: "zombie" }), ""]) {
      fs.writeFileSync(file, bad);
      let err: unknown;
      try {
        readJob(home, r.id);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(JobRecordCorruptError);
      expect((err as Error).message).toContain(file);
      expect(() => updateJob(home, r.id, { status: "running" })).toThrow(JobRecordCorruptError);
      expect(fs.readFileSync(file, "utf8")).toBe(bad);
      const listing = listJobs(home, { all: true });
      expect(listing.records).toEqual([]);
      expect(listing.problems.map((p) => p.file)).toEqual([file]);
    }
  });

  it("a record whose id field disagrees with its file name is corrupt", () => {
    const r = mk("s-20250109-00000006");
    fs.writeFileSync(jobRecordFile(home, r.id), JSON.stringify({ ...r, id: "s-20250109-00000007" }));
    expect(() => readJob(home, r.id)).toThrow(/file is named for/);
  });

  it("an unknown id is a usage error naming the file; a malformed id never reaches the file system", () => {
    expect(() => readJob(home, "s-20250109-0000000f")).toThrow(UsageError);
    expect(() => readJob(home, "../../etc/passwd")).toThrow(/not a job id/);
  });
});

describe("listing", () => {
  it("lists newest first and, by default, only active or recently ended jobs", () => {
    const now = new Date("2025-01-10T12:00:00Z");
    const old = mk("j-20250101-00000001", {}, new Date("2025-01-01T00:00:00Z"));
    updateJob(home, old.id, { status: "exited", endedAt: "2025-01-02T00:00:00Z" });
    const oldRunning = mk("j-20250101-00000002", {}, new Date("2025-01-01T01:00:00Z"));
    const recent = mk("j-20250110-00000003", {}, new Date("2025-01-10T10:00:00Z"));
    updateJob(home, recent.id, { status: "exited", endedAt: "2025-01-10T11:00:00Z" });
    fs.writeFileSync(path.join(jobsDir(home), "notes.txt"), "ignored");
    fs.writeFileSync(path.join(jobsDir(home), ".j-20250110-00000009.json.123.abc.tmp"), "{");
    expect(listJobs(home, { now }).records.map((r) => r.id)).toEqual([recent.id, oldRunning.id]);
    expect(listJobs(home, { all: true, now }).records.map((r) => r.id)).toEqual([recent.id, oldRunning.id, old.id]);
    expect(isRecent({ ...old, endedAt: "2025-01-09T12:00:01Z" }, now)).toBe(true);
    expect(isRecent({ ...old, endedAt: "2025-01-09T11:59:59Z" }, now)).toBe(false);
  });

  it("finds active records through the active set even when their file is old, and skips old ended ones unread", () => {
    const now = new Date();
    const old = new Date(now.getTime() - 5 * 86_400_000);
    const running = mk("j-20250101-0000000a", {}, old);
    updateJob(home, running.id, { status: "running" }, old);
    const ended = mk("j-20250101-0000000b", {}, old);
    updateJob(home, ended.id, { status: "exited", exitCode: 0, endedAt: old.toISOString() }, old);
    for (const id of [running.id, ended.id]) fs.utimesSync(jobRecordFile(home, id), old, old);
    const active = path.join(jobsDir(home), ".active");
    expect(fs.readdirSync(active)).toEqual([running.id]);
    // An old ended record is not even opened by the default listing: a corrupt one goes unnoticed there...
    fs.writeFileSync(jobRecordFile(home, ended.id), "garbage");
    fs.utimesSync(jobRecordFile(home, ended.id), old, old);
    expect(listJobs(home, { now })).toEqual({ records: [readJob(home, running.id)], problems: [] });
    // ...and is reported by --all.
    expect(listJobs(home, { all: true, now }).problems.map((p) => p.file)).toEqual([jobRecordFile(home, ended.id)]);
  });

  it("cleans a stale active marker (crash between record write and marker removal)", () => {
    const r = mk("j-20250109-0000000c");
    updateJob(home, r.id, { status: "exited", endedAt: new Date().toISOString() });
    const marker = path.join(jobsDir(home), ".active", r.id);
    fs.writeFileSync(marker, "");
    expect(listJobs(home).records.map((x) => x.id)).toEqual([r.id]);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("an empty or missing home lists nothing", () => {
    expect(listJobs(path.join(home, "nope"))).toEqual({ records: [], problems: [] });
  });
});

describe("event log", () => {
  it("appends one JSON line per event with a timestamp, 0600, secrets redacted", () => {
    const r = mk("s-20250109-00000010");
    appendEvent(home, r.id, { type: "spawn", pid: 5, argv: ["codex", "resume", "x"] });
    appendEvent(home, r.id, { type: "notice", message: "401 for key sk-abcdefghijklmnopqrstuvwx", apiKey: "whatever", token: { a: 1 } });
    const file = jobLogFile(home, r.id);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, "utf8");
    expect(text.split("\n").filter(Boolean)).toHaveLength(2);
    expect(text).not.toContain("sk-abcdef");
    expect(text).not.toContain("whatever");
    const log = readEvents(home, r.id);
    expect(log.events.map((e) => e.type)).toEqual(["spawn", "notice"]);
    expect(log.events[0]).toMatchObject({ pid: 5, argv: ["codex", "resume", "x"] });
    expect(typeof log.events[0]!.ts).toBe("string");
    expect(log.badLines).toEqual([]);
  });

  // Spawns real writers: uses the compiled dist/ (run `npx tsc -p .` first).
  it("concurrent appenders never interleave inside a line", async () => {
    const r = mk("j-20250109-00000011");
    const { spawn } = await import("node:child_process");
    const writer = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const code = `
          const { appendEvent } = await import(${JSON.stringify(path.resolve("dist/jobs/event-log.js"))});
          for (let i = 0; i < 300; i++) appendEvent(${JSON.stringify(home)}, ${JSON.stringify(r.id)}, { type: "notice", writer: ${n}, i, pad: "x".repeat(2000) });`;
        const p = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: "inherit", env: cleanEnv() });
        p.on("exit", (c) => (c === 0 ? resolve() : reject(new Error(`writer ${n} exited ${c}`))));
      });
    await Promise.all([writer(1), writer(2), writer(3)]);
    const log = readEvents(home, r.id);
    expect(log.badLines).toEqual([]);
    expect(log.events).toHaveLength(900);
  });
});

describe("resolveJobRef", () => {
  it("resolves an exact id, a unique prefix, or a name; lists candidates otherwise", () => {
    mk("s-20250109-aaaa0001", { name: "web" });
    mk("s-20250109-aaaa0002", { name: "dup" });
    mk("j-20250109-bbbb0003", { name: "dup" });
    expect(resolveJobRef(home, "s-20250109-aaaa0001")).toBe("s-20250109-aaaa0001");
    expect(resolveJobRef(home, "j-")).toBe("j-20250109-bbbb0003");
    expect(resolveJobRef(home, "web")).toBe("s-20250109-aaaa0001");
    expect(() => resolveJobRef(home, "s-20250109-aaaa")).toThrow(/matches 2 jobs: s-20250109-aaaa0001, s-20250109-aaaa0002/);
    expect(() => resolveJobRef(home, "dup")).toThrow(/name 'dup' matches 2 jobs/);
    expect(() => resolveJobRef(home, "zzz")).toThrow(UsageError);
    expect(() => resolveJobRef(home, "")).toThrow(UsageError);
  });
});

describe("removeJobFiles", () => {
  it("removes record, log, output and control file", () => {
    const r = mk("j-20250109-00000020");
    appendEvent(home, r.id, { type: "spawn" });
    fs.writeFileSync(path.join(jobsDir(home), `${r.id}.out`), "out");
    fs.writeFileSync(path.join(jobsDir(home), `${r.id}.control`), "{}");
    expect(removeJobFiles(home, r.id)).toHaveLength(5); // + its active-set marker (still "starting")
    expect(fs.readdirSync(jobsDir(home))).toEqual([".active"]);
    expect(fs.readdirSync(path.join(jobsDir(home), ".active"))).toEqual([]);
    expect(removeJobFiles(home, r.id)).toEqual([]);
  });
});
