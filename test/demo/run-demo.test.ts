// `codex-supervisor demo` end to end in tmux (compiled dist/, real codex): the intro, three turns on
// demo-a with its quota climbing, the supervisor's switch to demo-b, a fourth turn answered by demo-b
// in the same session, the closing summary, the demo's directory gone and no process left behind.
// The demo's homes live in the cache dir (XDG_CACHE_HOME, here a test-owned directory outside the temp
// dir, which is where codex would refuse to create its helper binaries and say so on screen).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI_BIN } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";
import { pollUntil } from "../helpers/poll.js";
import { expectNoLeftovers, findProcessesByEnv } from "../helpers/processes.js";
import { CODEX_COMPOSER_READY, quitCodexTui, shellRun, startShell, sttyModes, submitCodexPrompt, type TmuxSession } from "../helpers/tmux.js";


/** Every event of every job log in a supervisor home (JSON lines). */
function readJobLogs(home: string): Array<Record<string, unknown> & { type?: string; argv?: unknown }> {
  const dir = path.join(home, "jobs");
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith(".log"));
  } catch {
    return [];
  }
  return files.flatMap((f) =>
    fs
      .readFileSync(path.join(dir, f), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return []; // a line being written
        }
      }),
  );
}

describe("codex-supervisor demo", () => {
  let t: TmuxSession | null = null;
  let root: string | null = null;
  let cache: string | null = null;
  beforeAll(() => {
    if (!fs.existsSync(path.join(REPO_ROOT, "dist", "demo", "run-demo.js"))) throw new Error("build first: dist/demo/run-demo.js is missing");
  });
  afterEach(async () => {
    t?.kill();
    t = null;
    if (root) {
      await expectNoLeftovers({ envKey: "CODEX_HOME", envValue: path.join(root, "codex-home") }).finally(() => {
        fs.rmSync(root!, { recursive: true, force: true });
      });
    }
    root = null;
    if (cache) fs.rmSync(cache, { recursive: true, force: true });
    cache = null;
  });

  it("Ctrl+C at the intro leaves without starting codex, and cleans up", async () => {
    cache = fs.realpathSync(fs.mkdtempSync(path.join(os.homedir(), ".cxs-demo-test-cache-")));
    t = startShell({ env: cleanEnv({ XDG_CACHE_HOME: cache }), cwd: REPO_ROOT, cols: 140, rows: 50 });
    await t.waitFor(/READY\$ $/m, 10_000);
    await shellRun(t, `node ${CLI_BIN} demo; echo RC=$((100+$?))`, /Press Enter to start codex/, 30_000);
    const intro = t.captureHistory();
    const demoRoot = /(\S*\/codex-supervisor\/demo-\w+)/.exec(intro)![1]!;
    t.sendKeys("C-c");
    await t.waitFor(/RC=100/, 20_000, { history: true });
    expect(t.captureHistory()).toMatch(/codex-supervisor demo: not started\./);
    expect(fs.existsSync(demoRoot)).toBe(false);
  });

  it("--help and a bad flag", async () => {
    t = startShell({ env: cleanEnv(), cwd: REPO_ROOT });
    await t.waitFor(/READY\$ $/m, 10_000);
    await shellRun(t, `node ${CLI_BIN} demo --help; echo RC=$((100+$?))`, /RC=\d+/);
    expect(t.capture()).toMatch(/Usage: codex-supervisor demo \[--keep\][\s\S]*RC=100/);
    t.sendKeys("C-l");
    await shellRun(t, `node ${CLI_BIN} demo --bogus; echo RC=$((100+$?))`, /RC=\d+/);
    expect(t.capture()).toMatch(/demo: unknown option '--bogus' \(see demo --help\)[\s\S]*RC=102/);
  });

  it("shows a rotation demo-a → demo-b and a resume in the same session, then cleans up", async () => {
    // Not under os.tmpdir() on purpose (see the top); removed in afterEach.
    cache = fs.realpathSync(fs.mkdtempSync(path.join(os.homedir(), ".cxs-demo-test-cache-")));
    t = startShell({ env: cleanEnv({ XDG_CACHE_HOME: cache }), cwd: REPO_ROOT, cols: 140, rows: 50 });
    await t.waitFor(/READY\$ $/m, 10_000);
    t.sendText(`node ${CLI_BIN} demo`);
    t.sendKeys("Enter");
    const intro = await t.waitFor(/\(removed on exit\)/, 20_000, { history: true });
    root = /(\S*\/codex-supervisor\/demo-\w+)/.exec(intro)![1]!;
    expect(path.dirname(root)).toBe(path.join(cache, "codex-supervisor"));
    expect(fs.existsSync(path.join(root, "codex-home", "config.toml"))).toBe(true);
    // The intro stays until Enter: codex is not started before.
    await t.waitFor(/Press Enter to start codex/, 20_000, { history: true });
    expect(findProcessesByEnv("CODEX_HOME", path.join(root, "codex-home"))).toEqual([]);
    t.sendKeys("Enter");
    await t.waitFor(CODEX_COMPOSER_READY, 30_000);

    const seen: string[] = [];
    for (let i = 1; i <= 3; i++) {
      await submitCodexPrompt(t, `demo prompt ${i}`);
      const screen = await t.waitFor(new RegExp(`\\[demo-a, turn ${i}\\]`), 30_000, { history: true });
      seen.push(screen);
      await t.waitFor(CODEX_COMPOSER_READY, 30_000);
    }
    expect(seen[2]).toMatch(/used 96 % of its 5-hour quota/);
    // The resumed TUI redraws the conversation, so the screen alone cannot tell before from after the
    // switch: wait for the supervisor's own record of it (the demo's supervisor home lives in root).
    const resumed = await pollUntil(() => {
      const log = readJobLogs(path.join(root!, "supervisor"));
      const rotate = log.find((e) => e.type === "rotate");
      const spawn = log.filter((e) => e.type === "spawn").at(-1);
      return rotate && spawn && Array.isArray(spawn.argv) && spawn.argv.includes("resume") ? { rotate, spawn } : undefined;
    }, 40_000, "the supervisor's rotate + resume spawn events");
    expect(resumed.rotate).toMatchObject({ from: "demo-a", to: "demo-b" });
    expect(resumed.spawn.argv).toContain(resumed.rotate.sessionId);
    await t.waitFor(CODEX_COMPOSER_READY, 30_000);
    await submitCodexPrompt(t, "demo prompt 4");
    await t.waitFor(/\[demo-b, turn 1\]/, 40_000, { history: true });

    await quitCodexTui(t, (s) => /what happened/.test(s), 30_000);
    const summary = await t.waitFor(/READY\$ $/m, 30_000, { history: true });
    expect(summary).toMatch(/turn 1: demo-a \(5-hour quota now 60 % used\)/);
    expect(summary).toMatch(/turn 4: demo-b/);
    expect(summary).toMatch(/The session moved demo-a → demo-b, and stayed one conversation/);
    // The ending names only what still exists: the session codex offers to resume is gone with the home.
    expect(summary).toMatch(/The demo's throw-away home is removed now — its accounts, records, event log and the session codex offered to resume, which is gone with it/);
    // codex's complaint about a CODEX_HOME in the temp dir never reached the screen (at start or at
    // the resume), nor did any other warning of its about helper binaries.
    const screens = [intro, ...seen, summary, t.captureHistory()].join("\n");
    expect(screens).not.toMatch(/Refusing to create helper binaries/);
    expect(screens).not.toMatch(/could not create PATH aliases/);
    expect(fs.existsSync(root)).toBe(false);
    expect(findProcessesByEnv("CODEX_HOME", path.join(root, "codex-home"))).toEqual([]);
    // The terminal is usable afterwards.
    const modes = await sttyModes(t);
    for (const m of ["icanon", "echo", "isig"]) expect(modes, `stty ${m}`).toContain(m);
    expect(t.paneState()).toMatchObject({ alternateScreen: false, cursorVisible: true });
  }, 240_000);
});
