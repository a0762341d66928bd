// The interpreter (core.ts) against fake ports: effects performed in order, answers fed back as events,
// requests seen while slow effects run, timers, cleanup. The decisions themselves are step.test.ts's.
import { describe, expect, it } from "vitest";
import type { ChildExit } from "../../lib/supervisor/exit-policy.js";
import { superviseCodex, type AccountPorts, type Binding, type SuperviseOptions, type SupervisorPorts } from "../../lib/supervisor/core.js";
import type { RolloutFact } from "../../lib/quota/from-rollout.js";
import type { LoginView } from "../../lib/supervisor/state.js";
import { T0, acct, reading } from "./step-driver.js";

interface FakeChild {
  pid: number;
  argv: string[];
  exit: Promise<ChildExit>;
  end(e: ChildExit): void;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const ALPHA: LoginView = { kind: "ok", owner: "alpha", key: "k-alpha" };
const BETA: LoginView = { kind: "ok", owner: "beta", key: "k-beta" };

function fakes(o: { onSpawn?: (c: FakeChild, i: number) => void; accounts?: Partial<AccountPorts> | null; stopDelayMs?: number } = {}) {
  const order: string[] = [];
  const children: FakeChild[] = [];
  const events: Array<{ type: string } & Record<string, unknown>> = [];
  const notices: string[] = [];
  let onFacts: ((f: RolloutFact[]) => void) | null = null;
  let onLogin: ((l: LoginView) => void) | null = null;
  let control: ((r: "stop" | "restart") => void) | null = null;
  let ended = 0;
  let login = ALPHA;
  const unsubscribed: string[] = [];
  // The fixtures (readings, usage) are dated from T0: the loop's clock must run from T0 too, or a
  // reading's reset passes by the wall clock and it stops counting (this test failed after 11:00).
  const began = Date.now();
  const accounts: AccountPorts | null =
    o.accounts === null
      ? null
      : {
          snapshot: async () => ({ accounts: [acct("alpha", { remaining: 50 }), acct("beta", { remaining: 90 })], login, rotationBlocked: null }),
          recordUsage: async () => void order.push("record-usage"),
          switchTo: async (to) => {
            order.push(`switch:${to}`);
            login = to === "beta" ? BETA : ALPHA;
            return { kind: "switched" };
          },
          syncBack: async () => void order.push("sync"),
          ...(o.accounts ?? {}),
        };
  const ports: SupervisorPorts = {
    currentLogin: async () => login,
    watchLogin(cb) {
      onLogin = cb;
      return () => void unsubscribed.push("login");
    },
    async spawn(argv) {
      const d = deferred<ChildExit>();
      const c: FakeChild = { pid: 1000 + children.length, argv, exit: d.promise, end: d.resolve };
      children.push(c);
      order.push("spawn");
      queueMicrotask(() => o.onSpawn?.(c, children.length - 1));
      return c;
    },
    async stopTree(child) {
      order.push("stop-tree");
      if (o.stopDelayMs) await new Promise((r) => setTimeout(r, o.stopDelayMs));
      (child as FakeChild).end({ code: null, signal: "SIGINT" });
      await child.exit;
      return { left: [] };
    },
    async endLeftovers() {
      order.push("leftovers");
      return 0;
    },
    restoreTerminal: () => void order.push("restore"),
    async bind(): Promise<Binding | null> {
      return { sessionId: "sess-1", rolloutPath: "/r.jsonl" };
    },
    follow(_b, _since, cb) {
      onFacts = cb;
      return { drain: async () => [], close: () => void unsubscribed.push("follow") };
    },
    accounts,
    watchControl(cb) {
      control = cb;
      return () => void unsubscribed.push("control");
    },
    record: () => {},
    event: (type, data) => void events.push({ type, ...(data ?? {}) }),
    notice: (line) => {
      notices.push(line);
      order.push("notice");
    },
    status: () => {},
    now: () => T0 + (Date.now() - began),
    ended: () => void ended++,
  };
  return {
    ports,
    order,
    children,
    events,
    notices,
    unsubscribed,
    facts: (f: unknown[]) => onFacts?.(f as RolloutFact[]),
    login: (l: LoginView) => {
      login = l;
      onLogin?.(l);
    },
    control: (r: "stop" | "restart") => control?.(r),
    ended: () => ended,
  };
}

function opts(ports: SupervisorPorts, over: Partial<SuperviseOptions> = {}): SuperviseOptions {
  return {
    mode: "tui",
    initialArgv: ["--no-daemon", "hello"],
    resumeArgv: (id, p) => ["--no-daemon", "resume", id, ...(p ? [p] : [])],
    ports,
    handleSignals: false,
    thresholds: { rotateAtRemainingPercent: 5, preselectAtRemainingPercent: 10 },
    whenAllExhausted: "wait",
    continuePrompt: "Continue.",
    crash: { crashRestartMax: 2, crashRestartWindowMs: 600_000, crashBackoffMs: 5, crashBackoffMaxMs: 50 },
    stopSteps: [{ signal: "SIGINT", graceMs: 100 }],
    leftoverSteps: [{ signal: "SIGINT", graceMs: 100 }],
    pollMs: 5,
    ...over,
  };
}

describe("superviseCodex (the interpreter)", () => {
  it("the user quits: settled (terminal, leftovers, sync) before the result; watchers closed; ended() once", async () => {
    const f = fakes({ onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 20) });
    const r = await superviseCodex(opts(f.ports));
    expect(r).toMatchObject({ status: "exited", exitAs: { code: 0 }, sessionId: "sess-1", restarts: 0 });
    expect(f.order).toEqual(["spawn", "restore", "leftovers", "sync"]);
    expect(f.unsubscribed.sort()).toEqual(["control", "follow", "login"]);
    expect(f.ended()).toBe(1);
  });

  it("a crash: the terminal is restored and the notice printed before the relaunch after the backoff timer", async () => {
    const f = fakes({ onSpawn: (c, i) => setTimeout(() => c.end(i === 0 ? { code: null, signal: "SIGKILL" } : { code: 0, signal: null }), 20) });
    const r = await superviseCodex(opts(f.ports));
    expect(r.restarts).toBe(1);
    expect(f.order).toEqual(["spawn", "restore", "leftovers", "sync", "notice", "spawn", "restore", "leftovers", "sync", "notice"]);
    expect(f.children.map((c) => c.argv)).toEqual([["--no-daemon", "hello"], ["--no-daemon", "resume", "sess-1"]]);
    expect(f.notices.at(-1)).toMatch(/^codex-supervisor: earlier in this session: codex killed by SIGKILL/);
  });

  it("facts from the follower decide at once: a reading at 97 % rotates to beta and resumes", async () => {
    const f = fakes({
      onSpawn: (c, i) => {
        if (i === 0) setTimeout(() => f.facts([{ kind: "task_started" }, reading(97), { kind: "task_complete", error: null }]), 10);
        else setTimeout(() => c.end({ code: 0, signal: null }), 10);
      },
    });
    const r = await superviseCodex(opts(f.ports));
    expect(r.restarts).toBe(1);
    // (No leftover scan after our own stop: the escalation's last look found none.)
    expect(f.order).toEqual(["spawn", "record-usage", "stop-tree", "restore", "sync", "switch:beta", "notice", "spawn", "restore", "leftovers", "sync", "notice"]);
  });

  it("a stop that arrives while a slow escalation for a restart runs: ends stopped with status 143", async () => {
    const f = fakes({ stopDelayMs: 50, onSpawn: () => setTimeout(() => f.control("restart"), 10) });
    const p = superviseCodex(opts(f.ports));
    await new Promise((r) => setTimeout(r, 30));
    f.control("stop");
    const r = await p;
    expect(r).toMatchObject({ status: "stopped", exitAs: { code: 143 } });
    expect(f.children).toHaveLength(1);
  });

  it("a switch that throws is an answer, not a crash of the loop: resumed on the current login", async () => {
    const f = fakes({
      accounts: {
        switchTo: async () => {
          throw Object.assign(new Error("storage lock busy"), { name: "LockTimeoutError" });
        },
      },
      onSpawn: (c, i) => {
        if (i === 0) setTimeout(() => f.facts([{ kind: "task_started" }, reading(97), { kind: "task_complete", error: null }]), 10);
        else setTimeout(() => c.end({ code: 0, signal: null }), 10);
      },
    });
    const r = await superviseCodex(opts(f.ports));
    expect(r.status).toBe("exited");
    expect(f.events.find((e) => e.type === "rotate-failed")).toMatchObject({ error: "LockTimeoutError: storage lock busy" });
    expect(f.children.map((c) => c.argv)[1]).toEqual(["--no-daemon", "resume", "sess-1"]);
  });

  it("a snapshot that throws at start: codex starts anyway", async () => {
    const f = fakes({
      accounts: {
        snapshot: async () => {
          throw new Error("accounts.json is not valid JSON");
        },
      },
      onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 10),
    });
    expect((await superviseCodex(opts(f.ports))).status).toBe("exited");
    expect(f.events.find((e) => e.type === "error")).toMatchObject({ where: "start", message: "accounts.json is not valid JSON" });
  });

