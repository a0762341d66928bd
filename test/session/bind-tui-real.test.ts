// Binding and resume with the real codex TUI (--no-daemon, in tmux): two TUIs started at the same moment
// in the same directory are each bound to their own session; the argv from buildResumeArgv is accepted
// and resumes the same session (same rollout file) without re-sending the initial prompt; a fork is
// bound to its NEW id.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../testbed/model-server.js";
import { parseCodexArgv } from "../../lib/codex/classify.js";
import { waitForBinding, type Binding } from "../../lib/session/bind.js";
import { buildResumeArgv, withNoDaemon } from "../../lib/session/resume-argv.js";
import { makeCodexHome, REAL_CODEX_NATIVE, type CodexHome } from "../helpers/codex-home.js";
import { expectNoLeftovers, findProcessesByEnv } from "../helpers/processes.js";
import { CODEX_COMPOSER_READY, quitCodexTui, submitCodexPrompt, TmuxSession } from "../helpers/tmux.js";

describe("bind + resume with the real TUI", () => {
  let server: ModelServer;
  let h: CodexHome;
  let panes: TmuxSession[] = [];
  beforeEach(async () => {
    server = await startModelServer();
    server.setResponder((req) => ({ text: req.kind === "title" ? '{"title":"bind test"}' : `REPLY to ${req.prompt}` }));
    h = makeCodexHome({ baseUrl: server.baseUrl, apiKey: "sk-bind-tui" });
    panes = [];
  });
  afterEach(async () => {
    for (const p of panes) p.kill();
    // Everything that ran with this test's CODEX_HOME is gone.
    await expectNoLeftovers({ envKey: "CODEX_HOME", envValue: h.home });
    await server.close();
    h.cleanup();
  });

  const start = (argv: string[]) => {
    const t = TmuxSession.start({ command: [REAL_CODEX_NATIVE, ...argv], env: h.env, cwd: h.workDir, cols: 140, rows: 40 });
    panes.push(t);
    return t;
  };
  const bind = (t: TmuxSession, since: number, exclude: string[] = []) =>
    waitForBinding({ codexHome: h.home, sinceMs: since, childPids: [t.panePid()], cwd: h.workDir, exclude }, { timeoutMs: 30_000, intervalMs: 100 });

  it("two TUIs at once in one directory, then resume by id, then a fork", async () => {
    const since = Date.now();
    // --disable shell_snapshot: codex snapshots the user's login shell at start, and this machine's rc
    // files start slow helpers (pyenv rehash) that outlive the TUI; they are not what this test is about.
    const NOSNAP = ["--disable", "shell_snapshot"];
    const argvA = [...NOSNAP, "-c", 'model_reasoning_effort="low"', "--add-dir", h.workDir, "PROMPT-ALPHA"];
    const argvB = [...NOSNAP, "PROMPT-BETA"];
    const parsedA = parseCodexArgv(argvA);
    const ta = start(withNoDaemon(parsedA));
    const tb = start(withNoDaemon(parseCodexArgv(argvB)));
    const [ba, bb] = (await Promise.all([bind(ta, since), bind(tb, since)])) as [Binding, Binding];
    expect(ba?.method).toBe("fd");
    expect(bb?.method).toBe("fd");
    expect(ba.sessionId).not.toBe(bb.sessionId);
    await ta.waitFor(/REPLY to PROMPT-ALPHA/, 30_000);
    await tb.waitFor(/REPLY to PROMPT-BETA/, 30_000);
    const turnOf = (prompt: string) => server.turnRequests.find((q) => q.prompt === prompt);
    expect(turnOf("PROMPT-ALPHA")?.sessionId).toBe(ba.sessionId);
    expect(turnOf("PROMPT-BETA")?.sessionId).toBe(bb.sessionId);
    expect(ba.meta.originator).toBe("codex-tui");

    // Quit A, relaunch it with the resume argv: accepted by codex, same session, same file.
    await quitCodexTui(ta, () => ta.paneState().dead, 15_000);
    const resumeArgv = buildResumeArgv(parsedA, ba.sessionId);
    expect(resumeArgv).toEqual(["--no-daemon", ...NOSNAP, "-c", 'model_reasoning_effort="low"', "--add-dir", h.workDir, "resume", ba.sessionId]);
    const ta2 = start(resumeArgv);
    const ba2 = await bind(ta2, Date.now());
    expect(ba2).toMatchObject({ sessionId: ba.sessionId, rolloutPath: ba.rolloutPath });
    await ta2.waitFor(CODEX_COMPOSER_READY, 20_000);
    await submitCodexPrompt(ta2, "PROMPT-ALPHA-2");
    await ta2.waitFor(/REPLY to PROMPT-ALPHA-2/, 30_000);
    const second = turnOf("PROMPT-ALPHA-2")!;
    expect(second.sessionId).toBe(ba.sessionId);
    // The initial prompt is in the history once: it was not sent again on resume.
    expect(second.userTexts.filter((t) => t === "PROMPT-ALPHA")).toHaveLength(1);
    expect(server.turnRequests.filter((q) => q.prompt === "PROMPT-ALPHA")).toHaveLength(1);

    // `/new` inside the resumed TUI: the old rollout stays open, a new one appears at the next prompt,
    // and binding again follows the session in use.
    await submitCodexPrompt(ta2, "/new");
    await ta2.waitFor(CODEX_COMPOSER_READY, 10_000);
    await submitCodexPrompt(ta2, "PROMPT-AFTER-NEW");
    await ta2.waitFor(/REPLY to PROMPT-AFTER-NEW/, 30_000);
    const afterNew = turnOf("PROMPT-AFTER-NEW")!;
    expect(afterNew.sessionId).not.toBe(ba.sessionId);
    const bn = await bind(ta2, Date.now());
    expect(bn?.sessionId).toBe(afterNew.sessionId);

    // Fork B: the fork's TUI holds its NEW rollout from the start (before any prompt).
    const tf = start(withNoDaemon(parseCodexArgv([...NOSNAP, "fork", bb.sessionId])));
    const bf = (await bind(tf, Date.now()))!;
    expect(bf.sessionId).not.toBe(bb.sessionId);
    expect(bf.meta.forkedFromId).toBe(bb.sessionId);
    expect(bf.rolloutPath).not.toBe(bb.rolloutPath);

    for (const t of [ta2, tb, tf]) await quitCodexTui(t, () => t.paneState().dead, 15_000);
    expect(findProcessesByEnv("CODEX_HOME", h.home).filter((p) => p.comm === "codex")).toEqual([]);
  }, 150_000);
});
