import { describe, expect, it } from "vitest";
import { CrashTracker, backoffDelay, decideCrashRestart, type CrashPolicyConfig } from "../../lib/supervisor/crash-policy.js";
import { countdownLine, crashCapNotice, stoppedNotice } from "../../lib/supervisor/notices.js";

const cfg: CrashPolicyConfig = { crashRestartMax: 5, crashRestartWindowMs: 600_000, crashBackoffMs: 500, crashBackoffMaxMs: 30_000 };
const MIN = 60_000;

describe("decideCrashRestart", () => {
  it.each([
    // previous restart times (minutes before now), expected action, delay, attempt
    { prev: [], action: "restart", delayMs: 500, attempt: 1 },
    { prev: [1], action: "restart", delayMs: 1000, attempt: 2 },
    { prev: [1, 2], action: "restart", delayMs: 2000, attempt: 3 },
    { prev: [1, 2, 3, 4], action: "restart", delayMs: 8000, attempt: 5 },
    { prev: [1, 2, 3, 4, 5], action: "give-up" },
    // restarts older than the window no longer count
    { prev: [11, 12, 13, 14, 15], action: "restart", delayMs: 500, attempt: 1 },
    { prev: [9, 11, 12, 13, 14], action: "restart", delayMs: 1000, attempt: 2 },
    { prev: [1, 2, 3, 4, 10], action: "restart", delayMs: 8000, attempt: 5 }, // exactly 10 min ago: out
    { prev: [1, 2, 3, 4, 9.99], action: "give-up" },
  ])("previous $prev min ago → $action", ({ prev, action, delayMs, attempt }) => {
    const now = 100 * MIN;
    const d = decideCrashRestart(prev.map((m) => now - m * MIN), now, cfg);
    expect(d.action).toBe(action);
    if (d.action === "restart") {
      expect(d.restart).toBe(true);
      expect(d.delayMs).toBe(delayMs);
      expect(d.attempt).toBe(attempt);
      expect(d.max).toBe(5);
    } else {
      expect(d).toEqual({ action: "give-up", restart: false, max: 5, windowMs: 600_000 });
    }
  });

  it("caps the doubling delay", () => {
    expect(backoffDelay(1, cfg)).toBe(500);
    expect(backoffDelay(7, cfg)).toBe(30_000); // 500·64 = 32000 > cap
    expect(backoffDelay(1000, cfg)).toBe(30_000); // no overflow to Infinity/NaN
    expect(backoffDelay(3, { crashBackoffMs: 0, crashBackoffMaxMs: 0 })).toBe(0);
  });

  it("never restarts when crashRestartMax is 0", () => {
    const d = decideCrashRestart([], 0, { ...cfg, crashRestartMax: 0 });
    expect(d.action).toBe("give-up");
  });
});

// The give-up line lives in notices.ts only (crash-policy's own mode-aware text was never shown: the
// real ports built the tracker without a context). The manual command depends on the mode.
describe("manual resume command in the notices", () => {
  it("names `codex exec resume <id>` for exec jobs and `codex resume <id>` for sessions", () => {
    expect(crashCapNotice("exited with status 1", 5, 600_000, "s1", "exec")).toMatch(/Resume it yourself with: codex exec resume s1$/);
    expect(crashCapNotice("exited with status 1", 5, 600_000, "s1", "tui")).toMatch(/Resume it yourself with: codex resume s1$/);
    expect(crashCapNotice("exited with status 1", 5, 600_000, null, "exec")).toMatch(/No session was recorded yet/);
    expect(stoppedNotice("s1", "exec")).toBe("codex-supervisor: stopped; resume with: codex exec resume s1");
    expect(stoppedNotice("s1", "tui")).toBe("codex-supervisor: stopped; resume with: codex resume s1");
    expect(countdownLine(4000, "s1", "exec")).toMatch(/later: codex exec resume s1\)$/);
  });
});

describe("CrashTracker", () => {
  it("allows max restarts per window, then gives up, and recovers once the window slides", () => {
    const t = new CrashTracker(cfg);
    const decisions = [0, 1, 2, 3, 4, 5].map((m) => t.onCrash(m * MIN));
    expect(decisions.map((d) => d.action)).toEqual(["restart", "restart", "restart", "restart", "restart", "give-up"]);
    expect(decisions.slice(0, 5).map((d) => (d.restart ? d.delayMs : -1))).toEqual([500, 1000, 2000, 4000, 8000]);
    // 10 minutes after the first restart, one slot is free again
    const later = t.onCrash(10 * MIN);
    expect(later.action).toBe("restart");
    expect(t.history.length).toBe(5);
  });
});

// ---- Measured against the pinned codex TUI: how does a user's quit look to the supervisor? ----
// The crash policy must not resume a session the user ended. These tests pin what the real binary
// returns for the two ways a user quits (two Ctrl+C keystrokes, and /quit) and check that exit-policy
// classifies exactly those statuses as a user quit.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startModelServer } from "../testbed/model-server.js";
import { classifyUnrequestedExit } from "../../lib/supervisor/exit-policy.js";
import { makeCodexHome, REAL_CODEX_NATIVE } from "../helpers/codex-home.js";
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
      const deadline = Date.now() + 10_000;
      while (!fs.existsSync(statusFile) || fs.readFileSync(statusFile, "utf8").trim() === "") {
        if (Date.now() > deadline) throw new Error(`codex did not exit within 10 s; screen:\n${t.capture()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
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
    expect(classifyUnrequestedExit(st, "tui").kind).toBe("user-quit");
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
        const until = Date.now() + 2000;
        while (!t.paneState().dead && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      }
    });
    console.log(`codex TUI after Ctrl+C Ctrl+C (draft): ${JSON.stringify(st)}`);
    expect(st).toEqual({ code: 0, signal: null });
    expect(classifyUnrequestedExit(st, "tui").kind).toBe("user-quit");
  });

  it("/quit: exit status measured and classified as a user quit", async () => {
    const st = await quitStatus(async (t) => {
      t.sendText("/quit");
      await t.waitFor(/\/quit/, 5000);
      t.sendKeys("Enter");
    });
    console.log(`codex TUI after /quit: ${JSON.stringify(st)}`);
    expect(st).toEqual({ code: 0, signal: null });
    expect(classifyUnrequestedExit(st, "tui").kind).toBe("user-quit");
  });
});
