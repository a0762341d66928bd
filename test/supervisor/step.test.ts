// The supervisor's policy as tables: events in, effects out, through the pure step function. Each
// `describe` is one row of the policy (docs/architecture.md §2 lists where each lives); the cases
// numbered "row N" reproduce the wrong decisions the loop used to make (docs/architecture.md §2).
import { describe, expect, it } from "vitest";
import { STOPPED_EXIT_CODE } from "../../lib/supervisor/exit-policy.js";
import { acct, ctxOf, Driver, login, MIN, reading, running, snapshot, T0 } from "./step-driver.js";

describe("start", () => {
  it("reads the store, then starts codex with the original argv and binds its session", () => {
    const d = new Driver(ctxOf());
    expect(d.kinds()).toEqual(["load-accounts"]);
    d.accounts(snapshot([acct("alpha", { remaining: 60 })], "alpha"));
    expect(d.spawns()).toEqual([["--no-daemon", "hello"]]);
    const e = d.spawned(login("alpha"));
    expect(d.kinds(e)).toEqual(["record", "log", "bind"]);
    expect(d.of("bind", e)[0]).toMatchObject({ recheck: false });
    expect(d.of("record", e)[0]!.patch).toMatchObject({ status: "running", account: "alpha" });
  });

  it("without accounts there is no store read: codex starts at once", () => {
    const d = new Driver(ctxOf({ accounts: false }));
    expect(d.spawns()).toEqual([["--no-daemon", "hello"]]);
  });

  it("row 5: never starts on an account that is cooling down while another has room", () => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([acct("alpha", { remaining: 60, coolingUntil: T0 + 30 * MIN }), acct("beta", { remaining: 70 })], "alpha"));
    expect(d.of("switch")).toEqual([{ kind: "switch", to: "beta", from: "alpha", coolDownUntil: null }]);
    expect(d.notices()).toEqual(["codex-supervisor: starting on beta: alpha has no room for 30m 00s"]);
    expect(d.spawns()).toEqual([]);
    d.send({ type: "switched", outcome: "switched", detail: null });
    expect(d.spawns()).toEqual([["--no-daemon", "hello"]]);
  });

  it.each([
    { name: "exhausted by its last reading", alpha: acct("alpha", { remaining: 2 }), to: "beta" },
    { name: "disabled", alpha: acct("alpha", { enabled: false }), to: "beta" },
    { name: "cooling down, its cool-down over", alpha: acct("alpha", { remaining: 60, coolingUntil: T0 - 1 }), to: null },
    { name: "exhausted, its window reset since", alpha: acct("alpha", { remaining: 2, resetsInMin: -5 }), to: null },
  ])("row 5: the active account $name → switch to $to first", ({ alpha, to }) => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([alpha, acct("beta", { remaining: 70 })], "alpha"));
    expect(d.of("switch").map((s) => s.to)).toEqual(to ? [to] : []);
    expect(d.spawns().length).toBe(to ? 0 : 1);
  });

  it("row 5: nobody else has room → starts on the active account anyway (the limit, if real, rotates later)", () => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([acct("alpha", { remaining: 2 }), acct("beta", { remaining: 1 })], "alpha"));
    expect(d.of("switch")).toEqual([]);
    expect(d.spawns()).toEqual([["--no-daemon", "hello"]]);
  });

  it("a login of no stored account is started as it is", () => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([acct("alpha", { remaining: 1 }), acct("beta", { remaining: 90 })], null));
    expect(d.of("switch")).toEqual([]);
    expect(d.spawns().length).toBe(1);
  });

  it("an unreadable store: codex starts anyway, the error is logged", () => {
    const d = new Driver(ctxOf());
    d.accounts(null, "AccountsStoreError: accounts.json is not valid JSON");
    expect(d.spawns().length).toBe(1);
    expect(d.logs("error")).toEqual([{ type: "error", where: "start", message: "AccountsStoreError: accounts.json is not valid JSON" }]);
  });
});

