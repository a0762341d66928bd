// The real supervisor ports (ports.ts) at the I/O level:
// - the quota follower wakes the loop as soon as a token_count line lands (fs.watch), not at the next poll;
// - the last-chance binding scan (child already gone) skips sessions bound by other live jobs;
// - the child is spawned through cross-spawn with exactly our argv, inherited stdio and our process group.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { defaultConfig } from "../../lib/config/schema.js";
import { createJob, updateJob } from "../../lib/jobs/records.js";
import { readIdentity } from "../../lib/process/identity.js";
import { realPorts } from "../../lib/supervisor/ports.js";
import type { SupervisorPorts } from "../../lib/supervisor/core.js";
import { cleanEnv } from "../helpers/env.js";

const spawned = vi.hoisted(() => ({ calls: [] as Array<{ command: string; args: string[]; options: Record<string, unknown> }> }));
vi.mock("cross-spawn", async (importOriginal) => {
  const real = ((await importOriginal()) as { default: (...a: unknown[]) => unknown }).default;
  const spy = (command: string, args: string[], options: Record<string, unknown>) => {
    spawned.calls.push({ command, args: [...args], options });
    return real(command, args, options);
  };
  return { default: spy };
});

let tmp: string;
let ports: SupervisorPorts | null;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "cxs-ports-")));
  ports = null;
  spawned.calls.length = 0;
});
afterEach(() => {
  ports?.ended?.(); // disarm the last-resort hook of this test's ports
  fs.rmSync(tmp, { recursive: true, force: true });
});

const line = (type: string, payload: object) => JSON.stringify({ timestamp: new Date().toISOString(), type, payload }) + "\n";
const tokenCountAt = (timestamp: string, used: number) =>
  JSON.stringify({ timestamp, type: "event_msg", payload: { type: "token_count", info: null, rate_limits: { limit_id: "codex", primary: { used_percent: used, window_minutes: 300, resets_at: null }, secondary: null } } }) + "\n";
const tokenCount = (used: number) =>
  line("event_msg", {
    type: "token_count",
    info: null,
    rate_limits: {
      limit_id: "codex",
      primary: { used_percent: used, window_minutes: 300, resets_at: Math.floor(Date.now() / 1000) + 3600 },
      secondary: { used_percent: 10, window_minutes: 10080, resets_at: Math.floor(Date.now() / 1000) + 86400 },
    },
  });

const pad = (n: number) => String(n).padStart(2, "0");
function uuidv7(ms: number, seq: number): string {
  const h = ms.toString(16).padStart(12, "0") + "7" + seq.toString(16).padStart(19, "0").slice(-19);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
/** A TUI rollout created at `ms` in `cwd`, as codex names and starts them. */
function writeRollout(codexHome: string, ms: number, seq: number, cwd: string): { id: string; file: string } {
  const id = uuidv7(ms, seq);
  const d = new Date(ms);
  const dir = path.join(codexHome, "sessions", String(d.getFullYear()), pad(d.getMonth() + 1), pad(d.getDate()));
  const file = path.join(dir, `rollout-${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}-${id}.jsonl`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, line("session_meta", { id, session_id: id, cwd, originator: "codex-tui", source: "cli", cli_version: "0.169.0" }));
  return { id, file };
}

function makePorts(realPath: string, launchedAt: number, extra: { env?: NodeJS.ProcessEnv; jobId?: string } = {}): SupervisorPorts {
  const home = path.join(tmp, "sup");
  const work = path.join(tmp, "work");
  fs.mkdirSync(work, { recursive: true });
  const jobId = extra.jobId ?? "s-20260101-aaaaaaaa";
  ports = realPorts({
    jobId,
    home,
    codexHome: path.join(tmp, "codex"),
    env: cleanEnv(extra.env ?? {}),
    config: { ...defaultConfig(), sigintWaitMs: 500, sigtermWaitMs: 500 },
    real: { path: realPath, how: "env", searched: [] },
    cwd: work,
    sessionCwd: work,
    stdio: "inherit",
    restoreTerminal: () => {},
    write: () => {},
    launchedAt,
  });
  return ports;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe("following a rollout", () => {
  it("delivers only the lines written after the child started, within milliseconds of each append (fs.watch)", async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const file = path.join(tmp, `rollout-${i}.jsonl`);
      // An earlier run of the session: a 97 % reading that must never count for the new child.
      const old = new Date(Date.now() - 3_600_000).toISOString();
      const oldLine = (type: string, payload: object) => JSON.stringify({ timestamp: old, type, payload }) + "\n";
      fs.writeFileSync(file, oldLine("session_meta", { id: `s-${i}`, cwd: tmp }) + oldLine("event_msg", { type: "task_started" }) + tokenCountAt(old, 97) + oldLine("event_msg", { type: "task_complete" }));
      const since = Date.now();
      const p = makePorts("/bin/true", since);
      const seen: unknown[][] = [];
      let woke: ((t: number) => void) | null = null;
      const f = p.follow({ sessionId: `s-${i}`, rolloutPath: file }, since, (facts) => {
        seen.push(facts);
        woke?.(performance.now());
      });
      try {
        // Let the start offset be found first, so the append we time is the one that is delivered.
        await new Promise((r) => setTimeout(r, 30));
        const wakeSeen = new Promise<number>((resolve) => (woke = resolve));
        const t0 = performance.now();
        fs.appendFileSync(file, tokenCount(40));
        const t1 = await Promise.race([wakeSeen, new Promise<number>((r) => setTimeout(() => r(Infinity), 5000))]);
        expect(t1).not.toBe(Infinity);
        latencies.push(t1 - t0);
        expect(seen).toEqual([[{ kind: "token_count", rateLimits: expect.objectContaining({ primary: expect.objectContaining({ used_percent: 40 }) }) }]]);
        fs.appendFileSync(file, line("event_msg", { type: "task_complete", turn_id: "t2" }));
        expect(await f.drain()).toEqual([{ kind: "task_complete", error: null }]);
      } finally {
        f.close();
        ports?.ended?.();
      }
    }
    const m = median(latencies);
    console.log(`token_count appended → facts delivered: median ${m.toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms (10 runs; the backstop poll is 1000 ms)`);
  }, 60_000);
});

