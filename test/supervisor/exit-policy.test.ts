// What an exit nobody asked for means (exit-policy.ts classifyEnd), as a table; then the statuses the
// real pinned codex TUI returns for the ways a user quits, classified as exactly that.
import { describe, expect, it } from "vitest";
import { classifyEnd, exitAsChild, type ChildExit } from "../../lib/supervisor/exit-policy.js";
import { initialFacts, type ChildFacts } from "../../lib/supervisor/state.js";
import { initialQuotaState } from "../../lib/quota/decide.js";

const W = 10_000;
const facts = (o: Partial<ChildFacts> = {}): ChildFacts => ({ ...initialFacts(), ...o });

describe("classifyEnd", () => {
  it.each([
    { name: "exit 0 (a TUI quit, a finished exec)", exit: { code: 0, signal: null }, bound: true, up: 60_000, f: facts(), kind: "user-quit" },
    { name: "exit 130", exit: { code: 130, signal: null }, bound: true, up: 60_000, f: facts(), kind: "user-quit" },
    { name: "death by SIGINT", exit: { code: null, signal: "SIGINT" }, bound: true, up: 60_000, f: facts(), kind: "user-quit" },
    { name: "death by SIGHUP", exit: { code: null, signal: "SIGHUP" }, bound: true, up: 60_000, f: facts(), kind: "terminal-gone" },
    { name: "exit 1 within the window, unbound, no turn", exit: { code: 1, signal: null }, bound: false, up: 400, f: facts(), kind: "start-failure" },
    { name: "exit 2 (bad flag) at once", exit: { code: 2, signal: null }, bound: false, up: 50, f: facts(), kind: "start-failure" },
    { name: "exit 1 after the window", exit: { code: 1, signal: null }, bound: false, up: W, f: facts(), kind: "crash" },
    { name: "exit 1 within the window but bound", exit: { code: 1, signal: null }, bound: true, up: 400, f: facts(), kind: "crash" },
    { name: "exit 1 within the window after a turn started", exit: { code: 1, signal: null }, bound: false, up: 400, f: facts({ turnsStarted: 1 }), kind: "crash" },
    { name: "SIGKILL at once, unbound", exit: { code: null, signal: "SIGKILL" }, bound: false, up: 50, f: facts(), kind: "crash" },
    { name: "exit 1 after a usage-limit turn", exit: { code: 1, signal: null }, bound: true, up: 3000, f: facts({ quota: { ...initialQuotaState(), lastTurnUsageLimit: true } }), kind: "limit" },
    { name: "exit 1 after a refused login", exit: { code: 1, signal: null }, bound: true, up: 3000, f: facts({ loginLost: true }), kind: "login-lost" },
  ] as Array<{ name: string; exit: ChildExit; bound: boolean; up: number; f: ChildFacts; kind: string }>)("$name → $kind", ({ exit, bound, up, f, kind }) => {
    expect(classifyEnd({ exit, bound, uptimeMs: up, facts: f, startFailureWindowMs: W }).kind).toBe(kind);
  });

  it("how we end like a child: its code, or its signal", () => {
    expect(exitAsChild({ code: 3, signal: null })).toEqual({ code: 3 });
    expect(exitAsChild({ code: null, signal: "SIGKILL" })).toEqual({ signal: "SIGKILL" });
    expect(exitAsChild(null)).toEqual({ code: 1 });
  });
});

/** How the loop reads an exit of a child that ran a while, bound, with no special facts. */
function verdictOf(exit: ChildExit): string {
  return classifyEnd({ exit, bound: true, uptimeMs: 60_000, facts: initialFacts(), startFailureWindowMs: W }).kind;
}

// ---- Measured against the pinned codex TUI: how does a user's quit look to the supervisor? ----
// The crash policy must not resume a session the user ended. These tests pin what the real binary
// returns for the two ways a user quits (two Ctrl+C keystrokes, and /quit) and check that exit-policy
// classifies exactly those statuses as a user quit.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startModelServer } from "../testbed/model-server.js";
import { makeCodexHome, REAL_CODEX_NATIVE } from "../helpers/codex-home.js";
import { ignorePollTimeout, pollUntil } from "../helpers/poll.js";
import { CODEX_COMPOSER_READY, TmuxSession } from "../helpers/tmux.js";

