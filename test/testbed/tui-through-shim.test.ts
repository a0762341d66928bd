// A TUI turn in tmux where `codex` resolves to our shim (shim/ first on PATH, the real npm launcher
// behind it), passthrough mode (no opt-in). The shim must exec the real codex with the terminal as
// its terminal, add nothing that outlives it, strip our env keys, and leave the terminal intact.
// Uses the compiled dist/ (run `npx tsc -p .` or `npm run build` first).
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "./model-server.js";
import { listRollouts, makeCodexHome, readRollout, REAL_CODEX_NATIVE, REPO_ROOT, rolloutEvents, rolloutSessionId, type CodexHome } from "../helpers/codex-home.js";
import { pollUntil } from "../helpers/poll.js";
import { commOf, descendantsOf, expectNoLeftovers, findProcessesByEnv, killTracked, openFilesOf, readEnviron, type TrackedProcess } from "../helpers/processes.js";
import { CODEX_COMPOSER_READY, quitCodexTui, shellRun, startShell, sttyModes, submitCodexPrompt, type TmuxSession } from "../helpers/tmux.js";

const SHIM_DIR = path.join(REPO_ROOT, "shim");
const REAL_BIN_DIR = path.join(REPO_ROOT, "node_modules", ".bin"); // holds `codex` -> @openai/codex/bin/codex.js
const PROMPT_LINE = /READY\$ $/m;
const shellIsBack = (screen: string) => /READY\$ $/.test(screen.trimEnd() + " ") && /To continue|Token usage/.test(screen);

describe("codex TUI through the shim (passthrough)", () => {
  let server: ModelServer;
  let h: CodexHome;
  let t: TmuxSession | null = null;
  let started: TrackedProcess[] = [];

  beforeAll(() => {
    const built = fs.existsSync(path.join(REPO_ROOT, "dist", "shim", "main.js"));
    if (!built) throw new Error("dist/shim/main.js is missing: build first (npx tsc -p . or npm run build)");
  });
  beforeEach(async () => {
    server = await startModelServer();
    h = makeCodexHome({
      baseUrl: server.baseUrl,
      apiKey: "sk-shim-a",
      env: {
        PATH: `${SHIM_DIR}:${REAL_BIN_DIR}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        // Our keys must not reach codex (stripped by the shim); opt-in stays off.
        CODEX_MULTI_AUTH_TESTBED_PROBE: "must-not-leak",
        CODEX_AUTH_TESTBED_PROBE: "must-not-leak",
      },
    });
    started = [];
  });
  afterEach(async () => {
    t?.kill();
    t = null;
    killTracked(started);
    await server.close();
    h.cleanup();
  });

  it("a TUI turn through the shim; the terminal is intact and nothing is left afterwards", async () => {
    t = startShell({ env: h.env, cwd: h.workDir, cols: 120, rows: 40 });
    const shellPid = t.panePid();
    await t.waitFor(PROMPT_LINE, 10_000);
    // `codex` is the shim.
    await shellRun(t, "type -P codex", new RegExp(`${SHIM_DIR.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/codex`));

    t.sendText("codex --no-daemon");
    t.sendKeys("Enter");
    // Found by its executable, not its name: while the shim starts, `env` runs with the script's name
    // ("codex") for a moment before it execs node, so a name match can catch the shim itself.
    const nativeExe = fs.realpathSync(REAL_CODEX_NATIVE);
    const exeOf = (pid: number) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/exe`);
      } catch {
        return null;
      }
    };
    const codexPid = await pollUntil(
      () => descendantsOf(shellPid).find((p) => exeOf(p.pid) === nativeExe)?.pid,
      15_000,
      "the native codex under the shim",
    );
    const tree = descendantsOf(shellPid);
    started.push(...tree);
    // The shim execs the native binary directly (not the npm launcher, no wrapper): shell → codex.
    expect(tree[0]!.pid).toBe(codexPid);
    expect(exeOf(codexPid)).toBe(nativeExe);
    expect(commOf(codexPid)).toBe("codex");
    // The child's stdin is the pane's terminal (a TTY stays a TTY).
    expect(fs.readlinkSync(`/proc/${codexPid}/fd/0`)).toMatch(/^\/dev\/pts\/\d+$/);
    const env = readEnviron(codexPid)!;
    expect(env.get("CODEX_HOME")).toBe(h.home);
    expect(env.has("CODEX_MULTI_AUTH_TESTBED_PROBE")).toBe(false);
    expect(env.has("CODEX_AUTH_TESTBED_PROBE")).toBe(false);
    expect(env.has("CODEX_SUPERVISOR_JOB")).toBe(false);

    await t.waitFor(CODEX_COMPOSER_READY, 20_000);
    server.setResponder((req) => ({ text: req.kind === "title" ? '{"title":"shim"}' : `SHIM-REPLY-${req.countForKey}` }));
    await submitCodexPrompt(t, "hello through the shim");
    await t.waitFor(/SHIM-REPLY-1/, 20_000);
    const [turn] = await server.waitForRequests(1, 5000);
    expect(turn!.prompt).toBe("hello through the shim");
    expect(turn!.bearerKey).toBe("sk-shim-a");
    const file = await pollUntil(() => {
      const f = listRollouts(h.home)[0];
      return f && rolloutEvents(readRollout(f), "task_complete").length === 1 ? f : undefined;
    }, 10_000, "the turn's task_complete");
    expect(turn!.sessionId).toBe(rolloutSessionId(readRollout(file)));
    expect(openFilesOf(codexPid)).toContain(file);
    started.push(...descendantsOf(shellPid));

    await quitCodexTui(t, shellIsBack);
    // The shim mirrors codex's exit status (0 after a Ctrl+C quit).
    const st = await shellRun(t, "echo EXIT=$((1000+$?))", /EXIT=\d{4}/);
    expect(st).toMatch(/EXIT=1000/);
    await expectNoLeftovers(started);
    await expectNoLeftovers(findProcessesByEnv("CODEX_HOME", h.home).filter((p) => p.pid !== shellPid && p.pid !== t!.serverPid()));

    const modes = await sttyModes(t);
    for (const m of ["icanon", "echo", "isig", "icrnl", "opost"]) expect(modes, `stty ${m}`).toContain(m);
    const pane = t.paneState();
    expect(pane.alternateScreen).toBe(false);
    expect(pane.cursorVisible).toBe(true);
    expect(pane.mouseAny).toBe(false);
    // Typed characters echo: the shell shows what we type.
    await shellRun(t, "echo typed-$((2+3))", /typed-5/);
  });
});