describe("binding", () => {
  it("once bound, the session is looked at again now and then; `/new` in the TUI moves the binding to the new rollout", () => {
    const d = running();
    expect(d.of("timer").at(-1)).toMatchObject({ id: "bind-poll", ms: 5000 });
    d.send({ type: "timer", id: "bind-poll" }, 5000);
    expect(d.of("bind").at(-1)).toMatchObject({ recheck: true });
    // Same rollout: nothing changes, the next look is scheduled.
    d.bound("sess-1");
    expect(d.state.binding?.sessionId).toBe("sess-1");
    d.send({ type: "timer", id: "bind-poll" }, 5000);
    d.bound("sess-2");
    expect(d.state.binding).toEqual({ sessionId: "sess-2", rolloutPath: "/r/sess-2.jsonl" });
    expect(d.of("follow").at(-1)).toMatchObject({ binding: { sessionId: "sess-2" } });
    expect(d.of("record").at(-1)!.patch).toMatchObject({ sessionId: "sess-2" });
    // A restart now resumes the conversation codex writes now.
    d.send({ type: "control", request: "restart" });
    d.escalated();
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-2"]);
  });

  it("a recheck that finds nothing (no exact answer) keeps the binding", () => {
    const d = running();
    d.send({ type: "timer", id: "bind-poll" }, 5000);
    d.send({ type: "bound", seq: d.seq, binding: null });
    expect(d.state.binding?.sessionId).toBe("sess-1");
  });
});

describe("quota facts: provenance and booking", () => {
  it("row 1: a resumed session on beta — nothing is charged or decided until this child writes a reading", () => {
    const d = new Driver(ctxOf({ initialArgv: ["--no-daemon", "resume", "old-sess"] }));
    d.accounts(snapshot([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 70 })], "beta"));
    d.spawned(login("beta"));
    d.bound("old-sess");
    // The follower starts at this child's first line (rollout-start.ts), so alpha's old 97 % never arrives.
    expect(d.of("follow")[0]).toMatchObject({ since: d.state.child!.startedAt });
    expect(d.of("record-usage")).toEqual([]);
    d.turn(30);
    expect(d.of("record-usage")).toEqual([{ kind: "record-usage", account: "beta", limits: expect.objectContaining({ primary: expect.objectContaining({ usedPercent: 30 }) }), at: d.now }]);
    expect(d.of("stop-tree")).toEqual([]);
    expect(d.of("load-accounts").length).toBe(1); // only the start read
  });

  it("readings are charged to the login the child was launched with, not to whoever is active now", () => {
    const d = running();
    d.send({ type: "login", login: login("beta") }); // another terminal rotated; this child still runs on alpha
    d.facts({ kind: "task_started" }, reading(40));
    expect(d.of("record-usage").map((e) => e.account)).toEqual(["alpha"]);
  });

  it("facts of an older child are ignored", () => {
    const d = running();
    d.send({ type: "facts", seq: d.seq - 1, facts: [reading(99)] as never });
    expect(d.of("record-usage")).toEqual([]);
  });

  it("a login of no stored account: nothing is booked and nothing rotates", () => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([acct("alpha"), acct("beta")], null));
    d.spawned(login(null));
    d.bound();
    d.turn(99);
    expect(d.of("record-usage")).toEqual([]);
    expect(d.of("stop-tree")).toEqual([]);
  });
});

