import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../testbed/model-server.js";
import { bindSession as bindOn, tryBindSession as tryBindOn, type BindAttempt, type BindOptions } from "../../lib/session/bind.js";
import { rolloutFileTimeMs, rolloutsCreatedBetween } from "../../lib/session/bind-files.js";
import { listRollouts, makeCodexHome, REAL_CODEX_LAUNCHER, type CodexHome } from "../helpers/codex-home.js";
import { descendantsOf, expectNoLeftovers, findProcessesByEnv, killTracked, track, waitForGone, type TrackedProcess } from "../helpers/processes.js";
import { cleanEnv } from "../helpers/env.js";
import { platformCases, usePlatform, type PlatformCase } from "../platform/matrix.js";
import { waitForBinding } from "./bind-helpers.js";

// ---- a fake CODEX_HOME with rollouts ----

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
/** A UUIDv7 whose time is `ms` (the rest from `seq`), as codex 0.169.0 makes them. */
function uuidv7(ms: number, seq: number): string {
  const h = ms.toString(16).padStart(12, "0") + "7" + seq.toString(16).padStart(19, "0").slice(-19);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
function rolloutPath(home: string, ms: number, id: string): string {
  const d = new Date(ms);
  const dir = path.join(home, "sessions", String(d.getFullYear()), pad(d.getMonth() + 1), pad(d.getDate()));
  const name = `rollout-${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}-${id}.jsonl`;
  return path.join(dir, name);
}
function writeRollout(home: string, ms: number, seq: number, cwd: string, extra: object = {}): { id: string; file: string } {
  const id = uuidv7(ms, seq);
  const file = rolloutPath(home, ms, id);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const meta = { timestamp: new Date(ms).toISOString(), ordinal: 0, type: "session_meta", payload: { id, session_id: id, cwd, originator: "codex-tui", source: "cli", cli_version: "0.169.0", base_instructions: { text: "x".repeat(70_000) }, ...extra } };
  fs.writeFileSync(file, JSON.stringify(meta) + "\n");
  return { id, file };
}

let tmp: string;
let children: ChildProcess[];
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "bind-")));
  children = [];
});
afterEach(async () => {
  // Whole trees (wrapped holders have grandchildren), each pinned to its start time before the kill.
  const tree = children.flatMap((c) => (c.pid === undefined ? [] : descendantsOf(c.pid).concat(track(c.pid) ?? [])));
  killTracked(tree);
  await expectNoLeftovers(tree);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Start a process (optionally behind `depth` wrapper processes) that holds `file` open; resolves once it does. */
async function holder(file: string, depth = 0): Promise<ChildProcess> {
  return holderOf([{ file, flags: "a" }], depth);
}

/** A process holding each file open with its fs.open flags ("a" = append/write, "r" = read-only). */
async function holderOf(files: { file: string; flags: "a" | "r" | "r+" }[], depth = 0): Promise<ChildProcess> {
  const opens = files.map((f) => `fs.openSync(${JSON.stringify(f.file)},${JSON.stringify(f.flags)});`).join("");
  const leaf = `const fs=require("fs");${opens}process.stdout.write("ready\\n");setInterval(()=>{},1e6);`;
  let code = leaf;
  for (let i = 0; i < depth; i++) {
    code = `const c=require("child_process").spawn(process.execPath,["-e",${JSON.stringify(code)}],{stdio:["ignore","inherit","inherit"]});process.on("SIGTERM",()=>{c.kill("SIGKILL");process.exit(0)});setInterval(()=>{},1e6);`;
  }
  const c = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"], env: cleanEnv() });
  children.push(c);
  await new Promise<void>((resolve, reject) => {
    c.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    c.on("exit", () => reject(new Error("holder exited early")));
  });
  return c;
}

describe("pure helpers", () => {
  it("rolloutFileTimeMs: UUIDv7 time, else the local timestamp of the name", () => {
    // A real name written by codex 0.169.0 at 22:07:17.451 UTC.
    expect(rolloutFileTimeMs("rollout-2026-11-20T22-07-17-01a1faff-e7cb-7fa2-be4d-388bf2dd4db5.jsonl")).toBe(Date.parse("2026-11-20T22:07:17.451Z"));
    expect(rolloutFileTimeMs("rollout-2025-01-02T03-04-05-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl")).toBe(new Date(2025, 0, 2, 3, 4, 5).getTime());
    expect(rolloutFileTimeMs("rollout-2025-01-02T03-04-05-x.jsonl")).toBeNull();
    expect(rolloutFileTimeMs("notes.txt")).toBeNull();
  });
  it("rolloutsCreatedBetween: only the dated directories the span can reach, only files created in it", async () => {
    const t = new Date(2026, 10, 20, 12, 0, 0).getTime();
    const sessions = path.join(tmp, "sessions");
    const yesterday = writeRollout(tmp, t - 30 * 3600e3, 1, "/w");
    const today = [writeRollout(tmp, t - 5 * 3600e3, 2, "/w"), writeRollout(tmp, t - 1000, 3, "/w"), writeRollout(tmp, t + 30_000, 4, "/w")];
    writeRollout(tmp, t - 8 * 3600e3, 5, "/w"); // today's directory, but before a 6 h span
    writeRollout(tmp, t - 3 * 24 * 3600e3, 6, "/w"); // a directory neither span reaches
    expect((await rolloutsCreatedBetween(sessions, t - 6 * 3600e3, t + 60_000)).sort()).toEqual(today.map((r) => r.file).sort());
    const wide = await rolloutsCreatedBetween(sessions, t - 36 * 3600e3, t + 60_000);
    expect(wide).toContain(yesterday.file);
    expect(wide).toHaveLength(5); // yesterday's, today's three, and the one 8 h before
    expect(await rolloutsCreatedBetween(path.join(tmp, "nope"), t, t + 60_000)).toEqual([]);
  });
});

describe.each(platformCases())("bind by the rollout the child's tree holds open, on $label", (pc) => {
  usePlatform(pc);
  const bindSession = (o: BindOptions) => bindOn({ ...o, platform: pc.platform });
  const tryBindSession = (o: BindOptions) => tryBindOn({ ...o, platform: pc.platform });

  it("three sessions started at the same instant in the same directory are each bound exactly", async () => {
    const now = Date.now();
    const sessions = [0, 1, 2].map((i) => writeRollout(tmp, now, i, "/same/dir"));
    // Behind 0, 1 and 2 wrapper processes (like node launcher → native codex).
    const holders = await Promise.all(sessions.map((s, i) => holder(s.file, i)));
    for (let i = 0; i < 3; i++) {
      const b = await bindSession({ codexHome: tmp, sinceMs: now, childPids: [holders[i]!.pid!], cwd: "/same/dir" });
      expect(b).toMatchObject({ sessionId: sessions[i]!.id, rolloutPath: sessions[i]!.file, method: "fd" });
    }
    // The descriptor is held two processes below the pid we know: the tree is what is looked at.
    const deep = await tryBindSession({ codexHome: tmp, sinceMs: now, childPids: [holders[2]!.pid!] });
    expect(deep.tree?.pids).toHaveLength(3);
    expect(deep.tree?.fds.map((f) => [f.path, f.writable])).toEqual([[sessions[2]!.file, true]]);
    expect(deep.tree?.fds[0]!.pid).not.toBe(holders[2]!.pid);
  });

  it("an old session resumed (file created long before launch) is bound too; exclude and subagents are honoured", async () => {
    const old = writeRollout(tmp, Date.now() - 40 * 24 * 3600e3, 1, "/w");
    const sub = writeRollout(tmp, Date.now(), 2, "/w", { source: { subagent: { thread_spawn: {} } } });
    const h = await holder(old.file);
    // The subagent thread held by the same process is ignored.
    const h2 = spawn(process.execPath, ["-e", `require("fs").openSync(${JSON.stringify(sub.file)},"a");process.stdout.write("ready\\n");setInterval(()=>{},1e6)`], { stdio: ["ignore", "pipe", "inherit"], env: cleanEnv() });
    children.push(h2);
    await new Promise((r) => h2.stdout!.once("data", r));
    const b = await bindSession({ codexHome: tmp, sinceMs: Date.now(), childPids: [h.pid!, h2.pid!] });
    expect(b?.sessionId).toBe(old.id);
    const ex = await tryBindSession({ codexHome: tmp, sinceMs: Date.now(), childPids: [h.pid!], exclude: [old.id] });
    expect(ex).toMatchObject({ binding: null, outcome: "no-rollout-yet" });
  });

  it("one tree holding several sessions (TUI /new keeps the old one open): the one written last wins", async () => {
    const now = Date.now();
    const first = writeRollout(tmp, now, 1, "/w");
    const second = writeRollout(tmp, now + 1000, 2, "/w");
    const c = spawn(process.execPath, ["-e", `const fs=require("fs");fs.openSync(${JSON.stringify(first.file)},"a");fs.openSync(${JSON.stringify(second.file)},"a");process.stdout.write("ready\\n");setInterval(()=>{},1e6)`], { stdio: ["ignore", "pipe", "inherit"], env: cleanEnv() });
    children.push(c);
    await new Promise((r) => c.stdout!.once("data", r));
    const old = new Date(now - 60_000);
    fs.utimesSync(first.file, old, old);
    expect((await bindSession({ codexHome: tmp, sinceMs: now, childPids: [c.pid!] }))?.sessionId).toBe(second.id);
    // The user went back to the first session and it got the latest write.
    fs.appendFileSync(first.file, '{"type":"event_msg","payload":{"type":"task_started"}}\n');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(first.file, later, later);
    expect((await bindSession({ codexHome: tmp, sinceMs: now, childPids: [c.pid!] }))?.sessionId).toBe(first.id);
  });

  it("only rollouts held open for writing count: a tree reading a neighbour's rollout is not bound to it", async () => {
    // Measured on codex 0.169.0 (strace): an `exec` starting while another session of the same
    // CODEX_HOME is live opens that session's rollout O_RDONLY during startup, before it creates its
    // own (O_RDWR|O_APPEND). Counting that descriptor bound both children to the neighbour's session.
    const now = Date.now();
    const neighbour = writeRollout(tmp, now, 1, "/same/dir");
    const mine = writeRollout(tmp, now + 5, 2, "/same/dir");
    const reader = await holderOf([{ file: neighbour.file, flags: "r" }], 1);
    const r1 = await tryBindSession({ codexHome: tmp, sinceMs: now, childPids: [reader.pid!], cwd: "/same/dir" });
    expect(r1).toMatchObject({ binding: null, outcome: "no-rollout-yet", candidates: [] });
    // The diagnostics still show the read-only descriptor and the walked tree.
    expect(r1.tree?.pids.length).toBe(2);
    expect(r1.tree?.fds).toEqual([expect.objectContaining({ path: neighbour.file, writable: false })]);

    // Reading the neighbour (even written after ours) next to writing its own: its own.
    const both = await holderOf([{ file: neighbour.file, flags: "r" }, { file: mine.file, flags: "a" }]);
    fs.appendFileSync(neighbour.file, '{"type":"event_msg","payload":{"type":"task_started"}}\n');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(neighbour.file, later, later);
    const bothAttempt = await tryBindSession({ codexHome: tmp, sinceMs: now, childPids: [both.pid!], cwd: "/same/dir" });
    expect(bothAttempt.binding?.sessionId).toBe(mine.id);
    expect(bothAttempt.candidates).toEqual([mine.file]);
    // O_RDWR counts as writing (codex opens its rollout O_RDWR|O_APPEND).
    const rw = await holderOf([{ file: neighbour.file, flags: "r+" }]);
    const rwAttempt = await tryBindSession({ codexHome: tmp, sinceMs: now, childPids: [rw.pid!] });
    expect(rwAttempt.binding?.sessionId).toBe(neighbour.id);
    expect(rwAttempt.tree?.fds).toEqual([expect.objectContaining({ path: neighbour.file, writable: true })]);
  });
  it("no held rollout → null (never a guess from the directory), and a held file without its meta line yet → meta-unreadable", async () => {
    const now = Date.now();
    writeRollout(tmp, now, 1, "/w"); // someone else's new session in the same dir
    const self = spawn(process.execPath, ["-e", `process.stdout.write("ready\\n");setInterval(()=>{},1e6)`], { stdio: ["ignore", "pipe", "inherit"], env: cleanEnv() });
    children.push(self);
    await new Promise((r) => self.stdout!.once("data", r));
    expect(await tryBindSession({ codexHome: tmp, sinceMs: now - 5000, childPids: [self.pid!], cwd: "/w" })).toMatchObject({ binding: null, outcome: "no-rollout-yet" });

    const id = uuidv7(now, 9);
    const file = rolloutPath(tmp, now, id);
    fs.writeFileSync(file, '{"timestamp":"t","ordinal":0,"type":"session_meta","payload":{"id":"' + id); // mid-write
    const h = await holder(file);
    expect(await tryBindSession({ codexHome: tmp, sinceMs: now, childPids: [h.pid!] })).toMatchObject({ binding: null, outcome: "meta-unreadable" });
    fs.appendFileSync(file, '","cwd":"/w","source":"cli"}}\n');
    expect((await bindSession({ codexHome: tmp, sinceMs: now, childPids: [h.pid!] }))?.sessionId).toBe(id);
  });

  it("waitForBinding polls a changing tree until the rollout appears, and gives up at the deadline or on abort", async () => {
    const now = Date.now();
    const s = writeRollout(tmp, now, 3, "/w");
    let pids: number[] = [];
    setTimeout(() => void holder(s.file).then((c) => (pids = [c.pid!])), 300);
    const t0 = Date.now();
    const b = await waitForBinding({ codexHome: tmp, sinceMs: now, childPids: () => pids, platform: pc.platform }, { timeoutMs: 10_000, intervalMs: 50 });
    expect(b?.sessionId).toBe(s.id);
    expect(Date.now() - t0).toBeLessThan(5000);

    const t1 = Date.now();
    expect(await waitForBinding({ codexHome: tmp, sinceMs: now, childPids: [], platform: pc.platform }, { timeoutMs: 300, intervalMs: 50 })).toBeNull();
    expect(Date.now() - t1).toBeGreaterThanOrEqual(250);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t2 = Date.now();
    expect(await waitForBinding({ codexHome: tmp, sinceMs: now, childPids: [], platform: pc.platform }, { timeoutMs: 10_000, signal: ac.signal })).toBeNull();
    expect(Date.now() - t2).toBeLessThan(2000);
  });
});

describe("binding on macOS costs one ps and one lsof per attempt", () => {
  const pc = platformCases().find((c) => c.kind === "macos")!;
  usePlatform(pc);
  it("the tree (ps -A) and its open files (lsof -p <tree>), whatever the depth", async () => {
    const now = Date.now();
    const s = writeRollout(tmp, now, 7, "/w");
    const h = await holder(s.file, 1);
    pc.platform.bootId(); // read once per process
    pc.sim!.reset();
    expect((await bindOn({ codexHome: tmp, sinceMs: now, childPids: [h.pid!], platform: pc.platform }))?.sessionId).toBe(s.id);
    const calls = pc.sim!.calls();
    expect(calls.map((c) => c.split(" ")[0])).toEqual(["ps", "lsof"]);
    expect(calls[1]).toMatch(new RegExp(`^lsof -w -n -P -a -p ${h.pid},\\d+ -F pfan$`));
  });
});

describe("bind by scan (where open files cannot be listed, and after the child is gone)", () => {
  const scan = { method: "scan" as const };
  const bindSession = bindOn;
  const tryBindSession = tryBindOn;
  it("only files created since launch in the cwd count; old ones and other dirs are ignored", async () => {
    const launch = Date.now();
    writeRollout(tmp, launch - 3600e3, 1, "/w"); // earlier today, same dir
    writeRollout(tmp, launch - 3 * 24 * 3600e3, 2, "/w"); // days ago
    writeRollout(tmp, launch + 1000, 3, "/other");
    const mine = writeRollout(tmp, launch + 1500, 4, "/w");
    writeRollout(tmp, launch + 1600, 5, "/w", { source: { subagent: "review" } });
    const b = await bindSession({ codexHome: tmp, sinceMs: launch, childPids: [], cwd: "/w", ...scan });
    expect(b).toMatchObject({ sessionId: mine.id, method: "scan" });
  });
  it("two new sessions in the same cwd: ambiguous (no guess) until the other is excluded", async () => {
    const launch = Date.now();
    const a = writeRollout(tmp, launch + 100, 1, "/w");
    const b = writeRollout(tmp, launch + 200, 2, "/w");
    const r = await tryBindSession({ codexHome: tmp, sinceMs: launch, childPids: [], cwd: "/w", ...scan });
    expect(r).toMatchObject({ binding: null, outcome: "ambiguous" });
    expect(r.candidates.sort()).toEqual([a.file, b.file].sort());
    expect((await bindSession({ codexHome: tmp, sinceMs: launch, childPids: [], cwd: "/w", exclude: [a.id], ...scan }))?.sessionId).toBe(b.id);
  });
  it("without a cwd the scan refuses; a missing sessions dir is just 'no rollout yet'", async () => {
    expect(await tryBindSession({ codexHome: tmp, sinceMs: Date.now(), childPids: [], ...scan })).toMatchObject({ outcome: "no-cwd" });
    expect(await tryBindSession({ codexHome: path.join(tmp, "nope"), sinceMs: Date.now(), childPids: [], cwd: "/w", ...scan })).toMatchObject({ outcome: "no-rollout-yet" });
  });
});

describe.each(platformCases())("the real codex (launcher → native), two `exec` runs started at once in the same directory, on $label", (pc: PlatformCase) => {
  usePlatform(pc);
  let server: ModelServer;
  let h: CodexHome;
  beforeEach(async () => {
    server = await startModelServer({ delayMs: 2500 });
    h = makeCodexHome({ baseUrl: server.baseUrl, apiKey: "sk-bind-test" });
  });
  afterEach(async () => {
    await server.close();
    // This hook runs before the file's own afterEach: if the test failed early, its codex processes are
    // still writing into the home (rmSync then fails with ENOTEMPTY). End them — the launchers' trees
    // and anything carrying this test's unique CODEX_HOME — and poll until they are gone.
    const procs: TrackedProcess[] = [
      ...children.flatMap((c) => (c.pid === undefined ? [] : descendantsOf(c.pid).concat(track(c.pid) ?? []))),
      ...findProcessesByEnv("CODEX_HOME", h.home),
    ];
    killTracked(procs);
    const left = await waitForGone(procs, 10_000);
    if (left.length > 0) throw new Error(`codex processes of ${h.home} still running after 10 s: ${left.map((p) => p.pid).join(", ")} (home kept)`);
    h.cleanup();
  });

  /** Why a binding went wrong: each tree's pids and rollout fds at its last attempt, and the files that exist. */
  function explain(attempts: (BindAttempt | null)[], bindings: ({ sessionId: string } | null)[]): string {
    const lines = attempts.map((a, i) => {
      const fds = (a?.tree?.fds ?? []).map((f) => `pid ${f.pid} fd ${f.fd} ${f.writable ? "w" : "r"} ${path.basename(f.path)}`);
      return `child ${i}: bound ${bindings[i]?.sessionId ?? "nothing"} (${a?.outcome ?? "no attempt"}); tree [${a?.tree?.pids.join(" ") ?? ""}]; fds: ${fds.join("; ") || "none"}`;
    });
    const files = listRollouts(h.home).map((f) => path.basename(f));
    const reqs = server.requests.map((q) => `${JSON.stringify(q.prompt)} → ${q.sessionId}`);
    return [...lines, `rollouts: ${files.join(", ") || "none"}`, `requests: ${reqs.join(", ") || "none"}`].join("\n");
  }

  it("each child is bound to its own session (the one whose request carried its prompt)", async () => {
    const since = Date.now();
    const prompts = ["bind me: alpha", "bind me: beta"];
    const runs = prompts.map((p) => {
      const c = spawn(process.execPath, [REAL_CODEX_LAUNCHER, "exec", "--skip-git-repo-check", p], { cwd: h.workDir, env: h.env, stdio: "ignore" });
      children.push(c);
      return { c, exited: new Promise<number | null>((r) => c.on("exit", (code) => r(code))) };
    });
    const last: (BindAttempt | null)[] = runs.map(() => null);
    const bindings = await Promise.all(
      runs.map((r, i) =>
        waitForBinding(
          { codexHome: h.home, sinceMs: since, childPids: [r.c.pid!], cwd: h.workDir, platform: pc.platform },
          { timeoutMs: 30_000, intervalMs: 50, onAttempt: (a) => (last[i] = a) },
        ),
      ),
    );
    const why = explain(last, bindings);
    expect(bindings.every((b) => b?.method === "fd"), why).toBe(true);
    expect(bindings[0]!.sessionId, why).not.toBe(bindings[1]!.sessionId);
    for (const code of await Promise.all(runs.map((r) => r.exited))) expect(code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const req = server.requests.find((q) => q.prompt === prompts[i]);
      expect(req?.sessionId, why).toBe(bindings[i]!.sessionId);
      expect(bindings[i]!.meta.cwd).toBe(h.workDir);
    }
  }, 60_000);
});
