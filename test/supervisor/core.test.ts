// The supervisor loop against fake ports: which argv each child gets, what ends the loop, what is
// recorded and printed. The real processes are covered by test/e2e.
import { describe, expect, it } from "vitest";
import { AccountsStoreError } from "../../lib/accounts/store.js";
import { UnreadableLoginError } from "../../lib/accounts/activate.js";
import { FileWriteError } from "../../lib/fs/errors.js";
import { LockLostError, LockTimeoutError, StorageLockError } from "../../lib/lock/storage-lock.js";
import type { ChildExit } from "../../lib/supervisor/exit-policy.js";
import {
  superviseCodex,
  type AccountPorts,
  type Binding,
  type ControlRequest,
  type CrashDecision,
  type JobPatch,
  type QuotaVerdict,
  type RunningChild,
  type SupervisorPorts,
} from "../../lib/supervisor/core.js";

interface FakeChild extends RunningChild {
  argv: string[];
  end(exit: ChildExit): void;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Ports whose children are driven by the test through `children` and `onSpawn`. */
function fakePorts(opts: {
  onSpawn: (child: FakeChild, index: number) => void;
  bindAfterSpawn?: number;
  verdicts?: () => QuotaVerdict;
  accounts?: AccountPorts | null;
  crashMax?: number;
}) {
  /** The order of side effects that matter for the screen: restore, notice, spawn. */
  const order: string[] = [];
  let wake: (() => void) | null = null;
  let ended = 0;
  let closed = 0;
  const children: FakeChild[] = [];
  const records: JobPatch[] = [];
  const events: Array<{ type: string; data?: Record<string, unknown> }> = [];
  const notices: string[] = [];
  const stopped: number[] = [];
  let control: ((r: ControlRequest) => void) | null = null;
  let crashes = 0;
  let resets = 0;
  const ports: SupervisorPorts = {
    async spawn(argv) {
      const d = deferred<ChildExit>();
      const child: FakeChild = { pid: 1000 + children.length, exit: d.promise, argv, end: d.resolve };
      children.push(child);
      order.push("spawn");
      queueMicrotask(() => opts.onSpawn(child, children.length - 1));
      return child;
    },
    async stopTree(child) {
      stopped.push(child.pid);
      (child as FakeChild).end({ code: null, signal: "SIGINT" });
      return { left: [] };
    },
    restoreTerminal() {
      order.push("restore");
    },
    async bind(): Promise<Binding | null> {
      return children.length >= (opts.bindAfterSpawn ?? 1) ? { sessionId: "sess-1", rolloutPath: "/r.jsonl" } : null;
    },
    follow(_b, w) {
      wake = w;
      return {
        poll: async () => opts.verdicts?.() ?? { action: "none", reason: "", coolDownUntil: null },
        reset: () => void resets++,
        close: () => void closed++,
      };
    },
    accounts: opts.accounts ?? null,
    watchControl(cb) {
      control = cb;
      return () => (control = null);
    },
    onCrash(): CrashDecision {
      crashes++;
      const max = opts.crashMax ?? 2;
      return crashes <= max ? { restart: true, delayMs: 0, attempt: crashes, max } : { restart: false, max, windowMs: 600000 };
    },
    async record(patch) {
      records.push(patch);
    },
    async event(type, data) {
      events.push({ type, data });
    },
    notice: (l) => {
      notices.push(l);
      order.push("notice");
    },
    status: () => {},
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    ended: () => void ended++,
  };
  return {
    ports,
    children,
    records,
    events,
    notices,
    stopped,
    order,
    control: () => control,
    resets: () => resets,
    wake: () => wake?.(),
    ended: () => ended,
    closed: () => closed,
  };
}

const resumeArgv = (id: string) => ["--no-daemon", "resume", id];
const base = { mode: "tui" as const, initialArgv: ["--no-daemon", "hello"], resumeArgv, handleSignals: false, pollMs: 5 };

describe("superviseCodex", () => {
  it("ends with codex's status when the user quits", async () => {
    const f = fakePorts({ onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 30) });
    const r = await superviseCodex({ ...base, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", exit: { code: 0, signal: null }, sessionId: "sess-1", restarts: 0 });
    expect(f.children.map((c) => c.argv)).toEqual([["--no-daemon", "hello"]]);
    expect(f.records.at(-1)).toMatchObject({ status: "exited", exitCode: 0 });
    expect(f.events.map((e) => e.type)).toEqual(["spawn", "bind", "exit"]);
    expect(f.ended()).toBe(1);
    expect(f.closed()).toBe(1);
    expect(f.notices).toEqual([]);
  });

  it("resumes a crashed child by id, then gives up at the cap with the manual command", async () => {
    const f = fakePorts({ crashMax: 2, onSpawn: (c) => setTimeout(() => c.end({ code: null, signal: "SIGKILL" }), 20) });
    const r = await superviseCodex({ ...base, ports: f.ports });
    expect(r.status).toBe("failed");
    expect(r.exit).toEqual({ code: null, signal: "SIGKILL" });
    expect(f.children.map((c) => c.argv)).toEqual([
      ["--no-daemon", "hello"],
      ["--no-daemon", "resume", "sess-1"],
      ["--no-daemon", "resume", "sess-1"],
    ]);
    // Two restart lines, the give-up line, then (tui) the restart lines once more at the end.
    expect(f.notices).toHaveLength(5);
    expect(f.notices[0]).toMatch(/killed by SIGKILL; resuming session sess-1 .*crash restart 1 of 2/);
    expect(f.notices[2]).toMatch(/giving up.*codex resume sess-1/);
    expect(f.notices[3]).toBe(f.notices[0]!.replace("codex-supervisor: ", "codex-supervisor: earlier in this session: "));
    expect(r.restarts).toBe(2);
  });

  it("relaunches the original argv when codex crashed before any rollout existed", async () => {
    const f = fakePorts({
      bindAfterSpawn: 2,
      onSpawn: (c, i) => setTimeout(() => c.end(i === 0 ? { code: 1, signal: null } : { code: 0, signal: null }), 20),
    });
    const r = await superviseCodex({ ...base, ports: f.ports });
    expect(r.status).toBe("exited");
    expect(f.children.map((c) => c.argv)).toEqual([["--no-daemon", "hello"], ["--no-daemon", "hello"]]);
    expect(f.notices[0]).toMatch(/no session yet/);
  });

  it("restarts on a control request with the whole-tree stop, and stops on a stop request", async () => {
    const f = fakePorts({
      onSpawn: (_c, i) =>
        setTimeout(() => f.control()!(i === 0 ? "restart" : "stop"), 30),
    });
    const r = await superviseCodex({ ...base, ports: f.ports });
    expect(r.status).toBe("stopped");
    expect(f.stopped).toEqual([1000, 1001]);
    expect(f.children[1]!.argv).toEqual(["--no-daemon", "resume", "sess-1"]);
    expect(f.records.find((p) => p.status === "restarting")).toBeTruthy();
    expect(f.records.at(-1)).toMatchObject({ status: "stopped", signal: "SIGINT" });
    expect(f.notices[0]).toMatch(/restart requested; resuming session sess-1/);
  });

  it("rotates while idle: plans first, switches accounts after the child is gone, resumes, resets the quota state", async () => {
    let active = "A";
    const calls: string[] = [];
    const accounts: AccountPorts = {
      active: async () => active,
      syncBack: async () => void calls.push(`sync:${active}`),
      plan: async (leaving) => ({ kind: "switch", from: leaving, to: leaving === "A" ? "B" : "A" }),
      switchTo: async (to, from, until) => {
        calls.push(`switch:${from}->${to}:${until}`);
        active = to;
        return { kind: "switched" };
      },
    };
    let fired = false;
    const f = fakePorts({
      accounts,
      verdicts: () => {
        if (active === "A" && !fired) {
          fired = true;
          return { action: "rotate", reason: "5h window 96% used", coolDownUntil: 123 };
        }
        return { action: "none", reason: "", coolDownUntil: null };
      },
      onSpawn: (c, i) => {
        if (i === 1) setTimeout(() => c.end({ code: 0, signal: null }), 30);
      },
    });
    const r = await superviseCodex({ ...base, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", restarts: 1 });
    expect(f.stopped).toEqual([1000]);
    expect(calls).toEqual(["sync:A", "switch:A->B:123", "sync:B"]);
    expect(f.children[1]!.argv).toEqual(["--no-daemon", "resume", "sess-1"]);
    expect(f.notices).toEqual([
      expect.stringMatching(/^codex-supervisor: switching account A → B \(5h window 96% used\); resuming session sess-1/),
      expect.stringMatching(/^codex-supervisor: earlier in this session: switching account A → B/),
    ]);
    expect(f.resets()).toBe(1);
    expect(f.events.some((e) => e.type === "rotate" && e.data?.from === "A" && e.data?.to === "B")).toBe(true);
  });

  it("with nobody left and whenAllExhausted=stay keeps the session running", async () => {
    const accounts: AccountPorts = {
      active: async () => "A",
      syncBack: async () => {},
      plan: async () => ({ kind: "none", earliest: { account: "A", resetsAt: Date.now() + 60_000 } }),
      switchTo: async () => {
        throw new Error("must not switch");
      },
    };
    const f = fakePorts({
      accounts,
      verdicts: () => ({ action: "rotate", reason: "limit", coolDownUntil: null }),
      onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 60),
    });
    const r = await superviseCodex({ ...base, ports: f.ports, whenAllExhausted: "stay" });
    expect(r.status).toBe("exited");
    expect(f.stopped).toEqual([]);
    expect(f.events.filter((e) => e.type === "quota" && e.data?.action === "stay")).toHaveLength(1);
  });

  it("waits for the earliest reset with a countdown when nobody has room", async () => {
    const calls: string[] = [];
    let active = "A";
    const accounts: AccountPorts = {
      active: async () => active,
      syncBack: async () => {},
      plan: async () => ({ kind: "none", earliest: { account: "B", resetsAt: Date.now() + 150 } }),
      switchTo: async (to, from) => {
        calls.push(`${from}->${to}`);
        active = to;
        return { kind: "switched" };
      },
    };
    let fired = false;
    const f = fakePorts({
      accounts,
      verdicts: () => (!fired && (fired = true) ? { action: "rotate", reason: "limit", coolDownUntil: null } : { action: "none", reason: "", coolDownUntil: null }),
      onSpawn: (c, i) => i === 1 && setTimeout(() => c.end({ code: 0, signal: null }), 20),
    });
    const r = await superviseCodex({ ...base, ports: f.ports });
    expect(r.status).toBe("exited");
    expect(calls).toEqual(["A->B"]);
    expect(f.notices[0]).toMatch(/every account is at its usage limit; waiting for the earliest reset/);
  });

  it("tui: SIGINT to the supervisor is left to codex; SIGTERM stops the tree and ends 'stopped'", async () => {
    const f = fakePorts({
      onSpawn: () =>
        setTimeout(() => {
          process.emit("SIGINT");
          setTimeout(() => process.emit("SIGTERM"), 20);
        }, 20),
    });
    const before = process.listenerCount("SIGTERM");
    const r = await superviseCodex({ ...base, handleSignals: true, ports: f.ports });
    expect(r).toMatchObject({ status: "stopped", reason: "SIGTERM to the supervisor" });
    expect(f.stopped).toEqual([1000]);
    expect(f.children).toHaveLength(1);
    // Handlers are removed again (the caller re-raises a signal death with default dispositions).
    expect(process.listenerCount("SIGTERM")).toBe(before);
    expect(process.listenerCount("SIGTSTP")).toBe(0);
  });
  it("decides as soon as the follower wakes it, not at the next poll (pollMs 60 s here)", async () => {
    let active = "A";
    let due = false;
    const accounts: AccountPorts = {
      active: async () => active,
      syncBack: async () => {},
      plan: async (leaving) => ({ kind: "switch", from: leaving, to: "B" }),
      switchTo: async (to) => {
        active = to;
        return { kind: "switched" };
      },
    };
    let rotatedAt = 0;
    let dueAt = 0;
    const f = fakePorts({
      accounts,
      verdicts: () => (due && active === "A" ? { action: "rotate", reason: "5h window 96% used", coolDownUntil: null } : { action: "none", reason: "", coolDownUntil: null }),
      onSpawn: (c, i) => {
        if (i === 0) {
          // The rollout grows after the first (start-up) tick has seen nothing due.
          setTimeout(() => {
            due = true;
            dueAt = performance.now();
            f.wake();
          }, 50);
        } else {
          rotatedAt = performance.now();
          setTimeout(() => c.end({ code: 0, signal: null }), 10);
        }
      },
    });
    const r = await superviseCodex({ ...base, pollMs: 60_000, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", restarts: 1 });
    expect(f.stopped).toEqual([1000]);
    expect(rotatedAt - dueAt).toBeLessThan(1000);
  }, 10_000);

  it("every notice is printed after the terminal is restored, before the relaunch, kept in the job log, and (tui) repeated at the end", async () => {
    const f = fakePorts({ crashMax: 1, onSpawn: (c, i) => setTimeout(() => c.end(i === 0 ? { code: null, signal: "SIGKILL" } : { code: 0, signal: null }), 20) });
    await superviseCodex({ ...base, ports: f.ports });
    expect(f.order).toEqual(["spawn", "restore", "notice", "spawn", "restore", "notice"]);
    const logged = f.events.filter((e) => e.type === "notice").map((e) => e.data?.line);
    expect(logged).toEqual([f.notices[0]]);
    expect(logged[0]).toMatch(/killed by SIGKILL; resuming session sess-1/);
    expect(f.notices[1]).toMatch(/^codex-supervisor: earlier in this session: codex killed by SIGKILL; resuming session sess-1/);

    // exec jobs: their output file keeps every line; nothing is repeated.
    const g = fakePorts({ crashMax: 1, onSpawn: (c, i) => setTimeout(() => c.end(i === 0 ? { code: null, signal: "SIGKILL" } : { code: 0, signal: null }), 20) });
    await superviseCodex({ ...base, mode: "exec", ports: g.ports });
    expect(g.notices).toHaveLength(1);
  });

  it("a login made by hand (plan says foreign): no rotation, the child is not touched, one log event", async () => {
    const accounts: AccountPorts = {
      active: async () => null,
      syncBack: async () => {},
      plan: async () => ({ kind: "foreign", detail: "/x/auth.json holds a login that is in no stored account" }),
      switchTo: async () => {
        throw new Error("must not switch");
      },
    };
    const f = fakePorts({
      accounts,
      verdicts: () => ({ action: "rotate", reason: "5h window 96% used", coolDownUntil: null }),
      onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 80),
    });
    const r = await superviseCodex({ ...base, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", restarts: 0 });
    expect(f.stopped).toEqual([]);
    expect(f.notices).toEqual([]);
    expect(f.events.filter((e) => e.type === "quota" && e.data?.action === "skip")).toHaveLength(1);
  });

  it("a login made by hand after the plan (switchTo says foreign): one notice + event, resumed on that login", async () => {
    const calls: string[] = [];
    let planned = 0;
    const accounts: AccountPorts = {
      active: async () => "A",
      syncBack: async () => {},
      // The first plan (before the stop) and the re-check after it both see A's own login…
      plan: async (leaving) => (planned++ < 2 ? { kind: "switch", from: leaving, to: "B" } : { kind: "foreign", detail: "later" }),
      // …but the user ran `codex login` in between: activate refuses to replace it.
      switchTo: async (to, from) => {
        calls.push(`${from}->${to}`);
        return { kind: "foreign", detail: "/x/auth.json holds a login that is in no stored account (me@example.com)" };
      },
    };
    const f = fakePorts({
      accounts,
      verdicts: () => (planned === 0 ? { action: "rotate", reason: "5h window 96% used", coolDownUntil: 1 } : { action: "none", reason: "", coolDownUntil: null }),
      onSpawn: (c, i) => i === 1 && setTimeout(() => c.end({ code: 0, signal: null }), 20),
    });
    const r = await superviseCodex({ ...base, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", restarts: 1 });
    expect(calls).toEqual(["A->B"]);
    expect(f.children[1]!.argv).toEqual(["--no-daemon", "resume", "sess-1"]);
    expect(f.notices[0]).toMatch(/not switching account away from A: .*no stored account \(me@example.com\); left as it is, resuming session sess-1 on that login/);
    expect(f.notices).toHaveLength(2); // + the repeat at the end
    expect(f.events.filter((e) => e.type === "rotate-skipped")).toHaveLength(1);
    expect(f.events.some((e) => e.type === "rotate")).toBe(false);
  });

  it("ended() only on a normal end: a loop that throws leaves the last-resort hook armed", async () => {
    const f = fakePorts({ onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 10) });
    f.ports.record = async (patch) => {
      if (patch.status === "running") throw new Error("disk full");
    };
    await expect(superviseCodex({ ...base, ports: f.ports })).rejects.toThrow("disk full");
    expect(f.ended()).toBe(0);
  });
});

// ---- Audit: a rotation that fails must never end the session (SPEC §3: "a lost lock aborts the write,
// never crashes the session"), and exec jobs are never re-run after their final turn. ----

/** One instance of every failure the account ports can throw while planning or switching. */
function accountFailures(): Array<[string, Error]> {
  return [
    ["LockLostError", new LockLostError("/h/storage.lock", "compromised")],
    ["LockTimeoutError", new LockTimeoutError("/h/storage.lock", 10_000)],
    ["StorageLockError", new StorageLockError("/h/storage.lock", Object.assign(new Error("read-only file system"), { code: "EROFS" }))],
    ["AccountsStoreError", new AccountsStoreError("/h/accounts.json", "not valid JSON (line 1, column 2)")],
    ["UnreadableLoginError", new UnreadableLoginError("/c/auth.json could not be read (EACCES)")],
    ["FileWriteError", new FileWriteError("/c/auth.json", Object.assign(new Error("no space"), { code: "ENOSPC" }))],
    ["Error", new Error("something else")],
  ];
}

const rotateNow: QuotaVerdict = { action: "rotate", reason: "5h window 96% used", coolDownUntil: 7 };
const noVerdict: QuotaVerdict = { action: "none", reason: "", coolDownUntil: null };

describe("superviseCodex: a failing rotation never ends the session", () => {
  for (const [name, err] of accountFailures()) {
    it(`plan throws ${name} while codex runs: nothing is stopped, one event, no retry within the back-off`, async () => {
      let plans = 0;
      const accounts: AccountPorts = {
        active: async () => "A",
        syncBack: async () => {},
        plan: async () => {
          plans++;
          throw err;
        },
        switchTo: async () => {
          throw new Error("must not switch");
        },
      };
      const f = fakePorts({ accounts, verdicts: () => rotateNow, onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 80) });
      const r = await superviseCodex({ ...base, ports: f.ports });
      expect(r).toMatchObject({ status: "exited", restarts: 0 });
      expect(f.stopped).toEqual([]);
      expect(plans).toBe(1); // ~15 ticks saw "rotate"; the back-off kept them from planning again
      const failed = f.events.filter((e) => e.type === "rotate-failed");
      expect(failed).toHaveLength(1);
      expect(failed[0]!.data).toMatchObject({ where: "plan", from: "A", error: expect.stringContaining(err.message) });
      if (name !== "Error") expect(failed[0]!.data!.error).toMatch(new RegExp(`^${name}: `));
      expect(f.events.filter((e) => e.type === "quota" && e.data?.action === "backoff")).toHaveLength(1);
      expect(f.notices).toEqual([]); // the TUI owns the screen while it runs
    });

    it(`switchTo throws ${name} after the tree was stopped: one notice, resumed by id on the current login`, async () => {
      const calls: string[] = [];
      const accounts: AccountPorts = {
        active: async () => "A",
        syncBack: async () => {},
        plan: async (leaving) => ({ kind: "switch", from: leaving, to: "B" }),
        switchTo: async (to, from) => {
          calls.push(`${from}->${to}`);
          throw err;
        },
      };
      const f = fakePorts({ accounts, verdicts: () => rotateNow, onSpawn: (c, i) => i === 1 && setTimeout(() => c.end({ code: 0, signal: null }), 80) });
      const r = await superviseCodex({ ...base, ports: f.ports });
      expect(r).toMatchObject({ status: "exited", restarts: 1, exit: { code: 0, signal: null } });
      expect(calls).toEqual(["A->B"]); // the resumed child's ticks still say rotate: backed off, not cut again
      expect(f.stopped).toEqual([1000]);
      expect(f.children.map((c) => c.argv)).toEqual([["--no-daemon", "hello"], ["--no-daemon", "resume", "sess-1"]]);
      expect(f.notices[0]).toMatch(new RegExp(`^codex-supervisor: could not switch account A → B: .*${err.message.replace(/[()]/g, ".")}.*; resuming session sess-1 on the current login; next try in 5m 00s$`));
      expect(f.notices[0]).not.toContain("\n");
      const failed = f.events.filter((e) => e.type === "rotate-failed");
      expect(failed).toHaveLength(1);
      expect(failed[0]!.data).toMatchObject({ where: "switch", from: "A", to: "B", sessionId: "sess-1" });
      expect(f.events.some((e) => e.type === "rotate")).toBe(false);
      expect(f.records.at(-1)).toMatchObject({ status: "exited" });
      expect(f.resets()).toBe(0); // the quota state still describes A, the account in use
    });
  }

  it("a failed switch is tried again once the back-off has passed, then succeeds", async () => {
    let active = "A";
    let switches = 0;
    const accounts: AccountPorts = {
      active: async () => active,
      syncBack: async () => {},
      plan: async (leaving) => ({ kind: "switch", from: leaving, to: "B" }),
      switchTo: async (to) => {
        if (++switches === 1) throw new LockLostError("/h/storage.lock", "compromised");
        active = to;
        return { kind: "switched" };
      },
    };
    const f = fakePorts({
      accounts,
      verdicts: () => (active === "A" ? rotateNow : noVerdict),
      onSpawn: (c, i) => i === 2 && setTimeout(() => c.end({ code: 0, signal: null }), 20),
    });
    const r = await superviseCodex({ ...base, rotationRetryMs: 100, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", restarts: 2 });
    expect(switches).toBe(2);
    expect(f.events.filter((e) => e.type === "rotate-failed")).toHaveLength(1);
    expect(f.events.filter((e) => e.type === "rotate" && e.data?.to === "B")).toHaveLength(1);
  });

  it("the countdown path: switchTo throws after the wait → notice, resumed on the current login", async () => {
    const accounts: AccountPorts = {
      active: async () => "A",
      syncBack: async () => {},
      plan: async () => ({ kind: "none", earliest: { account: "B", resetsAt: Date.now() + 30 } }),
      switchTo: async () => {
        throw new LockTimeoutError("/h/storage.lock", 10_000);
      },
    };
    const f = fakePorts({ accounts, verdicts: () => rotateNow, onSpawn: (c, i) => i === 1 && setTimeout(() => c.end({ code: 0, signal: null }), 40) });
    const r = await superviseCodex({ ...base, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", restarts: 1 });
    expect(f.notices.some((n) => /could not switch account A → B: LockTimeoutError: .*resuming session sess-1/.test(n))).toBe(true);
  });

  for (const where of ["plan", "switchTo"] as const) {
    it(`exec job hitting the usage limit (exit 1), ${where} throws: resumed with exec resume, not counted as a crash`, async () => {
      const accounts: AccountPorts = {
        active: async () => "A",
        syncBack: async () => {},
        plan: async (leaving) => {
          if (where === "plan") throw new AccountsStoreError("/h/accounts.json", "not valid JSON");
          return { kind: "switch", from: leaving, to: "B" };
        },
        switchTo: async () => {
          throw new UnreadableLoginError("/c/auth.json could not be read (EACCES)");
        },
      };
      let limited = true;
      const f = fakePorts({
        accounts,
        verdicts: () => (limited ? { action: "rotate", reason: "the last turn hit the usage limit", coolDownUntil: null } : noVerdict),
        onSpawn: (c, i) =>
          setTimeout(() => {
            if (i === 1) limited = false;
            c.end(i === 0 ? { code: 1, signal: null } : { code: 0, signal: null });
          }, 20),
      });
      const r = await superviseCodex({ ...base, mode: "exec", initialArgv: ["exec", "task"], resumeArgv: (id) => ["exec", "resume", id, "Continue"], ports: f.ports });
      expect(r).toMatchObject({ status: "exited", restarts: 1, exit: { code: 0, signal: null } });
      expect(f.stopped).toEqual([]); // exec: the tick never cut the run
      expect(f.children.map((c) => c.argv)).toEqual([["exec", "task"], ["exec", "resume", "sess-1", "Continue"]]);
      expect(f.events.some((e) => e.type === "crash")).toBe(false);
      expect(f.events.filter((e) => e.type === "rotate-failed")).toHaveLength(1);
      expect(f.notices).toHaveLength(1);
      expect(f.notices[0]).toMatch(where === "plan" ? /could not switch account away from A: AccountsStoreError: / : /could not switch account A → B: UnreadableLoginError: /);
    });
  }
});

describe("superviseCodex: exec jobs rotate only between runs", () => {
  const execOpts = { ...base, mode: "exec" as const, initialArgv: ["exec", "task"], resumeArgv: (id: string) => ["exec", "resume", id, "Continue"] };

  it("a finished exec at 96 % used is not stopped or re-run; the accounts are switched for the next run", async () => {
    let active = "A";
    const calls: string[] = [];
    const accounts: AccountPorts = {
      active: async () => active,
      syncBack: async () => {},
      plan: async (leaving) => ({ kind: "switch", from: leaving, to: "B" }),
      switchTo: async (to, from, until) => {
        calls.push(`${from}->${to}:${until}`);
        active = to;
        return { kind: "switched" };
      },
    };
    // The final task_complete has been read (verdict "rotate", idle) long before exec exits: ~20 ticks race it.
    const f = fakePorts({ accounts, verdicts: () => rotateNow, onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 100) });
    const r = await superviseCodex({ ...execOpts, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", restarts: 0, exit: { code: 0, signal: null } });
    expect(f.stopped).toEqual([]);
    expect(f.children).toHaveLength(1);
    expect(calls).toEqual(["A->B:7"]);
    expect(f.notices).toEqual([expect.stringMatching(/switched account A → B for the next run \(5h window 96% used\)/)]);
    expect(f.events.filter((e) => e.type === "quota" && e.data?.action === "defer")).toHaveLength(1);
    expect(f.events.find((e) => e.type === "rotate")?.data).toMatchObject({ from: "A", to: "B", when: "next run" });
  });

  it("a finished exec whose switch for the next run fails still ends exited 0 (one notice + event)", async () => {
    const accounts: AccountPorts = {
      active: async () => "A",
      syncBack: async () => {},
      plan: async (leaving) => ({ kind: "switch", from: leaving, to: "B" }),
      switchTo: async () => {
        throw new LockLostError("/h/storage.lock", "compromised");
      },
    };
    const f = fakePorts({ accounts, verdicts: () => rotateNow, onSpawn: (c) => setTimeout(() => c.end({ code: 0, signal: null }), 30) });
    const r = await superviseCodex({ ...execOpts, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", restarts: 0 });
    expect(f.children).toHaveLength(1);
    expect(f.events.filter((e) => e.type === "rotate-failed")).toHaveLength(1);
    expect(f.notices).toEqual([expect.stringMatching(/could not switch account A → B: LockLostError: /)]);
  });

  it("a usage-limit exit (status 1) rotates and resumes with exec resume on the successor, no crash bookkeeping", async () => {
    let active = "A";
    const accounts: AccountPorts = {
      active: async () => active,
      syncBack: async () => {},
      plan: async (leaving) => ({ kind: "switch", from: leaving, to: "B" }),
      switchTo: async (to) => {
        active = to;
        return { kind: "switched" };
      },
    };
    const f = fakePorts({
      accounts,
      verdicts: () => (active === "A" ? { action: "rotate", reason: "the last turn hit the usage limit", coolDownUntil: null } : noVerdict),
      onSpawn: (c, i) => setTimeout(() => c.end(i === 0 ? { code: 1, signal: null } : { code: 0, signal: null }), 40),
    });
    const r = await superviseCodex({ ...execOpts, ports: f.ports });
    expect(r).toMatchObject({ status: "exited", restarts: 1 });
    expect(f.stopped).toEqual([]);
    expect(f.children.map((c) => c.argv)).toEqual([["exec", "task"], ["exec", "resume", "sess-1", "Continue"]]);
    expect(f.events.some((e) => e.type === "crash")).toBe(false);
    expect(f.records.filter((p) => p.account === "B")).not.toHaveLength(0);
  });

  it("the crash cap line names `codex exec resume <id>` for exec jobs", async () => {
    const f = fakePorts({ crashMax: 0, onSpawn: (c) => setTimeout(() => c.end({ code: null, signal: "SIGKILL" }), 10) });
    const r = await superviseCodex({ ...execOpts, ports: f.ports });
    expect(r.status).toBe("failed");
    expect(f.notices).toEqual([expect.stringMatching(/Resume it yourself with: codex exec resume sess-1$/)]);
  });
});