describe("rotation at the idle point", () => {
  it("at the threshold: reads the store, stops codex, switches, resumes the session by id", () => {
    const d = running();
    d.turn(96);
    expect(d.of("load-accounts").length).toBe(2);
    d.accounts(snapshot([acct("alpha", { remaining: 4 }), acct("beta", { remaining: 80 })], "alpha"));
    expect(d.of("stop-tree").length).toBe(1);
    d.escalated();
    expect(d.of("switch")).toEqual([{ kind: "switch", to: "beta", from: "alpha", coolDownUntil: T0 + 60 * MIN }]);
    d.send({ type: "switched", outcome: "switched", detail: null });
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1"]);
    expect(d.notices().at(-1)).toMatch(/^codex-supervisor: switching account alpha → beta \(5h window 96% used \(4% left\).*\); resuming session sess-1$/);
    expect(d.of("notice").at(-1)).toMatchObject({ alert: true, screen: true });
    expect(d.state.restarts).toBe(1);
  });

  it("never cuts a turn: a turn in progress waits, and the store is read only once idle", () => {
    const d = running();
    d.facts({ kind: "task_started" }, reading(96));
    expect(d.of("load-accounts").length).toBe(1);
    d.facts({ kind: "task_complete", error: null });
    expect(d.of("load-accounts").length).toBe(2);
  });

  it("a turn started while the store was read: nothing is stopped", () => {
    const d = running();
    d.turn(96);
    d.facts({ kind: "task_started" });
    d.accounts(snapshot([acct("alpha", { remaining: 4 }), acct("beta", { remaining: 80 })], "alpha"));
    expect(d.of("stop-tree")).toEqual([]);
  });

  it("row 3: a turn cut by the hard limit is resumed on the next account with the continue prompt", () => {
    const d = running();
    d.turn(100, "usage_limit_exceeded");
    d.accounts(snapshot([acct("alpha", { remaining: 0 }), acct("beta", { remaining: 80 })], "alpha"));
    d.escalated();
    d.send({ type: "switched", outcome: "switched", detail: null });
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1", "Continue."]);
    expect(d.notices().at(-1)).toMatch(/and continuing the turn the limit cut$/);
  });

  it("row 3: continuing turned off → resumed without a prompt", () => {
    const d = running({ continuePrompt: null });
    d.turn(100, "usage_limit_exceeded");
    d.accounts(snapshot([acct("alpha", { remaining: 0 }), acct("beta", { remaining: 80 })], "alpha"));
    d.escalated();
    d.send({ type: "switched", outcome: "switched", detail: null });
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1"]);
  });

  it("a threshold rotation never sends the continue prompt (the turn was not cut)", () => {
    const d = running();
    d.turn(97);
    d.accounts(snapshot([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 80 })], "alpha"));
    d.escalated();
    d.send({ type: "switched", outcome: "switched", detail: null });
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1"]);
  });

  it("row 5: never rotates onto an account cooling down or exhausted while another has room", () => {
    const d = running({}, [acct("alpha"), acct("beta", { remaining: 90, coolingUntil: T0 + 10 * MIN }), acct("gamma", { remaining: 2 }), acct("delta", { remaining: 40 })]);
    d.turn(97);
    d.accounts(snapshot([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 90, coolingUntil: T0 + 10 * MIN }), acct("gamma", { remaining: 2 }), acct("delta", { remaining: 40 })], "alpha"));
    d.escalated();
    expect(d.of("switch").map((s) => s.to)).toEqual(["delta"]);
  });

  it("nobody has room and a reset is known: codex is stopped, a countdown runs, then the earliest account", () => {
    const d = running();
    d.facts({ kind: "task_started" }, reading(97, 2), { kind: "task_complete", error: null });
    d.accounts(snapshot([acct("alpha", { remaining: 3, resetsInMin: 2 }), acct("beta", { remaining: 1, resetsInMin: 30 })], "alpha"));
    d.escalated();
    expect(d.notices().at(-1)).toBe("codex-supervisor: every account is at its usage limit; waiting for the earliest reset in 2m 00s (more room: `codex-supervisor accounts add <name>`)");
    expect(d.of("status").at(-1)).toMatchObject({ done: false });
    for (let i = 0; i < 120; i++) d.send({ type: "timer", id: "countdown" }, 1000);
    expect(d.of("switch")).toEqual([{ kind: "switch", to: "alpha", from: "alpha", coolDownUntil: null }]);
    d.send({ type: "switched", outcome: "switched", detail: null });
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1"]);
  });

  it("nobody has room, whenAllExhausted stay: the session stays; an alert with the hint to add an account", () => {
    const d = running({ whenAllExhausted: "stay" }, [acct("alpha")]);
    d.turn(98);
    d.accounts(snapshot([acct("alpha", { remaining: 2 })], "alpha"));
    expect(d.of("stop-tree")).toEqual([]);
    expect(d.of("notice").at(-1)).toMatchObject({ screen: false, alert: true });
    expect(d.notices().at(-1)).toMatch(/staying on it; add another with `codex-supervisor accounts add <name>`$/);
    // Said once per child, not at every reading.
    d.turn(99);
    d.accounts(snapshot([acct("alpha", { remaining: 1 })], "alpha"));
    expect(d.notices().filter((l) => l.includes("staying on it")).length).toBe(2); // a new reason (99 %) is a new line
    d.turn(99);
    d.accounts(snapshot([acct("alpha", { remaining: 1 })], "alpha"));
    expect(d.notices().filter((l) => l.includes("staying on it")).length).toBe(2);
  });

  it("a login of no stored account in auth.json is never replaced (skip, logged once)", () => {
    const d = running();
    d.turn(97);
    d.accounts(snapshot([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 80 })], null));
    expect(d.of("stop-tree")).toEqual([]);
    expect(d.logs("quota").map((l) => l.action)).toContain("skip");
  });

  it("the credential store is the keyring: rotation refuses with one line", () => {
    const d = running();
    d.turn(97);
    d.accounts(snapshot([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 80 })], "alpha", "not switching accounts: codex keeps logins in the OS keyring"));
    expect(d.of("stop-tree")).toEqual([]);
    expect(d.notices()).toEqual(["codex-supervisor: not switching accounts: codex keeps logins in the OS keyring"]);
  });

  it("a switch that fails: resumed on the current login, no new attempt before the retry time", () => {
    const d = running();
    d.turn(97);
    d.accounts(snapshot([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 80 })], "alpha"));
    d.escalated();
    d.send({ type: "switched", outcome: "failed", detail: "LockTimeoutError: storage lock busy" });
    expect(d.notices().at(-1)).toMatch(/could not switch account alpha → beta: LockTimeoutError: storage lock busy; resuming session sess-1 on the current login; next try in 5m 00s/);
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1"]);
    d.spawned(login("alpha"));
    d.turn(98);
    expect(d.of("load-accounts").length).toBe(2); // backed off
    expect(d.of("timer").at(-1)).toMatchObject({ id: "retry" });
    d.send({ type: "timer", id: "retry" }, 5 * MIN);
    expect(d.of("load-accounts").length).toBe(3);
  });

  it("a store that cannot be read while deciding: nothing is stopped; retried after the back-off", () => {
    const d = running();
    d.turn(97);
    d.accounts(null, "AccountsStoreError: bad");
    expect(d.of("stop-tree")).toEqual([]);
    expect(d.logs("rotate-failed")).toHaveLength(1);
  });

  it("preselects the successor once per reading near the threshold, without stopping anything", () => {
    const d = running();
    d.turn(91);
    d.accounts(snapshot([acct("alpha", { remaining: 9 }), acct("beta", { remaining: 80 })], "alpha"));
    expect(d.logs("quota").filter((l) => l.action === "preselect")).toEqual([expect.objectContaining({ successor: "beta" })]);
    expect(d.of("stop-tree")).toEqual([]);
    d.turn(91);
    expect(d.of("load-accounts").length).toBe(2);
  });
});

