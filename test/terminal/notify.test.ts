// Desktop notifications (lib/terminal/notify.ts): the detection rule and the bytes as a table, then
// the bytes read back from a real pty (util-linux `script`), and through a real tmux's passthrough to
// the terminal tmux itself runs in.
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectNotificationProtocol, notificationBytes, notificationText, notify } from "../../lib/terminal/notify.js";
import { cleanEnv } from "../helpers/env.js";
import { findProcessesByEnv } from "../helpers/processes.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(here, "notify-driver.mjs");
const ESC = "\x1b";
const BEL = "\x07";
const MARK_KEY = "CODEX_SUPERVISOR_NOTIFY_TEST";
const MARK = randomUUID();
let work: string;

beforeAll(() => {
  const built = path.resolve(here, "../../dist/terminal/notify.js");
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` (npm test builds first)`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-notify-"));
});
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  // Every process this file started (script, tmux server and client, the driver) carried the mark.
  expect(findProcessesByEnv(MARK_KEY, MARK)).toEqual([]);
});

describe("which sequence (pure)", () => {
  it("detects the terminals known to show a notification, from their variables", () => {
    const table: [NodeJS.ProcessEnv, string | null][] = [
      [{ TERM_PROGRAM: "iTerm.app" }, "osc9"],
      [{ LC_TERMINAL: "iTerm2", TERM: "xterm-256color" }, "osc9"],
      [{ TERM_PROGRAM: "WezTerm" }, "osc9"],
      [{ TERM: "xterm-ghostty" }, "osc9"],
      [{ TERM: "xterm-kitty" }, "osc9"],
      [{ TERM_PROGRAM: "tmux", KITTY_WINDOW_ID: "3", TMUX: "/tmp/x,1,0" }, "osc9"],
      [{ TERM: "foot" }, "osc777"],
      [{ TERM: "xterm-256color", VTE_VERSION: "7600" }, "osc777"],
      [{ WT_SESSION: "abc", TERM_PROGRAM: "WezTerm" }, null],
      [{ TERM_PROGRAM: "Apple_Terminal", TERM: "xterm-256color" }, null],
      [{ TERM: "xterm-256color" }, null],
      [{}, null],
    ];
    for (const [env, want] of table) expect(detectNotificationProtocol(env), JSON.stringify(env)).toBe(want);
  });

  it("bytes per mode: the sequence plus the bell; the bell alone; nothing", () => {
    const iterm = { TERM_PROGRAM: "iTerm.app" };
    expect(notificationBytes("switched to work", "auto", iterm)).toBe(`${ESC}]9;codex-supervisor: switched to work${BEL}${BEL}`);
    expect(notificationBytes("x", "auto", { TERM: "xterm" })).toBe(BEL);
    expect(notificationBytes("x", "osc777", { TERM: "xterm" })).toBe(`${ESC}]777;notify;codex-supervisor;x${BEL}${BEL}`);
    expect(notificationBytes("x", "osc9", {})).toBe(`${ESC}]9;codex-supervisor: x${BEL}${BEL}`);
    expect(notificationBytes("x", "bell", iterm)).toBe(BEL);
    expect(notificationBytes("x", "off", iterm)).toBe("");
  });

  it("inside tmux or screen the sequence is wrapped for passthrough (ESC doubled for tmux); the bell is not", () => {
    const seq = `${ESC}]9;codex-supervisor: x${BEL}`;
    expect(notificationBytes("x", "auto", { TERM_PROGRAM: "tmux", TMUX: "/tmp/t,1,0", ITERM_SESSION_ID: "w0" })).toBe(`${ESC}Ptmux;${ESC}${ESC}]9;codex-supervisor: x${BEL}${ESC}\\${BEL}`);
    expect(notificationBytes("x", "osc9", { STY: "123.pts-0" })).toBe(`${ESC}P${seq}${ESC}\\${BEL}`);
  });

  it("the text is one plain line: control characters cannot end the sequence early", () => {
    expect(notificationText(`a\u0007b\u001b]0;title\u0007\nc\td`)).toBe("a b ]0;title c d");
    expect(Array.from(notificationText("é".repeat(500)))).toHaveLength(240);
    expect(notificationBytes(`evil${BEL}${ESC}[2J`, "osc9", {})).toBe(`${ESC}]9;codex-supervisor: evil [2J${BEL}${BEL}`);
  });

  it("writes nothing to a stream that is not a terminal, and never throws", () => {
    const chunks: string[] = [];
    expect(notify({ write: (c) => chunks.push(c) }, "x", { notify: "osc9" }, {})).toBe("");
    expect(chunks).toEqual([]);
    expect(notify({ write: (c) => chunks.push(c), isTTY: true }, "x", { notify: "bell" }, {})).toBe(BEL);
    expect(notify({ write: () => { throw new Error("EIO"); }, isTTY: true }, "x", { notify: "osc9" }, {})).toBe("");
  });
});

