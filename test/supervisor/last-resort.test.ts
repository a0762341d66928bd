// The last-resort exit hook (last-resort.ts):
// - killJobTreeSync SIGKILLs, synchronously, our child's tree and every marker carrier (also a
//   setsid()'d one), never an unrelated process;
// - armed in a real process (compiled dist/), every unplanned end — uncaught exception, unhandled
//   rejection, process.exit() from anywhere, a signal nobody handles — kills the marked child and runs
//   the terminal restore; a disarmed hook leaves the process alone.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readIdentity } from "../../lib/process/identity.js";
import { killJobTreeSync } from "../../lib/supervisor/last-resort.js";
import { REPO_ROOT } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";
import { pollUntil } from "../helpers/poll.js";
import { expectNoLeftovers, findMarkedProcesses, isStillRunning, killTracked, track, type TrackedProcess } from "../helpers/processes.js";

const started: TrackedProcess[] = [];
const markers: string[] = [];
afterEach(async () => {
  killTracked(started);
  for (const m of markers) {
    killTracked(findMarkedProcesses(m));
    await expectNoLeftovers({ marker: m });
  }
  started.length = 0;
  markers.length = 0;
});

function newMarker(): string {
  const m = `test-last-resort-${crypto.randomBytes(6).toString("hex")}`;
  markers.push(m);
  return m;
}

describe("killJobTreeSync", () => {
  it("kills the child, its descendants and a setsid()'d marker carrier; an unrelated process lives", async () => {
    const marker = newMarker();
    const root: ChildProcess = spawn("sh", ["-c", "sleep 300 & setsid sleep 300 & wait"], { env: cleanEnv({ CODEX_SUPERVISOR_JOB: marker }), stdio: "ignore" });
    const bystander = spawn("sleep", ["300"], { stdio: "ignore" });
    started.push(track(bystander.pid!)!);
    const rootId = readIdentity(root.pid!)!;
    const members = await pollUntil(() => {
      const m = findMarkedProcesses(marker);
      return m.length >= 3 ? m : undefined;
    }, 5000, "the marked tree (sh, sleep, setsid sleep)", 20);
    started.push(...members);

    const r = killJobTreeSync({ root: rootId, marker, waitMs: 2000 });
    expect(r.left).toEqual([]);
    expect(new Set(r.killed)).toEqual(new Set(members.map((m) => m.pid)));
    for (const m of members) expect(isStillRunning(m)).toBe(false);
    expect(isStillRunning(track(bystander.pid!)!)).toBe(true);
  });
});

const LAST_RESORT_JS = path.join(REPO_ROOT, "dist", "supervisor", "last-resort.js");

/**
 * A stand-in supervisor: spawns a marked `sleep`, arms the hook (restore prints RESTORED, the log line
 * goes to stdout), says READY, then ends the way `how` says.
 */
function driver(how: string): string {
  return `
import { spawn } from "node:child_process";
import { armLastResort } from ${JSON.stringify(LAST_RESORT_JS)};
const child = spawn("sleep", ["300"], { env: { ...process.env, CODEX_SUPERVISOR_JOB: process.env.MARK }, stdio: "ignore" });
const h = armLastResort({
  marker: process.env.MARK,
  currentChild: () => null,
  restoreTerminal: () => process.stdout.write("RESTORED\\n"),
  log: (d) => process.stdout.write("LOG " + JSON.stringify(d) + "\\n"),
});
process.stdout.write("READY " + child.pid + "\\n");
const how = ${JSON.stringify(how)};
if (how === "throw") setTimeout(() => { throw new Error("boom"); }, 50);
if (how === "reject") setTimeout(() => { Promise.reject(new Error("boom")); }, 50);
if (how === "exit") setTimeout(() => process.exit(3), 50);
if (how === "disarmed-exit") setTimeout(() => { h.disarm(); process.exit(0); }, 50);
if (how === "signal") setInterval(() => {}, 1000);
`;
}

async function runDriver(how: string, signal?: NodeJS.Signals) {
  const marker = newMarker();
  const child = spawn(process.execPath, ["--input-type=module", "-e", driver(how)], { env: cleanEnv({ MARK: marker }), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.resume();
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, sig) => r({ code, signal: sig })));
  const sleeper = Number(await pollUntil(() => /READY (\d+)/.exec(out)?.[1], 10_000, "the driver to be ready", 20));
  const tracked = track(sleeper)!;
  started.push(tracked);
  if (signal) process.kill(child.pid!, signal);
  const end = await ended;
  return { end, out, sleeper: tracked };
}

describe("armLastResort in a real process", () => {
  it.each([
    ["an uncaught exception", "throw", undefined, { code: 1, signal: null }],
    ["an unhandled rejection", "reject", undefined, { code: 1, signal: null }],
    ["process.exit() from anywhere", "exit", undefined, { code: 3, signal: null }],
    ["a signal nobody handles (SIGUSR2)", "signal", "SIGUSR2", { code: null, signal: "SIGUSR2" }],
    ["a signal nobody handles (SIGQUIT, Ctrl+\\)", "signal", "SIGQUIT", { code: null, signal: "SIGQUIT" }],
  ] as const)("%s: the marked child is killed, the terminal restored, the process still ends the same way", async (_what, how, signal, expected) => {
    expect(fs.existsSync(LAST_RESORT_JS), "build first: npx tsc -p .").toBe(true);
    const r = await runDriver(how, signal);
    expect(r.end).toEqual(expected);
    expect(isStillRunning(r.sleeper)).toBe(false);
    expect(r.out).toContain("RESTORED");
    const log = JSON.parse(/LOG (.*)/.exec(r.out)![1]!);
    expect(log.killed).toEqual([r.sleeper.pid]);
    expect(log.left).toEqual([]);
  }, 20_000);

  it("disarmed (the loop ended normally): nothing is killed, nothing restored", async () => {
    const r = await runDriver("disarmed-exit");
    expect(r.end).toEqual({ code: 0, signal: null });
    expect(isStillRunning(r.sleeper)).toBe(true);
    expect(r.out).not.toContain("RESTORED");
  }, 20_000);
});