describe("one CODEX_HOME, one login: following auth.json", () => {
  it("the login changed elsewhere: at the idle point codex is restarted on it and the session resumed", () => {
    const d = running();
    d.send({ type: "login", login: login("beta") });
    expect(d.of("stop-tree").length).toBe(1);
    d.escalated();
    expect(d.of("switch")).toEqual([]); // auth.json already holds it
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1"]);
    expect(d.notices().at(-1)).toBe("codex-supervisor: the login in auth.json changed (alpha → beta); resuming session sess-1 on it");
  });

  it("mid-turn: waits for the turn to end", () => {
    const d = running();
    d.facts({ kind: "task_started" });
    d.send({ type: "login", login: login("beta") });
    expect(d.of("stop-tree")).toEqual([]);
    d.facts({ kind: "task_complete", error: null });
    expect(d.of("stop-tree").length).toBe(1);
  });

  it("an unbound TUI simply restarts with its original argv", () => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([acct("alpha"), acct("beta")], "alpha"));
    d.spawned(login("alpha"));
    d.send({ type: "login", login: login("beta") });
    d.escalated();
    expect(d.spawns()).toEqual([["--no-daemon", "hello"], ["--no-daemon", "hello"]]);
  });

  it("a refresh of the same login is not a change", () => {
    const d = running();
    d.send({ type: "login", login: login("alpha") });
    expect(d.of("stop-tree")).toEqual([]);
  });

  it("the same change back before the idle point: nothing to do", () => {
    const d = running();
    d.facts({ kind: "task_started" });
    d.send({ type: "login", login: login("beta") });
    d.send({ type: "login", login: login("alpha") });
    d.facts({ kind: "task_complete", error: null });
    expect(d.of("stop-tree")).toEqual([]);
  });

  it("a turn codex failed with 'signed in to another account' is resumed on the current login and continued", () => {
    const d = running();
    d.facts({ kind: "task_started" });
    d.send({ type: "login", login: login("beta") });
    d.facts({ kind: "login_lost" }, { kind: "task_complete", error: null });
    d.escalated();
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1", "Continue."]);
    expect(d.notices().at(-1)).toMatch(/and continuing the turn it cut$/);
  });

  it("a login made by hand in another terminal is followed too (codex would refuse its own token)", () => {
    const d = running();
    d.send({ type: "login", login: login(null, "mine") });
    expect(d.of("stop-tree").length).toBe(1);
  });

  it("a child started without a login that logged in itself is not restarted", () => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([], null));
    d.spawned({ kind: "missing", owner: null, key: null });
    d.send({ type: "login", login: login(null, "new") });
    expect(d.of("stop-tree")).toEqual([]);
  });

  it("a rotation elsewhere while ours was deciding: we follow it instead of switching again", () => {
    const d = running();
    d.turn(97);
    d.accounts(snapshot([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 80 }), acct("gamma", { remaining: 90 })], "alpha"));
    d.send({ type: "login", login: login("beta") });
    d.escalated();
    expect(d.of("switch")).toEqual([]);
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1"]);
  });

  it("the store shows auth.json already moved to an account with room: followed without a switch", () => {
    const d = running();
    d.turn(97);
    d.accounts(snapshot([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 80 })], "beta"));
    d.escalated();
    expect(d.of("switch")).toEqual([]);
    expect(d.spawns().length).toBe(2);
  });

  it("exec jobs are never cut for a login change", () => {
    const d = running({ mode: "exec" });
    d.send({ type: "login", login: login("beta") });
    expect(d.of("stop-tree")).toEqual([]);
  });
});

