// Drive a real terminal program in tmux for tests. Every session gets its own tmux server on a private
// socket (`tmux -L <unique>`), started with an empty config of ours, so tests never touch the
// developer's tmux or each other; kill() ends only that server.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pollUntil } from "./poll.js";

export interface TmuxStartOptions {
  /** argv of the program to run in the pane (tmux execs it directly, no shell). */
  command: string[];
  /** The whole environment of the pane's program (tmux adds TERM, TMUX, TMUX_PANE). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  cols?: number;
  rows?: number;
  /** Keep the pane after the program exits so its exit status can be read (default true). */
  remainOnExit?: boolean;
}

export interface PaneState {
  dead: boolean;
  /** Exit status when dead and exited normally. */
  deadStatus: number | null;
  /** Signal number when dead by signal. */
  deadSignal: number | null;
  /** Terminal modes tmux tracks for the pane (what a program left behind). */
  alternateScreen: boolean;
  cursorVisible: boolean;
  keypadCursor: boolean;
  mouseAny: boolean;
}

let counter = 0;

export class TmuxSession {
  private killed = false;
  private constructor(
    readonly socket: string,
    readonly target: string,
    private readonly confDir: string,
  ) {}

  /** Start a private tmux server with one detached session running `command`. */
  static start(o: TmuxStartOptions): TmuxSession {
    const socket = `cxs-test-${process.pid}-${++counter}-${randomBytes(3).toString("hex")}`;
    const confDir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-tmux-"));
    const conf = path.join(confDir, "tmux.conf");
    // remain-on-exit must be set before the program can exit, hence in the config the server reads.
    fs.writeFileSync(
      conf,
      [
        `set -g default-terminal "tmux-256color"`,
        `set -g remain-on-exit ${o.remainOnExit === false ? "off" : "on"}`,
        `set -g history-limit 5000`,
        `set -g status off`,
        `set -g escape-time 0`,
      ].join("\n") + "\n",
    );
    const s = new TmuxSession(socket, "main", confDir);
    const r = spawnSync(
      "tmux",
      [
        "-L", socket, "-f", conf,
        "new-session", "-d", "-s", "main",
        "-x", String(o.cols ?? 120), "-y", String(o.rows ?? 40),
        "-c", o.cwd,
        "--", ...o.command,
      ],
      // The server inherits this environment, and the pane's program gets it.
      { env: { ...o.env }, encoding: "utf8" },
    );
    if (r.status !== 0) {
      s.kill();
      throw new Error(`tmux new-session failed (${r.status}): ${r.stderr}`);
    }
    return s;
  }

