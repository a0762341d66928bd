// Put the user's terminal back after a child TUI ended by any cause. Codex killed by a signal leaves
// raw mode, the alternate screen, a hidden cursor, kitty keyboard flags, bracketed paste and focus
// reporting on (measured: codex installs no handler for them); our notices and the next codex would start in that mess.
//
// We save `stty -g` of the controlling terminal before the child starts. Afterwards:
//  * the child left the tty modes as we saved them → it cleaned up after itself: we only make sure the
//    cursor is visible. Re-sending "leave alternate screen" here would be harmful: ESC[?1049l also
//    restores the cursor saved at the child's start (xterm and tmux do this even outside the alternate
//    screen), so the shell would overwrite the child's last output.
//  * otherwise (it died mid-session) → `stty <saved>` and the full reset sequence below.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

interface SavedTerminal {
  /** The `stty -g` string. */
  stty: string;
  /** The terminal device we read it from (normally /dev/tty). */
  ttyPath: string;
}

/**
 * Undo what a full-screen TUI may have left on. Order matters little; each is harmless when the mode
 * is already off. Kitty keyboard: one pop (ESC[<u) matches codex's single push; popping more than was
 * pushed empties the stack, which resets all flags — fine for us, but it would also drop flags an outer
 * program pushed, so we pop exactly once.
 */
export const TERMINAL_RESET_SEQUENCE =
  "\x1b[?1049l" + // leave the alternate screen (restores the cursor saved on entry)
  "\x1b[0m" + // default colours/attributes
  "\x1b[?25h" + // show the cursor
  "\x1b[<u" + // pop kitty keyboard enhancement flags
  "\x1b[?2004l" + // bracketed paste off
  "\x1b[?1004l" + // focus reporting off
  "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l"; // mouse reporting off (normal, button, any, SGR)

const SHOW_CURSOR = "\x1b[?25h";

function openTty(ttyPath: string): number | null {
  try {
    return fs.openSync(ttyPath, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  } catch {
    return null; // no controlling terminal (daemon, CI, setsid'd)
  }
}

function runStty(fd: number, args: string[]): { ok: boolean; out: string; err: string } {
  // stty acts on its stdin: give it the terminal itself, whatever our own stdin is.
  const r = spawnSync("stty", args, { stdio: [fd, "pipe", "pipe"], encoding: "utf8" });
  return { ok: r.status === 0, out: (r.stdout ?? "").trim(), err: (r.stderr ?? "").trim() };
}

interface SaveTerminalOptions {
  /** Default /dev/tty (the controlling terminal). */
  ttyPath?: string;
  /** Whether we are attached to a terminal at all (default: stdin, stdout or stderr is a TTY). */
  isInteractive?: boolean;
}

/** Save the controlling terminal's modes; null when there is none (then restoreTerminal is a no-op). */
export function saveTerminal(opts: SaveTerminalOptions = {}): SavedTerminal | null {
  const interactive = opts.isInteractive ?? (process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY);
  if (!interactive) return null;
  const ttyPath = opts.ttyPath ?? "/dev/tty";
  const fd = openTty(ttyPath);
  if (fd === null) return null;
  try {
    const r = runStty(fd, ["-g"]);
    return r.ok && r.out.length > 0 ? { stty: r.out, ttyPath } : null;
  } finally {
    fs.closeSync(fd);
  }
}

interface RestoreResult {
  /** The child had left the terminal modes changed, so the full reset was sent. */
  wasDirty: boolean;
  /** `stty <saved>` failed (message), or null. */
  sttyError: string | null;
}

/**
 * Restore the terminal saved by saveTerminal. `force: true` sends the full reset even when the tty
 * modes look untouched. Never throws: a terminal that went away is not an error worth dying for.
 */
export function restoreTerminal(saved: SavedTerminal | null, opts: { force?: boolean } = {}): RestoreResult {
  const result: RestoreResult = { wasDirty: false, sttyError: null };
  if (!saved) return result;
  const fd = openTty(saved.ttyPath);
  if (fd === null) return result;
  try {
    const now = runStty(fd, ["-g"]);
    result.wasDirty = opts.force === true || !now.ok || now.out !== saved.stty;
    if (!result.wasDirty) {
      fs.writeSync(fd, SHOW_CURSOR);
      return result;
    }
    const r = runStty(fd, saved.stty.split(/\s+/));
    if (!r.ok) result.sttyError = r.err || "stty failed";
    fs.writeSync(fd, TERMINAL_RESET_SEQUENCE);
  } catch (err) {
    result.sttyError ??= (err as Error).message;
  } finally {
    fs.closeSync(fd);
  }
  return result;
}