describe("exits nobody asked for", () => {
  it("the user quits: ends with codex's status; leftovers ended first", () => {
    const d = running();
    d.exit(0);
    expect(d.of("settle")).toEqual([{ kind: "settle", seq: 1, bind: false, leftoverSteps: d.ctx.leftoverSteps }]);
    d.settled({ leftovers: 2 });
    expect(d.result()).toMatchObject({ status: "exited", exitAs: { code: 0 }, restarts: 0 });
    expect(d.logs("leftovers")).toEqual([{ type: "leftovers", ended: 2 }]);
  });

  it("row 2: a start failure (resume of an unknown id) is not retried: ends with its status", () => {
    const d = new Driver(ctxOf({ initialArgv: ["--no-daemon", "resume", "00000000-0000-0000-0000-000000000000"] }));
    d.accounts(snapshot([acct("alpha")], "alpha"));
    d.spawned(login("alpha"));
    d.exit(1, null, 400);
    d.settled();
    expect(d.spawns().length).toBe(1);
    expect(d.result()).toMatchObject({ status: "failed", exitAs: { code: 1 } });
    expect(d.result()!.reason).toMatch(/exited with status 1 after 0\.4 s, before any session started; not restarted/);
    expect(d.notices()).toEqual([]); // codex's own message is the one the user sees
  });

  it("row 2: an unbound child killed by a signal early is a crash, not a start failure", () => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([acct("alpha")], "alpha"));
    d.spawned(login("alpha"));
    d.exit(null, "SIGKILL", 400);
    d.settled();
    expect(d.of("timer").at(-1)).toMatchObject({ id: "backoff", ms: 500 });
  });

  it("row 2: a non-zero exit after the start window (or once bound) is a crash", () => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([acct("alpha")], "alpha"));
    d.spawned(login("alpha"));
    d.exit(1, null, 11_000);
    d.settled();
    expect(d.logs("crash")).toHaveLength(1);
  });

  it("a crash resumes by id after the backoff, then gives up at the cap with the manual command", () => {
    const d = running();
    for (let i = 0; i < 2; i++) {
      d.exit(null, "SIGKILL", 20_000);
      d.settled();
      d.send({ type: "timer", id: "backoff" }, 500 * 2 ** i);
      expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1"]);
      d.spawned(login("alpha"));
    }
    d.exit(null, "SIGKILL", 20_000);
    d.settled();
    expect(d.result()).toMatchObject({ status: "failed", exitAs: { signal: "SIGKILL" } });
    expect(d.notices()).toContain("codex-supervisor: codex killed by SIGKILL; giving up after 2 crash restarts within 10m 00s. Resume it yourself with: codex resume sess-1");
  });

  it("the terminal closed (SIGHUP): stopped, not restarted", () => {
    const d = running();
    d.exit(null, "SIGHUP");
    d.settled();
    expect(d.result()).toMatchObject({ status: "stopped", exitAs: { signal: "SIGHUP" } });
  });

  it("after a stop of ours the escalation already swept the marker: no second leftover scan", () => {
    const d = running();
    d.send({ type: "control", request: "restart" });
    d.escalated();
    expect(d.of("settle").at(-1)).toMatchObject({ leftoverSteps: null });
  });

  it("row 4: every child end settles with the leftover escalation — a crash before its relaunch too", () => {
    const d = running();
    d.exit(2, null, 20_000);
    expect(d.of("settle")).toHaveLength(1);
    d.settled({ leftovers: 1 });
    d.send({ type: "timer", id: "backoff" }, 500);
    expect(d.kinds().lastIndexOf("settle")).toBeLessThan(d.kinds().lastIndexOf("spawn"));
  });

  it("the session bound only after the child ended (the last scan) is what a crash resumes", () => {
    const d = new Driver(ctxOf());
    d.accounts(snapshot([acct("alpha")], "alpha"));
    d.spawned(login("alpha"));
    d.exit(null, "SIGKILL", 20_000);
    expect(d.of("settle")[0]).toMatchObject({ bind: true });
    d.settled({ binding: "late-sess" });
    d.send({ type: "timer", id: "backoff" }, 500);
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "late-sess"]);
  });
});

