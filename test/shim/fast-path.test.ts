// The launch record shim/codex execs from without Node (lib/shim/launch-cache.ts): whatever the sh
// cannot prove current sends the call to the Node path, which runs the right codex and rewrites the
// record; a proven record starts no Node at all. Under every shell the shim must run in. A spy `node`
// first on PATH tells the paths apart (test/shim/shim-harness.ts).
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORMAT } from "../../lib/shim/launch-cache.js";
import { spawnSyncInPty, visibleText } from "../helpers/pty.js";
import { ensureBundle, FAKE, pathOf, readReport, recordFile, removeDir, runShim, SHELLS, SHIM, SHIM_DIR, shimEnv, spyNode, tempDir } from "./shim-harness.js";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
let dir: string;
let report: string;
let spy: ReturnType<typeof spyNode>;

beforeAll(async () => {
  await ensureBundle();
  dir = tempDir("fast-path-");
  report = path.join(dir, "report.json");
  spy = spyNode(dir);
});
afterAll(() => removeDir(dir));

let uniq = 0;
/** A name no other test of this file uses. */
const fresh = (prefix: string) => `${prefix}-${uniq++}`;

/** Make `file`'s times older than any record written from now on (the record is back-dated 2 s). */
function age(file: string): void {
  const t = new Date(Date.now() - 60_000);
  utimesSync(file, t, t);
}

/** A stand-in codex of its own in `sub` (a copy of the fixture: a script, so it reports the loop guard). */
function makeFake(sub: string): string {
  const d = path.join(dir, sub);
  mkdirSync(d, { recursive: true });
  const f = path.join(d, "codex");
  copyFileSync(FAKE, f);
  chmodSync(f, 0o755);
  age(f);
  return d;
}