  /** Run a tmux command against this server; throws with tmux's stderr on failure. */
  tmux(args: string[]): string {
    const r = spawnSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Send key names as tmux understands them: "Enter", "Escape", "C-c", "Up"... */
  sendKeys(...keys: string[]): void {
    this.tmux(["send-keys", "-t", this.target, ...keys]);
  }

  /** Type literal text (no key-name interpretation). */
  sendText(text: string): void {
    this.tmux(["send-keys", "-t", this.target, "-l", text]);
  }

  /** The visible screen as plain text. */
  capture(): string {
    return this.tmux(["capture-pane", "-p", "-J", "-t", this.target]);
  }

  /** The screen for a failure message: what tmux said instead when the server is gone. */
  private captureOrWhy(): string {
    try {
      return this.capture();
    } catch (e) {
      return `(no screen: ${(e as Error).message})`;
    }
  }

  /** Screen plus scroll-back (up to `lines` back). */
  captureHistory(lines = 2000): string {
    return this.tmux(["capture-pane", "-p", "-J", "-S", `-${lines}`, "-t", this.target]);
  }

  private fmt(format: string): string {
    return this.tmux(["display-message", "-p", "-t", this.target, format]).trim();
  }

  /** PID of the pane's program (tmux execs the command, so this is it). */
  panePid(): number {
    return Number(this.fmt("#{pane_pid}"));
  }

  /** PID of this session's tmux server (it carries the environment the session was started with). */
  serverPid(): number {
    return Number(this.fmt("#{pid}"));
  }

  paneState(): PaneState {
    const f = this.fmt("#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}|#{alternate_on}|#{cursor_flag}|#{keypad_cursor_flag}|#{mouse_any_flag}").split("|");
    const num = (s: string | undefined) => (s === undefined || s === "" ? null : Number(s));
    return {
      dead: f[0] === "1",
      deadStatus: num(f[1]),
      deadSignal: num(f[2]),
      alternateScreen: f[3] === "1",
      cursorVisible: f[4] === "1",
      keypadCursor: f[5] === "1",
      mouseAny: f[6] === "1",
    };
  }

  /** Poll the screen until `match` holds; returns that screen. Throws with the last screen on timeout. */
  async waitFor(match: RegExp | ((screen: string) => boolean), timeoutMs: number, opts: { history?: boolean } = {}): Promise<string> {
    const test = typeof match === "function" ? match : (s: string) => match.test(s);
    let screen = "";
    return pollUntil(
      () => {
        screen = opts.history ? this.captureHistory() : this.capture();
        return test(screen) ? screen : undefined;
      },
      timeoutMs,
      () => `the tmux screen to match ${String(match)}; screen:\n${screen}`,
      100,
    );
  }

  /** Wait until the pane's program has exited (needs remainOnExit). */
  async waitForExit(timeoutMs: number): Promise<PaneState> {
    return pollUntil(
      () => {
        const st = this.paneState();
        return st.dead ? st : undefined;
      },
      timeoutMs,
      () => `the tmux pane's program to exit; screen:\n${this.captureOrWhy()}`,
      100,
    );
  }

  /** Kill this session's private tmux server (and with it the pane's process group). Idempotent. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    spawnSync("tmux", ["-L", this.socket, "kill-server"], { encoding: "utf8" });
    fs.rmSync(this.confDir, { recursive: true, force: true });
  }
}

/** A shell in tmux, for checking the terminal after a program exits (`stty -a`, prompt echo). */
export function startShell(o: Omit<TmuxStartOptions, "command"> & { prompt?: string }): TmuxSession {
  const env = { ...o.env, PS1: o.prompt ?? "READY$ ", HISTFILE: "/dev/null" };
  return TmuxSession.start({ ...o, env, command: ["bash", "--norc", "--noprofile", "-i"] });
}

// ---- driving the codex TUI ----

/** The empty composer's placeholder: the TUI is ready for a prompt. */
export const CODEX_COMPOSER_READY = /Ask Codex to do anything|›\s*$/m;

/**
 * Type a prompt into the codex TUI and submit it. The TUI treats keys that arrive in a fast burst as
 * a paste, and an Enter inside that burst becomes a newline; so wait until the text is on screen and
 * the burst window (a time-based heuristic of codex's, tens of ms) has passed before pressing Enter.
 */
export async function submitCodexPrompt(t: TmuxSession, text: string, timeoutMs = 10_000): Promise<void> {
  t.sendText(text);
  await t.waitFor((s) => s.includes(text), timeoutMs);
  await new Promise((r) => setTimeout(r, 400));
  t.sendKeys("Enter");
}

/**
 * Quit the codex TUI the way a user does: Ctrl+C on an empty composer. Codex quits at once after a
 * turn, or first shows a "press Ctrl+C again" hint (then we press again); a Ctrl+C that lands while
 * codex is still busy only interrupts, so without either outcome we press again after `repeatMs`.
 * `exited(screen)` tells when codex is gone (e.g. the shell prompt is back).
 */
export async function quitCodexTui(
  t: TmuxSession,
  exited: (screen: string) => boolean,
  timeoutMs = 10_000,
  repeatMs = 1500,
): Promise<string> {
  t.sendKeys("C-c");
  let lastPress = Date.now();
  let hintAnswered = false;
  return t.waitFor((screen) => {
    if (exited(screen)) return true;
    const hint = /ctrl \+ c again|again to (quit|exit)/i.test(screen);
    if ((hint && !hintAnswered) || Date.now() - lastPress >= repeatMs) {
      hintAnswered = hint;
      lastPress = Date.now();
      t.sendKeys("C-c");
    }
    return false;
  }, timeoutMs);
}

// ---- a shell in the pane ----

/** Type a command line into the pane's shell and return the screen once `done` matches. */
export async function shellRun(t: TmuxSession, line: string, done: RegExp, timeoutMs = 10_000): Promise<string> {
  t.sendText(line);
  t.sendKeys("Enter");
  return t.waitFor(done, timeoutMs);
}

/**
 * The tty modes of the pane as the shell sees them (`stty -a`), as a set of words such as "icanon",
 * "-echo", "isig". Clears the screen first so earlier output cannot be mistaken for the answer.
 */
export async function sttyModes(t: TmuxSession, promptRe = /READY\$/): Promise<Set<string>> {
  t.sendKeys("C-l");
  // The marker is computed by the shell, so the echoed command line does not contain it.
  const screen = await shellRun(t, "stty -a; echo STTY-$((6*7))-END", new RegExp(`STTY-42-END\\s*\\n[\\s\\S]*${promptRe.source}`));
  const body = screen.slice(screen.indexOf("STTY-$((6*7))-END") + "STTY-$((6*7))-END".length, screen.indexOf("STTY-42-END"));
  return new Set(body.split(/[\s;]+/).filter((w) => /^-?[a-z0-9]+$/.test(w)));
}
