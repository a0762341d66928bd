// Whole-tree escalation on a synthetic tree of real processes (test/fixtures/tree/node.mjs):
// wrapper → child → setsid'd grandchild, each configurable to ignore SIGINT and/or SIGTERM. Runs on
// both process-table ports (Linux /proc, macOS against the simulated ps); what the test itself looks
// at (who is still running) is read from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { escalateTree, type EscalateInput, type EscalationEvent } from "../../lib/process/escalate.js";
import { isAlive, readIdentity, type ProcessIdentity } from "../../lib/process/identity.js";
import { linuxPlatform } from "../../lib/process/linux.js";
import { listMarked, markerOf } from "../../lib/process/proc-table.js";
import { signalVerified } from "../../lib/process/signal.js";
import { pollUntil } from "../helpers/poll.js";
import { cleanEnv } from "../helpers/env.js";
import { platformCases, usePlatform } from "../platform/matrix.js";

const NODE_FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/tree/node.mjs");
const WAITS = { sigintWaitMs: 700, sigtermWaitMs: 700, sigkillWaitMs: 1000 };

interface Spec {
  name: string;
  ignore?: ("SIGINT" | "SIGTERM")[];
  detached?: boolean;
  exitAfterSpawn?: boolean;
  child?: Spec;
}

let dir: string;
let log: string;
let marker: string;
const started: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "escalate-test-"));
  log = path.join(dir, "events.log");
  fs.writeFileSync(log, "");
  marker = `j-test-${randomBytes(4).toString("hex")}`;
});

