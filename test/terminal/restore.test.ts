// Terminal restore in a real terminal (private tmux server): a child puts the pane in raw mode +
// alternate screen + hidden cursor (+ kitty/paste/focus/mouse modes) and is SIGKILLed; restoreTerminal
// must bring back a cooked terminal and the normal screen. Driven by restore-driver.mjs in the pane.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { restoreTerminal, saveTerminal, TERMINAL_RESET_SEQUENCE } from "../../lib/terminal/restore.js";
import { cleanEnv } from "../helpers/env.js";
import { pollUntil } from "../helpers/poll.js";
import { TmuxSession } from "../helpers/tmux.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const driver = path.join(here, "restore-driver.mjs");
let session: TmuxSession | null = null;
let work: string;

beforeAll(() => {
  const built = path.resolve(here, "../../dist/terminal/restore.js");
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run \`npx tsc -p .\` (npm test builds first)`);
});

afterEach(() => {
  session?.kill();
  session = null;
  fs.rmSync(work, { recursive: true, force: true });
});

async function waitFile(name: string, ms = 15_000): Promise<void> {
  const err = path.join(work, "error");
  await pollUntil(
    () => {
      if (fs.existsSync(err)) throw new Error(`driver: ${fs.readFileSync(err, "utf8")}`);
      return fs.existsSync(path.join(work, name));
    },
    ms,
    () => `${name}; screen:\n${session?.capture()}`,
    20,
  );
}

const read = (name: string) => fs.readFileSync(path.join(work, name), "utf8");
/** stty -a prints "-icanon" when off and "icanon" when on. */
const hasFlag = (stty: string, flag: string) => new RegExp(`(^|\\s)${flag}(\\s|$)`).test(stty);

function startDriver(mode: "mess" | "clean"): TmuxSession {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "term-restore-"));
  session = TmuxSession.start({
    command: [process.execPath, driver, work, mode],
    env: cleanEnv(),
    cwd: work,
  });
  return session;
}

describe("restoreTerminal in tmux", () => {
  it("after a TUI-like child is SIGKILLed in raw mode + alternate screen: cooked terminal, normal screen, cursor shown", async () => {
    const t = startDriver("mess");
    await waitFile("killed");
    // The mess really is there: raw, no echo, alternate screen, hidden cursor, mouse reporting.
    const before = read("before.txt");
    expect(hasFlag(before, "-icanon")).toBe(true);
    expect(hasFlag(before, "-echo")).toBe(true);
    const messed = t.paneState();
    expect(messed.alternateScreen).toBe(true);
    expect(messed.cursorVisible).toBe(false);
    expect(messed.mouseAny).toBe(true);

    fs.writeFileSync(path.join(work, "go"), "");
    await waitFile("done");
    expect(JSON.parse(read("result.json"))).toEqual({ wasDirty: true, sttyError: null });
    const after = read("after.txt");
    expect(hasFlag(after, "icanon")).toBe(true);
    expect(hasFlag(after, "echo")).toBe(true);
    expect(hasFlag(after, "isig")).toBe(true);
    const saved = JSON.parse(read("saved.json")) as { stty: string };
    expect(saved.stty).toMatch(/^[0-9a-f:]+$/);
    const st = t.paneState();
    expect(st.alternateScreen).toBe(false);
    expect(st.cursorVisible).toBe(true);
    expect(st.mouseAny).toBe(false);
    fs.writeFileSync(path.join(work, "exit"), "");
  });

  it("a child that left the terminal as it found it: no full reset (no second leave-alternate-screen)", async () => {
    startDriver("clean");
    await waitFile("killed");
    fs.writeFileSync(path.join(work, "go"), "");
    await waitFile("done");
    expect(JSON.parse(read("result.json"))).toEqual({ wasDirty: false, sttyError: null });
    expect(hasFlag(read("after.txt"), "icanon")).toBe(true);
    fs.writeFileSync(path.join(work, "exit"), "");
  });
});

describe("without a terminal", () => {
  it("saveTerminal returns null and restoreTerminal(null) is a no-op", () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "term-restore-"));
    expect(saveTerminal({ isInteractive: false })).toBeNull();
    expect(saveTerminal({ isInteractive: true, ttyPath: path.join(work, "no-such-tty") })).toBeNull();
    expect(restoreTerminal(null)).toEqual({ wasDirty: false, sttyError: null });
    expect(restoreTerminal({ stty: "x", ttyPath: path.join(work, "no-such-tty") })).toEqual({ wasDirty: false, sttyError: null });
  });

  it("the reset sequence covers every mode codex can leave on", () => {
    for (const seq of ["\x1b[?1049l", "\x1b[?25h", "\x1b[<u", "\x1b[?2004l", "\x1b[?1004l", "\x1b[?1000l", "\x1b[?1002l", "\x1b[?1003l", "\x1b[?1006l"]) {
      expect(TERMINAL_RESET_SEQUENCE).toContain(seq);
    }
  });
});
