// Whose files we use (lib/fs/trust.ts): the pure judgements as tables, then the checks on real
// directories — another uid's home, group/other-writable ones, symlinks, an unsafe directory above
// the home, and CODEX_HOME (checked against the pinned codex's own rule: it must exist).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorReport } from "../../lib/cli/error-table.js";
import { ensureDir } from "../../lib/fs/atomic.js";
import { ancestorProblem, assertCodexHomeUsable, assertTrustedHome, ensureCodexHome, ownProblem, UnsafePathError } from "../../lib/fs/trust.js";
import { REAL_CODEX_LAUNCHER } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";

const OTHER = 65534;
let base: string;
let n = 0;
beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "trust-test-"));
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

/** A fresh directory path under the test's base (each assertTrustedHome call is per home, once). */
const fresh = (name = "home") => path.join(base, `${name}-${++n}`);

function refusal(fn: () => unknown): UnsafePathError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UnsafePathError);
    expect(errorReport(err).status).toBe(2);
    expect(errorReport(err).text.split("\n").filter(Boolean)).toHaveLength(1);
    return err as UnsafePathError;
  }
  throw new Error("expected a refusal");
}

const st = (over: Partial<{ uid: number; mode: number; kind: "dir" | "file" | "link" }>): fs.Stats => {
  const kind = over.kind ?? "dir";
  return {
    uid: over.uid ?? 1000,
    mode: over.mode ?? 0o700,
    isDirectory: () => kind === "dir",
    isFile: () => kind === "file",
    isSymbolicLink: () => kind === "link",
  } as fs.Stats;
};

describe("ownProblem / ancestorProblem (pure)", () => {
  it("an object of ours: not a link, the right kind, the user's, not writable by group or others", () => {
    const cases: [fs.Stats, "dir" | "file", RegExp | null][] = [
      [st({}), "dir", null],
      [st({ mode: 0o755 }), "dir", null],
      [st({ kind: "file", mode: 0o644 }), "file", null],
      [st({ kind: "link" }), "dir", /symbolic link/],
      [st({ kind: "file" }), "dir", /not a directory/],
      [st({ kind: "dir" }), "file", /not a regular file/],
      [st({ uid: 1001 }), "dir", /owned by uid 1001, not by you \(uid 1000\)/],
      [st({ mode: 0o770 }), "dir", /writable by group \(mode 0770\)/],
      [st({ mode: 0o703 }), "dir", /writable by others \(mode 0703\)/],
      [st({ mode: 0o777 }), "dir", /writable by group and others \(mode 0777\)/],
    ];
    for (const [s, kind, want] of cases) {
      const got = ownProblem(s, kind, "/h", 1000);
      if (want === null) expect(got).toBeNull();
      else expect(got?.problem).toMatch(want);
    }
    expect(ownProblem(st({ mode: 0o777 }), "dir", "/h", 1000)?.fix).toBe('chmod go-w "/h"');
  });

  it("a directory above the home: the user's or root's, not writable by others unless sticky", () => {
    expect(ancestorProblem(st({ uid: 0, mode: 0o755 }), 1000)).toBeNull();
    expect(ancestorProblem(st({ uid: 1000, mode: 0o700 }), 1000)).toBeNull();
    expect(ancestorProblem(st({ uid: 0, mode: 0o1777 }), 1000)).toBeNull(); // /tmp
    expect(ancestorProblem(st({ uid: 1001, mode: 0o755 }), 1000)).toMatch(/owned by uid 1001/);
    expect(ancestorProblem(st({ uid: 0, mode: 0o777 }), 1000)).toMatch(/without the sticky bit \(mode 0777\)/);
    expect(ancestorProblem(st({ uid: 1000, mode: 0o775 }), 1000)).toMatch(/without the sticky bit/);
  });
});