const haveTmux = spawnSync("tmux", ["-V"]).status === 0;

describe.skipIf(!haveTmux)("real codex TUI quit status", () => {
  /**
   * Run the native TUI in a private tmux server through `sh`, which writes codex's exit status to a
   * file (tmux 3.3 sometimes marks a pane dead before it knows the status). `trap : INT` gives sh a
   * handler, not SIG_IGN, so codex still starts with default signal dispositions.
   */
  async function quitStatus(quit: (t: TmuxSession) => Promise<void>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const server = await startModelServer();
    const h = makeCodexHome({ baseUrl: server.baseUrl, apiKey: "sk-test-quit" });
    const statusFile = path.join(h.home, "exit-status");
    const script = `trap : INT; "$0" --no-daemon; echo "$?" > ${JSON.stringify(statusFile)}`;
    const t = TmuxSession.start({ command: ["sh", "-c", script, REAL_CODEX_NATIVE], env: h.env, cwd: h.workDir });
    try {
      await t.waitFor(CODEX_COMPOSER_READY, 20_000);
      await quit(t);
      await pollUntil(() => fs.existsSync(statusFile) && fs.readFileSync(statusFile, "utf8").trim() !== "", 10_000, () => `codex to exit; screen:\n${t.capture()}`);
      const status = Number(fs.readFileSync(statusFile, "utf8").trim());
      // sh reports a death by signal N as 128+N; a status above 128 is read back as that signal.
      const signal = status > 128 ? (Object.entries(os.constants.signals).find(([, n]) => n === status - 128)?.[0] as NodeJS.Signals) ?? null : null;
      return signal ? { code: null, signal } : { code: status, signal: null };
    } finally {
      t.kill();
      await server.close();
      h.cleanup();
    }
  }

  it("Ctrl+C on an empty composer: codex quits at once; status measured and classified as a user quit", async () => {
    const st = await quitStatus(async (t) => t.sendKeys("C-c"));
    console.log(`codex TUI after one Ctrl+C (empty composer): ${JSON.stringify(st)}`);
    expect(st).toEqual({ code: 0, signal: null });
    expect(verdictOf(st)).toBe("user-quit");
  });

  it("Ctrl+C twice with a draft typed: status measured and classified as a user quit", async () => {
    const st = await quitStatus(async (t) => {
      t.sendText("draft text");
      await t.waitFor(/draft text/, 5000);
      t.sendKeys("C-c");
      await t.waitFor((screen) => !screen.includes("draft text") || /again to quit/i.test(screen), 5000);
      expect(t.paneState().dead).toBe(false); // the first Ctrl+C only clears the draft (sh would exit with codex)
      // A Ctrl+C that lands while codex still settles from the clear can be swallowed (seen once under
      // CI load): press again, as a user would, until the pane ends — at most three times.
      for (let i = 0; i < 3 && !t.paneState().dead; i++) {
        t.sendKeys("C-c");
        await t.waitForExit(2000).catch(ignorePollTimeout);
      }
    });
    console.log(`codex TUI after Ctrl+C Ctrl+C (draft): ${JSON.stringify(st)}`);
    expect(st).toEqual({ code: 0, signal: null });
    expect(verdictOf(st)).toBe("user-quit");
  });

  it("/quit: exit status measured and classified as a user quit", async () => {
    const st = await quitStatus(async (t) => {
      t.sendText("/quit");
      await t.waitFor(/\/quit/, 5000);
      t.sendKeys("Enter");
    });
    console.log(`codex TUI after /quit: ${JSON.stringify(st)}`);
    expect(st).toEqual({ code: 0, signal: null });
    expect(verdictOf(st)).toBe("user-quit");
  });
});
