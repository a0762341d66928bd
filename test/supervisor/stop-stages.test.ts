// A stop requested at any moment of a job's start must stop it. The supervisor loop (core.ts) learns
// of a request through ports.watchControl, which the real ports feed from the control file — also
// with a file written before the watch started (consumed at once, a microtask after subscribing). So
// the request can reach the loop at any of its stages: before the first child exists, while it is
// being spawned and recorded, or while it runs. Here fake ports deliver the stop from inside each
// of those steps and the loop must end "stopped" with every child it spawned stopped through
// stopTree (the fake children never exit on their own: a lost request shows as a timeout).
// The real-process version of the same race (control file vs. the launcher → supervisor handoff) is
// in test/cli/stop-handoff.test.ts.
import { describe, expect, it } from "vitest";
import type { ChildExit } from "../../lib/supervisor/exit-policy.js";
import { superviseCodex, type AccountPorts, type RunningChild, type SuperviseOptions, type SupervisorPorts } from "../../lib/supervisor/core.js";
import { ignorePollTimeout, pollUntil } from "../helpers/poll.js";

type ControlRequest = "stop" | "restart";
type Stage = "subscribe" | "snapshot" | "login" | "spawn" | "record-running" | "event-spawn" | "bind" | "respawn";

interface Harness {
  ports: SupervisorPorts;
  spawned: RunningChild[];
  stopped: number[];
  /** End every child still running (cleanup after a lost request, so the loop can finish). */
  endAll(): void;
}

/** Ports that call the control callback with "stop" once, from inside the step named `stage`. */
function portsStoppingAt(stage: Stage, action: ControlRequest = "stop"): Harness {
  let control: ((r: ControlRequest) => void) | null = null;
  let fired = false;
  const fire = (here: Stage) => {
    if (fired || here !== stage) return;
    fired = true;
    control?.(action);
  };
  const spawned: RunningChild[] = [];
  const enders = new Map<number, (e: ChildExit) => void>();
  const stopped: number[] = [];
  const accounts: AccountPorts = {
    async snapshot() {
      fire("snapshot");
      // Let the request land while this await is pending (a real store read takes a while).
      await new Promise((r) => setTimeout(r, 5));
      return { accounts: [], login: { kind: "ok", owner: null, key: "k" }, rotationBlocked: null };
    },
    async recordUsage() {},
    async syncBack() {},
    async switchTo() {
      return { kind: "switched" };
    },
  };
  const ports: SupervisorPorts = {
    async currentLogin() {
      fire("login");
      return { kind: "ok", owner: null, key: "k" };
    },
    watchLogin: () => () => {},
    async endLeftovers() {
      return 0;
    },
    async spawn() {
      const pid = 4000 + spawned.length;
      let end!: (e: ChildExit) => void;
      const exit = new Promise<ChildExit>((r) => (end = r));
      enders.set(pid, end);
      const child = { pid, exit };
      spawned.push(child);
      fire(spawned.length === 1 ? "spawn" : "respawn");
      // The first child crashes by itself in the "respawn" scenario, so the stop lands in the second spawn.
      if (stage === "respawn" && spawned.length === 1) setTimeout(() => end({ code: null, signal: "SIGSEGV" }), 5);
      return child;
    },
    async stopTree(child) {
      stopped.push(child.pid);
      enders.get(child.pid)?.({ code: null, signal: "SIGINT" });
      return { left: [] };
    },
    restoreTerminal() {},
    async bind() {
      fire("bind");
      return null;
    },
    follow() {
      throw new Error("never bound in this test");
    },
    accounts,
    watchControl(cb) {
      control = cb;
      fire("subscribe");
      return () => (control = null);
    },
    record(patch) {
      if (patch.status === "running") fire("record-running");
    },
    event(type) {
      if (type === "spawn") fire("event-spawn");
    },
    notice() {},
    status() {},
    now: () => Date.now(),
  };
  const endAll = () => {
    for (const end of enders.values()) end({ code: 0, signal: null });
  };
  return { ports, spawned, stopped, endAll };
}

const STAGES: Stage[] = ["subscribe", "snapshot", "login", "spawn", "record-running", "event-spawn", "bind", "respawn"];

function options(ports: SupervisorPorts): SuperviseOptions {
  return {
    mode: "exec",
    initialArgv: ["exec", "x"],
    resumeArgv: (id) => ["exec", "resume", id],
    ports,
    handleSignals: false,
    pollMs: 5,
    thresholds: { rotateAtRemainingPercent: 5, preselectAtRemainingPercent: 10 },
    whenAllExhausted: "wait",
    continuePrompt: null,
    crash: { crashRestartMax: 5, crashRestartWindowMs: 600_000, crashBackoffMs: 0, crashBackoffMaxMs: 0 },
    stopSteps: [{ signal: "SIGINT", graceMs: 100 }],
    leftoverSteps: [{ signal: "SIGINT", graceMs: 100 }],
    startFailureWindowMs: 0,
  };
}

describe("a stop request reaches the job whatever the supervisor loop is doing", () => {
  for (const stage of STAGES) {
    it(`stop delivered during: ${stage}`, async () => {
      const h = portsStoppingAt(stage);
      const run = superviseCodex(options(h.ports));
      const timeout = new Promise<"lost">((r) => setTimeout(() => r("lost"), 2000).unref());
      const result = await Promise.race([run, timeout]);
      const running = h.spawned.filter((c) => !h.stopped.includes(c.pid)).map((c) => c.pid);
      if (result === "lost") {
        h.endAll();
        await run;
      }
      expect(result === "lost" ? `stop lost; children never stopped: ${running.join(", ")}` : result.status).toBe("stopped");
      // The loop may end before it spawned anything; every child it did spawn got the escalation
      // (except a child that had already ended by itself — the crashed first one in "respawn").
      const mustStop = stage === "respawn" ? h.spawned.slice(1) : h.spawned;
      expect(mustStop.every((c) => h.stopped.includes(c.pid))).toBe(true);
    });
  }
});

// A restart asked for before the first child exists (e.g. `restart` right after `run --detach`) must
// not be dropped: the first child is restarted (stopTree, then a second spawn).
describe("a restart request before the first child is kept for it", () => {
  for (const stage of ["subscribe", "snapshot", "spawn"] as Stage[]) {
    it(`restart delivered during: ${stage}`, async () => {
      const h = portsStoppingAt(stage, "restart");
      const run = superviseCodex(options(h.ports));
      await pollUntil(() => h.spawned.length >= 2, 2000, "the restarted child", 5).catch(ignorePollTimeout);
      const spawnedBeforeEnd = h.spawned.length;
      h.endAll();
      await run;
      expect(spawnedBeforeEnd).toBe(2);
      expect(h.stopped).toContain(h.spawned[0]!.pid);
    });
  }
});