describe("last-chance binding scan", () => {
  it("two sessions in one directory: the one bound by another live job is excluded, ours is bound", async () => {
    const launchedAt = Date.now() - 1000;
    const p = makePorts("/bin/true", launchedAt);
    const home = path.join(tmp, "sup");
    const work = path.join(tmp, "work");
    const codexHome = path.join(tmp, "codex");
    const me = readIdentity(process.pid)!;
    createJob(home, { id: "s-20260101-aaaaaaaa", kind: "session", supervisor: { pid: process.pid, identity: { ...me } }, cwd: work, argv: [] });
    // A neighbour: another live supervisor (this test process stands in for it) started codex in the same
    // directory at the same time and has bound its session.
    const theirs = writeRollout(codexHome, launchedAt + 100, 1, work);
    const ours = writeRollout(codexHome, launchedAt + 200, 2, work);
    createJob(home, { id: "s-20260101-bbbbbbbb", kind: "session", supervisor: { pid: process.pid, identity: { ...me } }, cwd: work, argv: [] });
    updateJob(home, "s-20260101-bbbbbbbb", { status: "running", sessionId: theirs.id, rolloutPath: theirs.file });
    // And an ended job whose session must not be excluded (it is over).
    createJob(home, { id: "s-20260101-cccccccc", kind: "session", supervisor: { pid: process.pid, identity: { ...me } }, cwd: work, argv: [] });
    updateJob(home, "s-20260101-cccccccc", { status: "exited", sessionId: ours.id, rolloutPath: ours.file, endedAt: new Date().toISOString() });

    const child = await p.spawn([]);
    await child.exit; // crashed before binding: only the scan can tell now
    const b = await p.bind(child, "final");
    expect(b).toEqual({ sessionId: ours.id, rolloutPath: ours.file });
  });
});

describe("spawning the child", () => {
  it("goes through cross-spawn with the exact argv, inherited stdio and our process group", async () => {
    const out = path.join(tmp, "argv.bin");
    const script = path.join(tmp, "stand-in");
    fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\0' "$@" > "$ARGV_OUT"\nexec sleep 30\n`, { mode: 0o755 });
    const p = makePorts(script, Date.now(), { env: { ARGV_OUT: out } });
    const me = readIdentity(process.pid)!;
    createJob(path.join(tmp, "sup"), { id: "s-20260101-aaaaaaaa", kind: "session", supervisor: { pid: process.pid, identity: { ...me } }, cwd: tmp, argv: [] });
    const argv = ["--no-daemon", "-c", 'model="x y"', "", "$HOME `id`", "ünïcode", "--", "-h"];
    const child = await p.spawn(argv);
    try {
      await vi.waitFor(() => expect(fs.existsSync(out) && fs.readFileSync(out).length > 0).toBe(true), { timeout: 5000 });
      expect(fs.readFileSync(out, "utf8").split("\0").slice(0, -1)).toEqual(argv);
      const pgrp = (pid: number | "self") => fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2];
      expect(pgrp(child.pid)).toBe(pgrp("self"));
      for (const fd of [0, 1, 2]) expect(fs.readlinkSync(`/proc/${child.pid}/fd/${fd}`)).toBe(fs.readlinkSync(`/proc/self/fd/${fd}`));
      expect(spawned.calls).toHaveLength(1);
      expect(spawned.calls[0]!.args).toEqual(argv);
      expect(spawned.calls[0]!.options).toMatchObject({ stdio: "inherit" });
      expect(spawned.calls[0]!.options.detached).toBeUndefined();
    } finally {
      const r = await p.stopTree(child, [{ signal: "SIGINT", graceMs: 500 }, { signal: "SIGTERM", graceMs: 500 }, { signal: "SIGKILL", graceMs: 2000 }]);
      expect(r.left).toEqual([]);
    }
    expect(await child.exit).toMatchObject({ signal: expect.stringMatching(/SIGINT|SIGTERM|SIGKILL/) });
  }, 20_000);
});

describe("the accounts snapshot", () => {
  it("says rotation is blocked when codex keeps logins in the keyring (config.toml or a -c override)", async () => {
    const p = makePorts("/bin/true", Date.now());
    const codexHome = path.join(tmp, "codex");
    fs.mkdirSync(codexHome, { recursive: true });
    expect((await p.accounts!.snapshot()).rotationBlocked).toBeNull();
    fs.writeFileSync(path.join(codexHome, "config.toml"), 'cli_auth_credentials_store = "keyring"\n');
    expect((await p.accounts!.snapshot()).rotationBlocked).toMatch(/^not switching accounts: .*keyring/);
  });
});