describe("exec jobs", () => {
  it("a threshold reading while exec runs: never cut (defer, logged once)", () => {
    const d = running({ mode: "exec" });
    d.turn(97);
    d.turn(98);
    expect(d.of("stop-tree")).toEqual([]);
    expect(d.logs("quota").filter((l) => l.action === "defer")).toHaveLength(1);
  });

  it("exit 0 at the threshold: the result stands; the accounts are switched for the next run", () => {
    const d = running({ mode: "exec" });
    d.turn(97);
    d.exit(0);
    d.settled();
    d.accounts(snapshot([acct("alpha", { remaining: 3 }), acct("beta", { remaining: 80 })], "alpha"));
    d.send({ type: "switched", outcome: "switched", detail: null });
    expect(d.spawns().length).toBe(1);
    expect(d.notices().at(-1)).toMatch(/switched account alpha → beta for the next run/);
    expect(d.result()).toMatchObject({ status: "exited", exitAs: { code: 0 } });
  });

  it("exit 1 after a usage-limit turn (the last lines read at settle): rotate, then exec resume with the continue prompt", () => {
    const d = running({ mode: "exec", resumeArgv: (id, p) => ["exec", "resume", id, p ?? "DEFAULT"] });
    d.exit(1, null, 3000);
    d.settled({ facts: [{ kind: "task_started" }, { kind: "task_complete", error: "usage_limit_exceeded" }] });
    expect(d.of("load-accounts")).toHaveLength(2);
    d.accounts(snapshot([acct("alpha", { remaining: 0 }), acct("beta", { remaining: 80 })], "alpha"));
    d.send({ type: "switched", outcome: "switched", detail: null });
    expect(d.spawns().at(-1)).toEqual(["exec", "resume", "sess-1", "Continue."]);
  });

  it("exit 1 after a usage-limit turn with nobody left: failed with its status, a clear reason", () => {
    const d = running({ mode: "exec", whenAllExhausted: "stay" });
    d.exit(1, null, 3000);
    d.settled({ facts: [{ kind: "task_started" }, { kind: "task_complete", error: "usage_limit_exceeded" }] });
    d.accounts(snapshot([acct("alpha", { remaining: 0 }), acct("beta", { remaining: 0 })], "alpha"));
    expect(d.result()).toMatchObject({ status: "failed", exitAs: { code: 1 } });
    expect(d.result()!.reason).toMatch(/usage limit and no account can take over/);
  });

  it("SIGINT to a job's supervisor is a stop", () => {
    const d = running({ mode: "exec" });
    d.send({ type: "signal", signal: "SIGINT" });
    expect(d.of("stop-tree")).toHaveLength(1);
  });
});