/** A clean environment for the pty programs: nothing of the developer's terminal leaks in. */
function ptyEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return cleanEnv({ HOME: work, TERM: "xterm-256color", [MARK_KEY]: MARK, ...extra });
}

/** Run the driver under `script`: its stdout and stderr are a real pty; what the pty received. */
function underScript(env: NodeJS.ProcessEnv, command = `${JSON.stringify(process.execPath)} ${JSON.stringify(DRIVER)}`): string {
  const r = spawnSync("script", ["-q", "-e", "-c", command, "/dev/null"], { env: ptyEnv(env), stdio: ["ignore", "pipe", "pipe"], encoding: "latin1", timeout: 30_000, killSignal: "SIGKILL" });
  if (r.error || r.status !== 0) throw new Error(`script failed (${r.status ?? r.signal} ${r.error?.message ?? ""}): ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const reported = (out: string) => JSON.parse(/NOTIFY-DRIVER-DONE (.*)\r?\n/.exec(out)![1]!) as string;

describe("on a real pty", () => {
  it("iTerm2: the OSC 9 sequence and the bell arrive byte for byte", () => {
    const out = underScript({ TERM_PROGRAM: "iTerm.app", NOTIFY_MODE: "auto", NOTIFY_TEXT: "rotated to work (personal at its 5h limit)" });
    const want = `${ESC}]9;codex-supervisor: rotated to work (personal at its 5h limit)${BEL}${BEL}`;
    expect(out.startsWith(want), JSON.stringify(out)).toBe(true);
    expect(reported(out)).toBe(want);
  });

  it("foot: OSC 777; a plain terminal: the bell only; off: nothing", () => {
    const foot = underScript({ TERM: "foot", NOTIFY_TEXT: "waiting for a reset" });
    expect(foot.startsWith(`${ESC}]777;notify;codex-supervisor;waiting for a reset${BEL}${BEL}`), JSON.stringify(foot)).toBe(true);
    const plain = underScript({ NOTIFY_TEXT: "x" });
    expect(plain.startsWith(`${BEL}\r\nNOTIFY-DRIVER-DONE`), JSON.stringify(plain)).toBe(true);
    const off = underScript({ TERM_PROGRAM: "iTerm.app", NOTIFY_MODE: "off", NOTIFY_TEXT: "x" });
    expect(off).not.toContain(ESC);
    expect(off).not.toContain(BEL);
  });

  it("not a terminal (a background job's output file): nothing is written", () => {
    const r = spawnSync(process.execPath, [DRIVER], { env: ptyEnv({ TERM_PROGRAM: "iTerm.app", NOTIFY_TEXT: "x" }), encoding: "latin1" });
    expect(r.stderr).toBe("");
    expect(reported(r.stdout)).toBe("");
  });

  /** tmux (private server, attached to script's pty) runs the driver in its pane. */
  function throughTmux(passthrough: boolean): string {
    const socket = `cxs-notify-${process.pid}-${randomBytes(3).toString("hex")}`;
    const conf = path.join(work, `${socket}.conf`);
    fs.writeFileSync(conf, [`set -g allow-passthrough ${passthrough ? "on" : "off"}`, "set -g status off", "set -g escape-time 0", "set -g remain-on-exit off"].join("\n") + "\n");
    const pane = `${process.execPath} ${DRIVER}`;
    try {
      // The pane inherits the client's environment as the server's: ITERM_SESSION_ID says iTerm2 is outside.
      return underScript({ ITERM_SESSION_ID: "w0t0p0", NOTIFY_TEXT: "no account left" }, `tmux -L ${socket} -f ${conf} new-session -x 100 -y 20 ${JSON.stringify(pane)}`);
    } finally {
      spawnSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
    }
  }

  it("inside tmux: the pane writes the DCS-wrapped sequence and tmux passes OSC 9 to the terminal outside", () => {
    const out = throughTmux(true);
    expect(out).toContain(`${ESC}]9;codex-supervisor: no account left${BEL}`);
    // The driver really wrote the wrapped form (what tmux unwrapped above).
    expect(out).toContain(`NOTIFY-DRIVER-DONE ${JSON.stringify(`${ESC}Ptmux;${ESC}${ESC}]9;codex-supervisor: no account left${BEL}${ESC}\\${BEL}`)}`);
  });

  it("tmux with passthrough off drops it (so the check above can fail)", () => {
    expect(throughTmux(false)).not.toContain(`${ESC}]9;codex-supervisor`);
  });
});