describe.each(SHELLS)("launch record under $name", (shell) => {
  /** A fresh world: its own home and stand-in codex on PATH after the shim. */
  function world() {
    const tag = fresh(shell.name.replace(/\W+/g, ""));
    const home = path.join(dir, `home-${tag}`);
    const fakeDir = makeFake(`fake-${tag}`);
    const env = (extra: Record<string, string | undefined> = {}) =>
      shimEnv({ PATH: pathOf(SHIM_DIR, fakeDir, spy.dir), CODEX_AUTH_SUPERVISOR_HOME: home, FAKE_CODEX_REPORT: report, ...extra });
    return { home, fakeDir, env, record: recordFile(env()) };
  }

  /**
   * Run the shim (in a terminal with `tty`: the supervisor takes over only then); which of our Node
   * entries it started ("decide", "run") and which stand-in ran.
   */
  async function call(env: NodeJS.ProcessEnv, args: string[] = ["--probe"], tty = false) {
    const before = spy.shimNodeStarts().length;
    rmSync(report, { force: true });
    let r: { code: number | null; child: { pid?: number } };
    if (tty) {
      const t = spawnSyncInPty(shell.words[0]!, [...shell.words.slice(1), SHIM, ...args], { env, timeout: 30_000 });
      // Under a terminal the supervisor shows the cursor on its way out: only readable text would be ours.
      expect(visibleText(t.output)).toBe("");
      r = { code: t.status, child: {} };
    } else {
      const p = await runShim(args, env, { shell });
      expect(p.stderr).toBe("");
      r = p;
    }
    const node = spy.shimNodeStarts().slice(before).map((l) => l.split(" ")[1]!);
    const rep = readReport(report);
    const ran = rep ? (rep.env.CODEX_SUPERVISOR_SHIM_SEEN ?? "").split(path.delimiter).at(-1) : null;
    return { r, node, ran, rep };
  }

  /** First call writes the record; the next one must be the fast path. */
  async function warm(env: NodeJS.ProcessEnv) {
    const first = await call(env);
    expect(first.node).toEqual(["decide"]);
    const second = await call(env);
    expect(second.node).toEqual([]);
    return second;
  }

  it("a current record: no Node starts, and the record is ours, 0600 in a 0700 directory, written without temp files", async () => {
    const w = world();
    const second = await warm(w.env());
    expect(second.r.code).toBe(0);
    expect(second.ran).toBe(path.join(w.fakeDir, "codex"));
    const st = lstatSync(w.record);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(lstatSync(path.dirname(w.record)).mode & 0o777).toBe(0o700);
    // The record and the one generation directory it names (links to every path it watches): no temp files.
    const text = readFileSync(w.record, "utf8");
    expect(text.split("\n")[0]).toBe(FORMAT);
    const gen = `${path.basename(w.record)}.${/^G(.+)$/m.exec(text)![1]}`;
    expect(readdirSync(path.dirname(w.record)).sort()).toEqual([path.basename(w.record), gen].sort());
    const links = readdirSync(path.join(path.dirname(w.record), gen, "w"));
    expect(links.some((l) => lstatSync(path.join(path.dirname(w.record), gen, "w", l)).isSymbolicLink())).toBe(true);
    expect(lstatSync(path.join(path.dirname(w.record), gen)).mode & 0o777).toBe(0o700);
    // The sh checks the same format line (the two are changed together).
    expect(readFileSync(SHIM, "utf8")).toContain(`"${FORMAT}"`);
  });

  it("a codex that appears earlier on PATH is the one that runs (then fast again)", async () => {
    const w = world();
    await warm(w.env());
    const earlier = path.join(dir, fresh("earlier"));
    mkdirSync(earlier);
    const env = w.env({ PATH: pathOf(SHIM_DIR, earlier, w.fakeDir, spy.dir) });
    await warm(env); // this PATH's own record, naming the later codex
    copyFileSync(FAKE, path.join(earlier, "codex"));
    chmodSync(path.join(earlier, "codex"), 0o755);
    age(path.join(earlier, "codex"));
    const after = await call(env);
    expect(after.node).toEqual(["decide"]);
    expect(after.ran).toBe(path.join(earlier, "codex"));
    const again = await call(env);
    expect(again.node).toEqual([]);
    expect(again.ran).toBe(path.join(earlier, "codex"));
  });

  it("another PATH of the same length (the same record file) is not the recorded one", async () => {
    const w = world();
    const a = makeFake(fresh("len-a"));
    const b = makeFake(fresh("len-b"));
    const envA = w.env({ PATH: pathOf(SHIM_DIR, a, spy.dir) });
    const envB = w.env({ PATH: pathOf(SHIM_DIR, b, spy.dir) });
    expect(recordFile(envB)).toBe(recordFile(envA));
    await warm(envA);
    const r = await call(envB);
    expect(r.node).toEqual(["decide"]);
    expect(r.ran).toBe(path.join(b, "codex"));
    expect((await call(envA)).node).toEqual(["decide"]);
  });

  it("the resolved codex replaced (new file, old times), changed in place, or chmod-ed: the Node path", async () => {
    const w = world();
    const fake = path.join(w.fakeDir, "codex");
    await warm(w.env());
    // Replaced by a copy with an old mtime (as npm installs with fixed tarball times): a new inode.
    copyFileSync(FAKE, `${fake}.new`);
    chmodSync(`${fake}.new`, 0o755);
    age(`${fake}.new`);
    renameSync(`${fake}.new`, fake);
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect((await call(w.env())).node).toEqual([]);
    // Changed in place: same inode, a newer mtime.
    writeFileSync(fake, readFileSync(fake, "utf8") + "\n// changed\n");
    expect((await call(w.env())).node).toEqual(["decide"]);
    age(fake);
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect((await call(w.env())).node).toEqual([]);
    // Mode only (ctime, not mtime): the identity line shows it.
    chmodSync(fake, 0o700);
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect((await call(w.env())).node).toEqual([]);
  });

  it("config.json created, changed or removed: the Node path, and realCodexBin is followed", async () => {
    const w = world();
    await warm(w.env());
    const other = makeFake(fresh("configured"));
    const config = path.join(w.home, "config.json");
    writeFileSync(config, JSON.stringify({ realCodexBin: path.join(other, "codex") }), { mode: 0o600 });
    age(config);
    const a = await call(w.env());
    expect(a.node).toEqual(["decide"]);
    expect(a.ran).toBe(path.join(other, "codex"));
    const b = await call(w.env());
    expect(b.node).toEqual([]);
    expect(b.ran).toBe(path.join(other, "codex"));
    rmSync(config);
    const c = await call(w.env());
    expect(c.node).toEqual(["decide"]);
    expect(c.ran).toBe(path.join(w.fakeDir, "codex"));
  });

  it("opt-in: by config the supervisor runs (the record says so), the env switch off wins, on always reaches Node", async () => {
    const w = world();
    await warm(w.env());
    const config = path.join(w.home, "config.json");
    writeFileSync(config, JSON.stringify({ codexCliSessionSupervisor: true }), { mode: 0o600 });
    age(config);
    const env = w.env({ CODEX_HOME: path.join(dir, fresh("codex-home")) });
    // An interactive argv: the supervisor starts codex embedded (--no-daemon first).
    const first = await call(env, ["hello"], true);
    expect(first.node).toEqual(["decide", "run"]);
    expect(first.rep?.argv).toEqual(["--no-daemon", "hello"]);
    const second = await call(env, ["hello"], true);
    expect(second.node).toEqual(["run"]);
    expect(second.rep?.argv).toEqual(["--no-daemon", "hello"]);
    // The env switch wins over config: off → plain passthrough from the record.
    const off = await call({ ...env, CODEX_AUTH_CLI_SESSION_SUPERVISOR: "0" }, ["hello"], true);
    expect(off.node).toEqual([]);
    expect(off.rep?.argv).toEqual(["hello"]);
    rmSync(config);
    const on = await call({ ...env, CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1" }, ["hello"], true);
    expect(on.node).toEqual(["run"]);
    expect(on.rep?.argv).toEqual(["--no-daemon", "hello"]);
  });

  it("CODEX_AUTH_REAL_CODEX_BIN and the wrapper-loop guard are resolved by Node every time (still an exec)", async () => {
    const w = world();
    await warm(w.env());
    const other = makeFake(fresh("explicit"));
    for (let i = 0; i < 2; i++) {
      const r = await call(w.env({ CODEX_AUTH_REAL_CODEX_BIN: path.join(other, "codex") }));
      expect(r.node).toEqual(["decide"]);
      expect(r.ran).toBe(path.join(other, "codex"));
      expect(r.rep!.pid).toBe(r.r.child.pid);
    }
    const seen = await call(w.env({ CODEX_SUPERVISOR_SHIM_SEEN: "/nonexistent/wrapper" }));
    expect(seen.node).toEqual(["decide"]);
  });

  it("an npm variable the launcher's package-manager guess reads changes: the Node path", async () => {
    const w = world();
    await warm(w.env({ npm_config_user_agent: "npm/10 node/v20" }));
    expect((await call(w.env({ npm_config_user_agent: "bun/1.1 npm/?" }))).node).toEqual(["decide"]);
    expect((await call(w.env({ npm_config_user_agent: undefined }))).node).toEqual(["decide"]);
  });

  it("a record writable by others, in a directory open to others, a symlink, or corrupt: the Node path, which writes a proper one", async () => {
    const w = world();
    await warm(w.env());
    const cacheDir = path.dirname(w.record);
    chmodSync(w.record, 0o622);
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect(statSync(w.record).mode & 0o777).toBe(0o600);
    expect((await call(w.env())).node).toEqual([]);
    chmodSync(cacheDir, 0o777);
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect((await call(w.env())).node).toEqual([]);
    // A symlink to a valid record elsewhere is not followed; the Node path puts a file in its place.
    const elsewhere = path.join(dir, fresh("elsewhere"));
    copyFileSync(w.record, elsewhere);
    chmodSync(elsewhere, 0o600);
    rmSync(w.record);
    symlinkSync(elsewhere, w.record);
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect(lstatSync(w.record).isFile()).toBe(true);
    // Cut short (no end line), or not a record at all.
    const text = readFileSync(w.record, "utf8");
    for (const bad of [text.slice(0, text.lastIndexOf("\n.")), "garbage\n", ""]) {
      writeFileSync(w.record, bad, { mode: 0o600 });
      age(w.record);
      expect((await call(w.env())).node).toEqual(["decide"]);
      expect((await call(w.env())).node).toEqual([]);
    }
  });

  it("the generation directory the record names: missing, a link removed, added or retargeted, an absent link removed → the Node path", async () => {
    const w = world();
    const genOf = () => path.join(path.dirname(w.record), `${path.basename(w.record)}.${/^G(.+)$/m.exec(readFileSync(w.record, "utf8"))![1]}`);
    await warm(w.env());
    rmSync(genOf(), { recursive: true });
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect((await call(w.env())).node).toEqual([]);
    const links = path.join(genOf(), "w");
    const first = readdirSync(links).sort()[0]!;
    const target = readlinkSync(path.join(links, first));
    rmSync(path.join(links, first));
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect((await call(w.env())).node).toEqual([]);
    symlinkSync(FAKE, path.join(genOf(), "w", "999 1 -rw-r--r-- 1 0 0 1 Jan 1 2000"));
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect((await call(w.env())).node).toEqual([]);
    // An absent path's link removed: one check fewer must not pass.
    const absentLinks = path.join(genOf(), "a");
    rmSync(path.join(absentLinks, readdirSync(absentLinks).sort()[0]!));
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect((await call(w.env())).node).toEqual([]);
    // Retargeted to a file of another identity under the same name.
    const again = readdirSync(path.join(genOf(), "w")).sort()[0]!;
    rmSync(path.join(genOf(), "w", again));
    symlinkSync(FAKE, path.join(genOf(), "w", again));
    expect(target).not.toBe(FAKE);
    expect((await call(w.env())).node).toEqual(["decide"]);
  });

  it.skipIf(!isRoot)(`a record or directory that is not the user's: the Node path${isRoot ? "" : " (skipped: needs root to give it another owner)"}`, async () => {
    const w = world();
    await warm(w.env());
    chownSync(w.record, 65534, 65534);
    expect((await call(w.env())).node).toEqual(["decide"]);
    expect(statSync(w.record).uid).toBe(0);
    expect((await call(w.env())).node).toEqual([]);
    chownSync(path.dirname(w.record), 65534, 65534);
    expect((await call(w.env())).node).toEqual(["decide"]);
    // Not ours: the Node path does not write into it either, and the call still runs codex.
    expect((await call(w.env())).node).toEqual(["decide"]);
    chownSync(path.dirname(w.record), 0, 0);
  });

  it("our variables reach codex from neither path; a name the shell cannot unset goes through Node, which strips it", async () => {
    const w = world();
    const ours = { CODEX_AUTH_TOKEN: "t", codex_multi_auth_x: "y", Codex_Auth_Mixed: "z" };
    await warm(w.env(ours));
    const r = await call(w.env(ours));
    expect(r.node).toEqual([]);
    for (const k of Object.keys(r.rep!.env)) expect(k).not.toMatch(/^codex_(multi_)?auth_/i);
    // A name that is not a shell name: dash drops it itself, bash passes it on, so bash must leave it to Node.
    const odd = await call(w.env({ ...ours, "CODEX_AUTH_ODD-NAME": "secret" }));
    for (const k of Object.keys(odd.rep!.env)) expect(k).not.toMatch(/^codex_(multi_)?auth_/i);
    expect(odd.node).toEqual(shell.argv0 === "sh" ? ["run"] : []);
  });

  it("no home to keep a record in (HOME unset): every call asks Node, and still execs", async () => {
    const w = world();
    const env = w.env({ CODEX_AUTH_SUPERVISOR_HOME: undefined, CODEX_HOME: undefined, HOME: undefined });
    for (let i = 0; i < 2; i++) {
      const r = await call(env);
      expect(r.node).toEqual(["decide"]);
      expect(r.rep!.pid).toBe(r.r.child.pid);
    }
    expect(existsSync(w.record)).toBe(false);
  });
});