afterEach(async () => {
  // Safety net: kill whatever still carries this test's marker (identity-verified), then assert none left.
  for (const p of listMarked(linuxPlatform)) if (markerOf(p) === marker) signalVerified(p.identity, "SIGKILL", linuxPlatform);
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await pollUntil(() => markedPids(marker).length === 0, 3000, "marked processes to be gone", 20);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Running processes carrying the marker, as /proc says (the ground truth on both ports' runs). */
function markedPids(m: string): number[] {
  return listMarked(linuxPlatform)
    .filter((p) => p.state !== "Z" && markerOf(p) === m)
    .map((p) => p.pid);
}

function logLines(): string[] {
  return fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
}

/** name → pid from the "ready" lines. */
function readyPids(): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of logLines()) {
    const m = /^(\S+) (\d+) ready/.exec(l);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Start the wrapper with the marker in its env and wait until every node announced readiness. */
async function startTree(spec: Spec, names: string[]): Promise<{ wrapper: ChildProcess; pids: Map<string, number> }> {
  const wrapper = spawn(process.execPath, [NODE_FIXTURE, JSON.stringify({ ...spec, log })], {
    stdio: "ignore",
    env: cleanEnv({ CODEX_SUPERVISOR_JOB: marker }),
  });
  started.push(wrapper);
  await pollUntil(() => names.every((n) => readyPids().has(n)), 15_000, `${names.join(", ")} ready`, 20);
  return { wrapper, pids: readyPids() };
}

function signalsTo(report: { signalled: { pid: number; signal: string }[] }, pid: number): string[] {
  return report.signalled.filter((s) => s.pid === pid).map((s) => s.signal);
}

const stubbornSpec: Spec = {
  name: "wrapper",
  ignore: ["SIGINT"],
  child: {
    name: "child",
    ignore: ["SIGINT", "SIGTERM"],
    child: { name: "grandchild", detached: true, ignore: ["SIGINT", "SIGTERM"] },
  },
};

describe.each(platformCases())("on $label", (pc) => {
  usePlatform(pc);
  const escalate = (input: EscalateInput) => escalateTree({ ...input, platform: pc.platform });

  describe("escalateTree on a synthetic tree", () => {
    it("cooperative tree: SIGINT only, every process gone, no later stage waited for", async () => {
      const spec: Spec = { name: "wrapper", child: { name: "child", child: { name: "grandchild", detached: true } } };
      const { pids } = await startTree(spec, ["wrapper", "child", "grandchild"]);
      const events: EscalationEvent[] = [];
      const report = await escalate({ rootPids: [pids.get("wrapper")!], marker, waits: WAITS, onEvent: (e) => events.push(e) });
      for (const name of ["wrapper", "child", "grandchild"]) {
        expect(signalsTo(report, pids.get(name)!), name).toEqual(["SIGINT"]);
        expect(logLines()).toContain(`${name} ${pids.get(name)} got SIGINT exiting`);
      }
      expect(report.left).toEqual([]);
      expect(markedPids(marker)).toEqual([]);
      // Everything was gone within the SIGINT wait, and no later stage was waited for.
      expect(events.filter((e) => e.type === "waited")).toEqual([expect.objectContaining({ signal: "SIGINT", remaining: [] })]);
    });

    it("stubborn tree: SIGTERM only where SIGINT was ignored, SIGKILL only for the ones ignoring both", async () => {
      const { pids } = await startTree(stubbornSpec, ["wrapper", "child", "grandchild"]);
      const wrapperPid = pids.get("wrapper")!;
      const childPid = pids.get("child")!;
      const grandPid = pids.get("grandchild")!;
      // The grandchild really is in its own session (setsid), i.e. outside the wrapper's process group.
      expect(logLines().find((l) => l.startsWith(`grandchild ${grandPid} ready`))).toContain(`sid=${grandPid}`);

      const events: EscalationEvent[] = [];
      const signalled: [number, string][] = [];
      const report = await escalate({
        rootPids: [wrapperPid],
        marker,
        waits: WAITS,
        onEvent: (e) => events.push(e),
        onSignal: (id, sig) => signalled.push([id.pid, sig]),
      });

      expect(signalsTo(report, wrapperPid)).toEqual(["SIGINT", "SIGTERM"]);
      expect(signalsTo(report, childPid)).toEqual(["SIGINT", "SIGTERM", "SIGKILL"]);
      expect(signalsTo(report, grandPid)).toEqual(["SIGINT", "SIGTERM", "SIGKILL"]);
      expect(signalled).toEqual(report.signalled.map((s) => [s.pid, s.signal]));
      // What the processes saw, in order.
      const lines = logLines();
      expect(lines.filter((l) => l.startsWith(`wrapper ${wrapperPid} got`))).toEqual([
        `wrapper ${wrapperPid} got SIGINT ignored`,
        `wrapper ${wrapperPid} got SIGTERM exiting`,
      ]);
      for (const [name, pid] of [["child", childPid], ["grandchild", grandPid]] as const) {
        expect(lines.filter((l) => l.startsWith(`${name} ${pid} got`))).toEqual([
          `${name} ${pid} got SIGINT ignored`,
          `${name} ${pid} got SIGTERM ignored`,
        ]);
      }
      // Stages in order: snapshot, INT, wait, snapshot, TERM, wait, snapshot, KILL, wait, snapshot, done.
      const kinds = events.map((e) => (e.type === "signal" ? `signal:${e.signal}` : e.type === "snapshot" ? `snapshot:${e.after}` : e.type));
      const firstOf = (k: string) => kinds.indexOf(k);
      expect(firstOf("snapshot:start")).toBe(0);
      expect(firstOf("signal:SIGINT")).toBeLessThan(firstOf("snapshot:SIGINT"));
      expect(firstOf("snapshot:SIGINT")).toBeLessThan(firstOf("signal:SIGTERM"));
      expect(firstOf("snapshot:SIGTERM")).toBeLessThan(firstOf("signal:SIGKILL"));
      expect(kinds.at(-1)).toBe("done");
      expect(report.left).toEqual([]);
      expect(markedPids(marker)).toEqual([]);
      // The SIGINT and SIGTERM waits were used in full (someone ignored each), the kill wait only until all were gone.
      const waited = events.filter((e) => e.type === "waited") as Extract<EscalationEvent, { type: "waited" }>[];
      expect(waited.map((w) => w.signal)).toEqual(["SIGINT", "SIGTERM", "SIGKILL"]);
      expect(waited[0]!.ms).toBeGreaterThanOrEqual(WAITS.sigintWaitMs - 1);
      expect(waited[1]!.ms).toBeGreaterThanOrEqual(WAITS.sigtermWaitMs - 1);
      expect(waited[2]!.remaining).toEqual([]);
    });

    it("finds the setsid'd grandchild by its marker after its parent exited (reparented), and kills it", async () => {
      const spec: Spec = {
        name: "wrapper",
        child: {
          name: "child",
          exitAfterSpawn: true,
          child: { name: "grandchild", detached: true, ignore: ["SIGINT"] },
        },
      };
      const { pids } = await startTree(spec, ["wrapper", "child", "grandchild"]);
      const grandPid = pids.get("grandchild")!;
      await pollUntil(() => readIdentity(pids.get("child")!, pc.platform) === null, 5000, "child to exit by itself", 20);
      // Orphaned: no longer below the wrapper.
      const grand = listMarked(linuxPlatform).find((p) => p.pid === grandPid)!;
      expect(grand.ppid).not.toBe(pids.get("child"));

      const events: EscalationEvent[] = [];
      const report = await escalate({ rootPids: [pids.get("wrapper")!], marker, waits: WAITS, onEvent: (e) => events.push(e) });
      const start = events.find((e) => e.type === "snapshot" && e.after === "start");
      expect(start && start.type === "snapshot" && start.added).toContainEqual(expect.objectContaining({ pid: grandPid, via: "marker" }));
      expect(signalsTo(report, grandPid)).toEqual(["SIGINT", "SIGTERM"]);
      expect(report.left).toEqual([]);
      expect(markedPids(marker)).toEqual([]);
    });

    it("without the marker the orphan is not found (the marker is what catches it)", async () => {
      const spec: Spec = {
        name: "wrapper",
        child: { name: "child", exitAfterSpawn: true, child: { name: "grandchild", detached: true } },
      };
      const { pids } = await startTree(spec, ["wrapper", "child", "grandchild"]);
      await pollUntil(() => readIdentity(pids.get("child")!, pc.platform) === null, 5000, "child to exit by itself", 20);
      const grandId = readIdentity(pids.get("grandchild")!, pc.platform)!;
      const report = await escalate({ rootPids: [pids.get("wrapper")!], waits: WAITS });
      expect(signalsTo(report, grandId.pid)).toEqual([]);
      expect(isAlive(grandId, pc.platform)).toBe(true); // cleaned up by afterEach
    });

    it("an escalation that starts after the tree already exited signals nothing", async () => {
      const { wrapper, pids } = await startTree({ name: "wrapper" }, ["wrapper"]);
      const id = readIdentity(pids.get("wrapper")!, pc.platform)!;
      wrapper.kill("SIGKILL");
      await pollUntil(() => !isAlive(id, pc.platform), 5000, "wrapper gone", 20);
      const report = await escalate({ identities: [id], marker, waits: WAITS });
      expect(report.signalled).toEqual([]);
      expect(report.left).toEqual([]);
    });

    it("the root is our own child: isExited override from the ChildProcess handle; Node reaps it", async () => {
      const { wrapper, pids } = await startTree({ name: "wrapper" }, ["wrapper"]);
      const id = readIdentity(pids.get("wrapper")!, pc.platform)!;
      const exited = new Promise<void>((r) => wrapper.once("exit", () => r()));
      const seen: number[] = [];
      const report = await escalate({
        identities: [id],
        waits: WAITS,
        isExited: (i) => {
          if (i.pid !== wrapper.pid) return undefined;
          seen.push(i.pid);
          return wrapper.exitCode !== null || wrapper.signalCode !== null;
        },
      });
      await exited;
      expect(seen.length).toBeGreaterThan(0);
      expect(signalsTo(report, id.pid)).toEqual(["SIGINT"]);
      expect(wrapper.exitCode).toBe(130);
      expect(report.left).toEqual([]);
    });
  });

  describe("zombies and identity", () => {
    it("a zombie in the tree counts as exited: never signalled, not reported as left", async () => {
      // sh forks a short sleep, then execs a long sleep that never wait()s: the short one becomes a zombie.
      const sh = spawn("sh", ["-c", "sleep 0.1 & exec sleep 30"], { stdio: "ignore", env: cleanEnv({ CODEX_SUPERVISOR_JOB: marker }) });
      started.push(sh);
      let zombie: number | undefined;
      await pollUntil(() => {
        zombie = listMarked(linuxPlatform).find((p) => p.ppid === sh.pid && p.state === "Z")?.pid;
        return zombie !== undefined;
      }, 5000, "a zombie child", 20);
      const report = await escalate({ rootPids: [sh.pid!], marker, waits: WAITS });
      expect(report.signalled.map((s) => s.pid)).toEqual([sh.pid]);
      expect(report.signalled.map((s) => s.pid)).not.toContain(zombie);
      expect(report.left).toEqual([]);
    });

    it("a stale identity (same pid, different start ticks) is never signalled; the process stays alive", async () => {
      const sleeper = spawn("sleep", ["30"], { stdio: "ignore", env: cleanEnv({ CODEX_SUPERVISOR_JOB: marker }) });
      started.push(sleeper);
      await pollUntil(() => readIdentity(sleeper.pid!, pc.platform)?.startTicks !== undefined, 2000, "sleep to start", 20);
      const real = readIdentity(sleeper.pid!, pc.platform)!;
      const stale: ProcessIdentity = { ...real, startTicks: real.startTicks + 1 };
      const otherBoot: ProcessIdentity = { ...real, bootId: "00000000-0000-0000-0000-000000000000" };

      expect(signalVerified(stale, "SIGKILL", pc.platform)).toMatchObject({ sent: false, reason: "reused" });
      expect(signalVerified(otherBoot, "SIGKILL", pc.platform)).toMatchObject({ sent: false, reason: "reused" });
      const report = await escalate({ identities: [stale], waits: WAITS });
      expect(report.signalled).toEqual([]);
      expect(report.left).toEqual([]); // the stale identity's process is gone; the sleeper is not it
      expect(isAlive(real, pc.platform)).toBe(true);
      expect(sleeper.exitCode).toBeNull();
      expect(sleeper.signalCode).toBeNull();

      expect(signalVerified(real, "SIGTERM", pc.platform)).toMatchObject({ sent: true });
      await pollUntil(() => sleeper.signalCode === "SIGTERM", 3000, "sleep to die", 20);
      expect(signalVerified(real, "SIGTERM", pc.platform)).toMatchObject({ sent: false, reason: "gone" });
    });

    it("never signals this process or its ancestors, even when they are passed as roots", async () => {
      const me = readIdentity(process.pid, pc.platform)!;
      const report = await escalate({ identities: [me], waits: { sigintWaitMs: 50, sigtermWaitMs: 50, sigkillWaitMs: 50 } });
      expect(report.signalled).toEqual([]);
    });
  });
});

// Linux only: these measure how soon the wait notices an exit, which on the simulated macOS port is
// dominated by starting the stand-in ps (a Node process) for every look.
describe("waiting for exits (linux /proc): short target-only polls, a wake on the caller's exit notice", () => {
  /** `sh` that ignores SIGINT (its sleep inherits that), says ready, and exits by itself after `secs`. */
  async function startLateExiter(secs: number): Promise<{ sh: ChildProcess; exitedAt: Promise<number> }> {
    const sh = spawn("sh", ["-c", `trap '' INT; echo ready; sleep ${secs}`], { stdio: ["ignore", "pipe", "ignore"], env: cleanEnv({ CODEX_SUPERVISOR_JOB: marker }) });
    started.push(sh);
    const exitedAt = new Promise<number>((r) => sh.once("exit", () => r(performance.now())));
    await new Promise<void>((resolve, reject) => {
      sh.stdout!.once("data", () => resolve());
      sh.once("error", reject);
    });
    return { sh, exitedAt };
  }

  it("the wait ends as soon as the caller's `exits` notice says the root is gone, not at the next poll", async () => {
    const { sh, exitedAt } = await startLateExiter(0.6);
    const id = readIdentity(sh.pid!)!;
    const report = await escalateTree({
      identities: [id],
      waits: { sigintWaitMs: 5000 },
      // A long poll: only the notice can end the wait promptly (the 1 ms → 2 s doubling polls at
      // ~511 ms and ~1023 ms, i.e. ~400 ms after the exit).
      pollMs: 2000,
      isExited: (i) => (i.pid === sh.pid ? sh.exitCode !== null || sh.signalCode !== null : undefined),
      exits: [exitedAt],
    });
    const late = performance.now() - (await exitedAt);
    expect(signalsTo(report, id.pid)).toEqual(["SIGINT"]);
    expect(report.left).toEqual([]);
    expect(late).toBeLessThan(150);
  });

  it("polls the targets often (default ≤ 10 ms apart) while reading the whole process table only at stage boundaries", async () => {
    const { sh, exitedAt } = await startLateExiter(30);
    const id = readIdentity(sh.pid!)!;
    const polls: number[] = [];
    const events: EscalationEvent[] = [];
    const report = await escalateTree({
      identities: [id],
      marker,
      waits: { sigintWaitMs: 300, sigtermWaitMs: 2000 },
      isExited: (i) => {
        if (i.pid === sh.pid) polls.push(performance.now());
        return undefined; // the /proc check decides
      },
      onEvent: (e) => events.push(e),
    });
    await exitedAt;
    expect(signalsTo(report, id.pid)).toEqual(["SIGINT", "SIGTERM"]); // sh dies at SIGTERM, its sleep too (ppid walk)
    expect(report.left).toEqual([]);
    const waitedInt = events.find((e) => e.type === "waited" && e.signal === "SIGINT")!;
    const start = polls[0]!;
    const during = polls.filter((t) => t - start < (waitedInt as { ms: number }).ms);
    // 300 ms with polls at most 10 ms apart is ≥ 30 looks; a 50 ms poll gives 6. Leave room for a loaded machine.
    expect(during.length).toBeGreaterThanOrEqual(15);
    // Full snapshots (environ of every process): at the start and after each stage's wait, nothing more.
    expect(events.filter((e) => e.type === "snapshot").map((e) => (e as { after: string }).after)).toEqual(["start", "SIGINT", "SIGTERM"]);
  });
});