describe("assertTrustedHome", () => {
  it("accepts a fresh home of ours (and one not created yet) under the sticky /tmp", () => {
    const home = fresh();
    fs.mkdirSync(path.join(home, "jobs"), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(home, "config.json"), "{}", { mode: 0o600 });
    expect(() => assertTrustedHome(home)).not.toThrow();
    expect(() => assertTrustedHome(fresh())).not.toThrow();
  });

  it("refuses a home owned by another uid, naming it and the fix", () => {
    const home = fresh();
    fs.mkdirSync(home, { mode: 0o700 });
    fs.chownSync(home, OTHER, OTHER);
    const e = refusal(() => assertTrustedHome(home));
    expect(e.message).toBe(`refusing to use the supervisor home ${home}: it is owned by uid ${OTHER}, not by you (uid 0); fix: make it yours (chown 0 "${home}") or use a directory of your own`);
  });

  it("refuses jobs/ or the home writable by others, a config.json not ours, and symlinks in their place", () => {
    const cases: [string, (home: string) => void, RegExp][] = [
      ["home 0777", (h) => fs.chmodSync(h, 0o777), /the supervisor home .*: it is writable by group and others \(mode 0777\); fix: chmod go-w/],
      ["jobs 0770", (h) => (fs.mkdirSync(path.join(h, "jobs")), fs.chmodSync(path.join(h, "jobs"), 0o770)), /the jobs directory .*jobs: it is writable by group/],
      ["jobs a file", (h) => fs.writeFileSync(path.join(h, "jobs"), ""), /the jobs directory .*jobs: it is not a directory; fix: move it out of the way/],
      ["jobs a symlink", (h) => fs.symlinkSync(base, path.join(h, "jobs")), /the jobs directory .*jobs: it is a symbolic link/],
      ["config foreign", (h) => (fs.writeFileSync(path.join(h, "config.json"), "{}"), fs.chownSync(path.join(h, "config.json"), OTHER, OTHER)), /the config file .*config\.json: it is owned by uid 65534/],
      ["config 0666", (h) => (fs.writeFileSync(path.join(h, "config.json"), "{}"), fs.chmodSync(path.join(h, "config.json"), 0o666)), /the config file .*: it is writable by group and others/],
      ["config symlink", (h) => fs.symlinkSync("/etc/hostname", path.join(h, "config.json")), /the config file .*: it is a symbolic link/],
    ];
    for (const [what, make, want] of cases) {
      const home = fresh();
      fs.mkdirSync(home, { mode: 0o700 });
      make(home);
      if (what !== "home 0777") fs.chmodSync(home, 0o700);
      let msg = "";
      try {
        msg = refusal(() => assertTrustedHome(home)).message;
      } catch (e) {
        throw new Error(`${what}: ${(e as Error).message}`);
      }
      expect(msg, what).toMatch(want);
    }
  });

  it("refuses a home below a directory others may rename it out of (writable, not sticky), or owned by another user", () => {
    const open = fresh("open");
    fs.mkdirSync(open, { mode: 0o777 });
    fs.chmodSync(open, 0o777);
    expect(refusal(() => assertTrustedHome(path.join(open, "home"))).message).toMatch(new RegExp(`the directory ${open} above it is writable by group or others without the sticky bit`));
    const theirs = fresh("theirs");
    fs.mkdirSync(theirs, { mode: 0o755 });
    fs.chownSync(theirs, OTHER, OTHER);
    expect(refusal(() => assertTrustedHome(path.join(theirs, "home"))).message).toMatch(/above it is owned by uid 65534/);
    // Through a symlink: the real chain is judged too.
    const link = fresh("link");
    fs.symlinkSync(open, link);
    expect(refusal(() => assertTrustedHome(path.join(link, "home"))).message).toMatch(/without the sticky bit/);
  });

  it("ensureDir refuses someone else's or a world-writable directory instead of using it", () => {
    const d = fresh("dir");
    fs.mkdirSync(d, { mode: 0o700 });
    fs.chownSync(d, OTHER, OTHER);
    expect(refusal(() => ensureDir(d)).message).toMatch(/owned by uid 65534/);
    const w = fresh("dir");
    fs.mkdirSync(w);
    fs.chmodSync(w, 0o777);
    expect(refusal(() => ensureDir(w)).message).toMatch(/writable by group and others/);
    const ours = fresh("dir");
    fs.mkdirSync(ours, { mode: 0o755 });
    ensureDir(ours);
    expect(fs.statSync(ours).mode & 0o777).toBe(0o700); // ours and only readable by others: tightened
  });
});

describe("CODEX_HOME", () => {
  it("the pinned codex itself refuses a CODEX_HOME that does not exist (and one that is not a directory)", () => {
    const launcher = REAL_CODEX_LAUNCHER;
    const missing = path.join(base, "no-such-codex-home");
    const r = spawnSync(process.execPath, [launcher, "login", "status"], { env: cleanEnv({ HOME: base, CODEX_HOME: missing }), encoding: "utf8", timeout: 30_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`CODEX_HOME points to "${missing}", but that path does not exist`);
    const file = path.join(base, "a-file");
    fs.writeFileSync(file, "");
    const r2 = spawnSync(process.execPath, [launcher, "login", "status"], { env: cleanEnv({ HOME: base, CODEX_HOME: file }), encoding: "utf8", timeout: 30_000 });
    expect(r2.stderr).toContain("but that path is not a directory");
  });

  it("ours: a directory (a symlink to one is fine) owned by the user and not writable by group/others; 0755 is fine", () => {
    const ok = fresh("cx");
    fs.mkdirSync(ok, { mode: 0o755 });
    fs.chmodSync(ok, 0o755);
    expect(() => assertCodexHomeUsable(ok, true)).not.toThrow();
    const link = fresh("cxlink");
    fs.symlinkSync(ok, link);
    expect(() => assertCodexHomeUsable(link, true)).not.toThrow();
    const theirs = fresh("cx");
    fs.mkdirSync(theirs);
    fs.chownSync(theirs, OTHER, OTHER);
    expect(refusal(() => assertCodexHomeUsable(theirs, true)).message).toMatch(/refusing to use CODEX_HOME .*: it is owned by uid 65534/);
    const shared = fresh("cx");
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o775);
    expect(refusal(() => assertCodexHomeUsable(shared, false)).message).toMatch(/writable by group \(mode 0775\)/);
    const file = fresh("cxfile");
    fs.writeFileSync(file, "");
    expect(refusal(() => assertCodexHomeUsable(file, false)).message).toMatch(/not a directory/);
  });

  it("before auth.json is written: one named by CODEX_HOME must exist (codex's rule, exit 2); the default is created 0700", () => {
    const named = fresh("cx");
    try {
      ensureCodexHome(named, { CODEX_HOME: named });
      throw new Error("expected a refusal");
    } catch (err) {
      expect((err as Error).message).toBe(`CODEX_HOME is ${named}, which does not exist (codex itself refuses to start then); create it (mkdir -m 700 "${named}") or unset CODEX_HOME`);
      expect(errorReport(err).status).toBe(2);
    }
    expect(fs.existsSync(named)).toBe(false);
    const dflt = path.join(fresh("user"), ".codex");
    ensureCodexHome(dflt, { HOME: path.dirname(dflt) });
    expect(fs.statSync(dflt).mode & 0o777).toBe(0o700);
  });
});
