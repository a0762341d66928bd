// Fault test: every file we write, on a read-only file system, a directory that is not ours, a file we
// may not read (chmod 000), and a full disk (a 64 KiB tmpfs, filled). Each write must fail with a
// clear message naming the file (no "internal error", no stack trace), exit non-zero, and leave
// nothing half-written: the previous file byte-for-byte intact, no temp file left, no partial line
// appended to an event log.
//
// Files: <home>/accounts.json (`accounts disable`), CODEX_HOME/auth.json (`accounts use`), job records
// and event logs (the job store, driven by job-store-driver.mjs). config.json is never written.
// Permission faults run the process as `nobody` (root ignores file modes); read-only uses a read-only
// bind mount (EROFS) and disk-full a tmpfs mount (we are root in this environment; when mount is
// refused those cases are skipped and say so).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, chatgptAuth } from "../accounts/fixtures.js";
import { CLI_BIN, runCli } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";

const NOBODY = 65534;
const DRIVER = path.join(REPO_ROOT, "test/faults/job-store-driver.mjs");
const JOB_ID = "j-20250101-0a1b2c3d";

type Fault = "read-only fs" | "directory not writable" | "file not readable" | "disk full";

let root: string;
const mounts: string[] = [];

function canMount(): string | null {
  if (process.getuid?.() !== 0) return "not root";
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "fault-mountprobe-"));
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
const MOUNT_PROBLEM = canMount();

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "fault-write-"));
  fs.chmodSync(root, 0o755); // `nobody` must reach its homes inside
});
afterAll(() => {
  for (const m of mounts.reverse()) {
    try {
      execFileSync("umount", [m], { stdio: "pipe" });
    } catch {
      /* already unmounted */
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
});

function umount(dir: string): void {
  execFileSync("umount", [dir], { stdio: "pipe" });
  mounts.splice(mounts.indexOf(dir), 1);
}

/** Make `dir` (existing, populated) read-only: a read-only bind mount over itself. */
function readOnly(dir: string): () => void {
  execFileSync("mount", ["--bind", dir, dir], { stdio: "pipe" });
  mounts.push(dir);
  execFileSync("mount", ["-o", "remount,ro,bind", dir], { stdio: "pipe" });
  return () => umount(dir);
}

/** Put `dir` on a 64 KiB tmpfs, keeping its files, and fill the file system to the last page. */
function diskFull(dir: string): () => void {
  const saved = new Map<string, Buffer>();
  for (const n of fs.readdirSync(dir)) if (fs.statSync(path.join(dir, n)).isFile()) saved.set(n, fs.readFileSync(path.join(dir, n)));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", dir], { stdio: "pipe" });
  mounts.push(dir);
  for (const [n, b] of saved) fs.writeFileSync(path.join(dir, n), b, { mode: 0o600 });
  const filler = fs.openSync(path.join(dir, "filler"), "w");
  const page = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(filler, page);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    fs.closeSync(filler);
  }
  // Fill the last partial page too, byte by byte.
  const fd = fs.openSync(path.join(dir, "filler"), "a");
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(1));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    fs.closeSync(fd);
  }
  return () => umount(dir);
}

function chownTree(dir: string, uid: number): void {
  fs.chownSync(dir, uid, uid);
  for (const n of fs.readdirSync(dir)) {
    const p = path.join(dir, n);
    if (fs.lstatSync(p).isDirectory()) chownTree(p, uid);
    else fs.chownSync(p, uid, uid);
  }
}

interface Run {
  code: number | null;
  stderr: string;
}
/** `node <script> <args…>` (the CLI or the store driver), optionally as nobody. */
function run([script, ...args]: string[], env: NodeJS.ProcessEnv, asNobody: boolean): Promise<Run> {
  return runCli(args, env, { script, ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}) });
}