  it("a login change reported by the watch moves the idle session to it", async () => {
    const f = fakes({
      onSpawn: (c, i) => {
        if (i === 0) setTimeout(() => f.login(BETA), 10);
        else setTimeout(() => c.end({ code: 0, signal: null }), 10);
      },
    });
    const r = await superviseCodex(opts(f.ports));
    expect(r.restarts).toBe(1);
    expect(f.order).not.toContain("switch:beta");
    expect(f.notices[0]).toBe("codex-supervisor: the login in auth.json changed (alpha → beta); resuming session sess-1 on it");
  });

  it("SIGTERM to the supervisor (handleSignals): the tree is stopped, the result says to die of SIGTERM", async () => {
    const f = fakes({ onSpawn: () => setTimeout(() => process.emit("SIGTERM", "SIGTERM"), 10) });
    const before = process.listenerCount("SIGTERM");
    const r = await superviseCodex(opts(f.ports, { handleSignals: true }));
    expect(r).toMatchObject({ status: "stopped", exitAs: { signal: "SIGTERM" } });
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });

  it("a port that throws inside an effect is logged and answered: the loop still ends", async () => {
    const f = fakes({ onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 10) });
    f.ports.endLeftovers = async () => {
      throw new Error("boom");
    };
    f.ports.bind = async () => {
      throw new Error("no /proc");
    };
    const r = await superviseCodex(opts(f.ports));
    expect(r.status).toBe("exited");
    expect(f.events.filter((e) => e.type === "error").map((e) => `${e.where}: ${e.message}`)).toEqual(expect.arrayContaining(["end-leftovers: boom", "bind: no /proc"]));
    expect(f.ended()).toBe(1);
  });

  it("a spawn that throws is an exit the policy reads (126, a start failure), not a hang", async () => {
    const f = fakes();
    f.ports.spawn = async () => {
      throw new Error("EACCES");
    };
    const r = await superviseCodex(opts(f.ports));
    expect(r).toMatchObject({ status: "failed", exitAs: { code: 126 } });
  });
});