describe("requests and signals", () => {
  it("row 6: `stop` ends with the documented status 143, not a re-raised signal", () => {
    const d = running();
    d.send({ type: "control", request: "stop" });
    d.escalated();
    expect(d.result()).toMatchObject({ status: "stopped", exitAs: { code: STOPPED_EXIT_CODE }, reason: "stop requested" });
    expect(d.notices().at(-1)).toBe("codex-supervisor: stopped; resume with: codex resume sess-1");
  });

  it("SIGTERM to the supervisor: the tree is stopped, then we die of SIGTERM", () => {
    const d = running();
    d.send({ type: "signal", signal: "SIGTERM" });
    d.escalated();
    expect(d.result()).toMatchObject({ status: "stopped", exitAs: { signal: "SIGTERM" } });
  });

  it("SIGINT while codex runs in a TUI is codex's (ignored by us); during a backoff it ends us", () => {
    const d = running();
    expect(d.send({ type: "signal", signal: "SIGINT" })).toEqual([]);
    d.exit(null, "SIGKILL", 20_000);
    d.settled();
    d.send({ type: "signal", signal: "SIGINT" });
    expect(d.result()).toMatchObject({ status: "stopped", exitAs: { signal: "SIGINT" } });
  });

  it("a restart request: the tree is stopped and the session resumed by id", () => {
    const d = running();
    d.send({ type: "control", request: "restart" });
    d.escalated();
    expect(d.spawns().at(-1)).toEqual(["--no-daemon", "resume", "sess-1"]);
    expect(d.notices().at(-1)).toBe("codex-supervisor: restart requested; resuming session sess-1");
  });

  it("a stop outranks a restart already under way", () => {
    const d = running();
    d.send({ type: "control", request: "restart" });
    d.send({ type: "control", request: "stop" });
    d.escalated();
    expect(d.spawns().length).toBe(1);
    expect(d.result()).toMatchObject({ status: "stopped" });
  });

  it("a stop while codex is being spawned is delivered to it at once", () => {
    const d = new Driver(ctxOf({ accounts: false }));
    d.send({ type: "control", request: "stop" });
    d.spawned(login("alpha"));
    expect(d.of("stop-tree")).toHaveLength(1);
  });

  it("a stop during a crash backoff ends at once; a restart relaunches at once", () => {
    const d = running();
    d.exit(null, "SIGKILL", 20_000);
    d.settled();
    d.send({ type: "control", request: "restart" });
    expect(d.spawns().length).toBe(2);
    d.spawned(login("alpha"));
    d.exit(null, "SIGKILL", 20_000);
    d.settled();
    d.send({ type: "control", request: "stop" });
    expect(d.result()).toMatchObject({ status: "stopped" });
  });

  it("a stop during the countdown ends the session with the resume line", () => {
    const d = running();
    d.turn(97);
    d.accounts(snapshot([acct("alpha", { remaining: 3, resetsInMin: 20 }), acct("beta", { remaining: 1, resetsInMin: 30 })], "alpha"));
    d.escalated();
    d.send({ type: "control", request: "stop" }, 1000);
    expect(d.result()).toMatchObject({ status: "stopped", reason: "stop requested while waiting for a quota reset" });
  });

  it("the escalation reports before Node reports the child's exit: settles on the exit", () => {
    const d = running();
    d.send({ type: "control", request: "restart" });
    d.treeStopped();
    expect(d.of("settle")).toEqual([]);
    d.exit(null, "SIGINT");
    expect(d.of("settle")).toHaveLength(1);
  });

  it("a TUI session's relaunch notices are repeated when it ends", () => {
    const d = running();
    d.send({ type: "control", request: "restart" });
    d.escalated();
    d.spawned(login("alpha"));
    d.exit(0);
    d.settled();
    expect(d.notices().at(-1)).toBe("codex-supervisor: earlier in this session: restart requested; resuming session sess-1");
  });
});