interface Homes {
  base: string;
  home: string;
  codexHome: string;
  jobs: string;
  env: NodeJS.ProcessEnv;
}
let n = 0;
function homes(): Homes {
  const base = path.join(root, `case${++n}`);
  const home = path.join(base, "home");
  const codexHome = path.join(base, "codex");
  const jobs = path.join(home, "jobs");
  fs.mkdirSync(jobs, { recursive: true, mode: 0o700 });
  fs.mkdirSync(codexHome, { mode: 0o700 });
  fs.chmodSync(base, 0o755);
  const store = { schemaVersion: 1, active: "a0", accounts: [account("a0", { kind: "chatgpt", auth: chatgptAuth("a0", 1) }), account("a1", { kind: "chatgpt", auth: chatgptAuth("a1", 1) })] };
  fs.writeFileSync(path.join(home, "accounts.json"), JSON.stringify(store, null, 2) + "\n", { mode: 0o600 });
  // auth.json holds a refresh newer than the store's: the only copy of a0's live refresh token.
  fs.writeFileSync(path.join(codexHome, "auth.json"), JSON.stringify(chatgptAuth("a0", 2), null, 2), { mode: 0o600 });
  const ref = { pid: 999_999, identity: { pid: 999_999, startTicks: 1, bootId: "boot" } };
  const rec = { schemaVersion: 1, rev: 0, id: JOB_ID, kind: "job", name: null, status: "running", supervisor: ref, child: null, marker: JOB_ID, cwd: "/", argv: ["exec", "p"], sessionId: null, rolloutPath: null, account: null, restarts: 0, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:00.000Z", endedAt: null, exitCode: null, signal: null, reason: null };
  fs.writeFileSync(path.join(jobs, `${JOB_ID}.json`), JSON.stringify(rec) + "\n", { mode: 0o600 });
  // An event log whose last page is partly used, so a full disk cuts an append in the middle.
  fs.writeFileSync(path.join(jobs, `${JOB_ID}.log`), `${JSON.stringify({ ts: "2025-01-01T00:00:00.000Z", type: "spawn", pad: "p".repeat(3900) })}\n`, { mode: 0o600 });
  const env = cleanEnv({ HOME: base, CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: codexHome, CODEX_AUTH_LOCK_STALE_MS: "2000", CODEX_AUTH_LOCK_UPDATE_MS: "1000" });
  return { base, home, codexHome, jobs, env };
}

interface Target {
  what: string;
  /** The file that must be named and stay intact. */
  file: (h: Homes) => string;
  /** The directory the fault applies to. */
  dir: (h: Homes) => string;
  argv: (h: Homes) => string[];
  /** After the failure, files that must be unchanged (besides `file`). */
  alsoUnchanged?: (h: Homes) => string[];
}

const TARGETS: Target[] = [
  { what: "accounts.json (accounts disable)", file: (h) => path.join(h.home, "accounts.json"), dir: (h) => h.home, argv: () => [CLI_BIN, "accounts", "disable", "a1"] },
  {
    what: "CODEX_HOME/auth.json (accounts use)",
    file: (h) => path.join(h.codexHome, "auth.json"),
    dir: (h) => h.codexHome,
    argv: () => [CLI_BIN, "accounts", "use", "a1"],
  },
  { what: "job record (update)", file: (h) => path.join(h.jobs, `${JOB_ID}.json`), dir: (h) => h.jobs, argv: (h) => [DRIVER, "update", h.home, JOB_ID] },
  { what: "event log (append)", file: (h) => path.join(h.jobs, `${JOB_ID}.log`), dir: (h) => h.jobs, argv: (h) => [DRIVER, "event", h.home, JOB_ID] },
];

const FAULTS: Fault[] = ["read-only fs", "directory not writable", "file not readable", "disk full"];

function snapshot(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isFile() && name !== "filler") m.set(name, fs.readFileSync(p));
  }
  return m;
}

describe("write faults: a clear error naming the file, exit non-zero, nothing half-written", () => {
  for (const t of TARGETS) {
    for (const fault of FAULTS) {
      const key = `${t.what} / ${fault}`;
      const needsMount = fault === "read-only fs" || fault === "disk full";
      const skipWhy = needsMount && MOUNT_PROBLEM ? MOUNT_PROBLEM : null;
      it.skipIf(skipWhy !== null)(`${key}${skipWhy ? ` (skipped: ${skipWhy})` : ""}`, async () => {
        const h = homes();
        const file = t.file(h);
        const dir = t.dir(h);
        let undo: (() => void) | null = null;
        const asNobody = fault === "directory not writable" || fault === "file not readable";
        try {
          if (asNobody) chownTree(h.base, NOBODY);
          if (fault === "read-only fs") undo = readOnly(dir);
          if (fault === "disk full") undo = diskFull(dir);
          if (fault === "directory not writable") {
            // Someone else's directory (root's, 0755): our process may read but not create or rename
            // there — and it is refused outright (not ours alone: exit 2 naming it and the fix).
            fs.chownSync(dir, 0, 0);
            fs.chmodSync(dir, 0o755);
            // Appending to an existing writable file needs no directory write; a new log does.
            if (t.what.startsWith("event log")) fs.rmSync(file);
          }
          if (fault === "file not readable") fs.chmodSync(file, 0o000);
          const before = snapshot(dir);
          const storeBefore = fs.readFileSync(path.join(h.home, "accounts.json"));
          const r = await run(t.argv(h), h.env, asNobody);
          expect(r.code, r.stderr).not.toBe(0);
          if (fault === "directory not writable") {
            expect(r.code, r.stderr).toBe(2);
            expect(r.stderr).toContain(`refusing to use`);
            expect(r.stderr).toContain(`${dir}: it is owned by uid 0, not by you (uid ${NOBODY}); fix: `);
          }
          // The file, or for the store the storage lock in the same home (taken before any write), or
          // the directory refused as someone else's.
          const named = r.stderr.includes(file) || (t.dir(h) === h.home && r.stderr.includes(path.join(h.home, "storage.lock"))) || (fault === "directory not writable" && r.stderr.includes(dir));
          expect(named, `names ${file}: ${r.stderr}`).toBe(true);
          expect(r.stderr, "no internal error / stack trace").not.toMatch(/internal error|\n\s+at /);
          const after = snapshot(dir);
          expect([...after.keys()].filter((k) => k.endsWith(".tmp")), "no temp file left").toEqual([]);
          for (const [name, bytes] of before) expect(after.get(name)?.equals(bytes), `${name} unchanged`).toBe(true);
          expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
          // The store is never left changed by a failed switch either.
          if (!fs.readFileSync(path.join(h.home, "accounts.json")).equals(storeBefore)) {
            // A successful sync-back before the failing step is allowed: it only adds the newer token.
            const s = JSON.parse(fs.readFileSync(path.join(h.home, "accounts.json"), "utf8")) as { active: string; accounts: { name: string; auth: { tokens: { refresh_token: string } } }[] };
            expect(s.active).toBe("a0");
            expect(s.accounts.find((a) => a.name === "a0")!.auth.tokens.refresh_token).toBe("SECRET-REFRESH-a0-2");
          }
        } finally {
          if (fault === "directory not writable") fs.chmodSync(dir, 0o700);
          if (fault === "directory not writable" && t.what.startsWith("event log")) expect(fs.existsSync(file), "no log created").toBe(false);
          if (fault === "file not readable") fs.chmodSync(file, 0o600);
          undo?.();
        }
      });
    }
  }
});
