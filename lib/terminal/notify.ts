// A notice that matters (rotation, waiting for a reset, no account left) as a desktop notification
// and the bell, because codex redraws the screen over any text of ours within a second. Pure bytes
// (`notificationBytes`) and one write to a given stream (`notify`); the config field `notify`
// (CODEX_AUTH_NOTIFY) chooses:
//   auto    the desktop notification the terminal is known to show, plus the bell (default)
//   osc9 | osc777   that sequence whatever the terminal, plus the bell
//   bell    only the bell;   off   nothing
// The rule for "known to show" (auto), from the variables terminals set (they survive into tmux panes
// and, for LC_TERMINAL, through ssh):
//   OSC 9   (ESC ] 9 ; text BEL): iTerm2 (TERM_PROGRAM=iTerm.app, ITERM_SESSION_ID, LC_TERMINAL=iTerm2),
//           WezTerm (TERM_PROGRAM=WezTerm, WEZTERM_PANE, TERM=wezterm), Ghostty (TERM_PROGRAM=ghostty,
//           TERM=xterm-ghostty, GHOSTTY_RESOURCES_DIR), kitty (TERM=xterm-kitty, KITTY_WINDOW_ID),
//           Warp (TERM_PROGRAM=WarpTerminal).
//   OSC 777 (ESC ] 777 ; notify ; title ; text BEL): foot (TERM=foot*), VTE terminals such as GNOME
//           Terminal and Tilix (VTE_VERSION; VTE builds without the notify patch ignore it).
//   Neither: the bell alone. Windows Terminal (WT_SESSION) gets the bell alone: its OSC 9 is ConEmu's
//           command family, not a notification.
// Inside tmux (TMUX) the sequence is wrapped in tmux's DCS passthrough (needs `set -g
// allow-passthrough on`, tmux ≥ 3.3; without it tmux drops it silently), inside GNU screen (STY) in
// screen's; the bell is sent plain, so tmux/screen treat it as the pane's bell. Nothing is written
// when the stream is not a terminal (a background job's output file).
import type { NotifyMode } from "../config/schema.js";

type NotificationProtocol = "osc9" | "osc777";

const ESC = "\x1b";
const BEL = "\x07";
const ST = `${ESC}\\`;
const TITLE = "codex-supervisor";
const MAX_CHARS = 240;

/** The desktop-notification sequence the terminal is known to show, or null (bell only). */
export function detectNotificationProtocol(env: NodeJS.ProcessEnv): NotificationProtocol | null {
  const program = env.TERM_PROGRAM ?? "";
  const term = env.TERM ?? "";
  const has = (k: string) => (env[k] ?? "") !== "";
  if (has("WT_SESSION")) return null;
  if (["iTerm.app", "WezTerm", "ghostty", "WarpTerminal"].includes(program)) return "osc9";
  if (has("ITERM_SESSION_ID") || env.LC_TERMINAL === "iTerm2" || has("WEZTERM_PANE") || has("KITTY_WINDOW_ID") || has("GHOSTTY_RESOURCES_DIR")) return "osc9";
  if (["xterm-kitty", "xterm-ghostty", "wezterm"].includes(term)) return "osc9";
  if (term === "foot" || term.startsWith("foot-") || has("VTE_VERSION")) return "osc777";
  return null;
}

/** One line of plain text: no control characters (they would end or corrupt the sequence), bounded. */
export function notificationText(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  return chars.length <= MAX_CHARS ? flat : `${chars.slice(0, MAX_CHARS - 1).join("")}…`;
}

function wrapForMultiplexer(seq: string, env: NodeJS.ProcessEnv): string {
  if ((env.TMUX ?? "") !== "") return `${ESC}Ptmux;${seq.replaceAll(ESC, ESC + ESC)}${ST}`;
  if ((env.STY ?? "") !== "") return `${ESC}P${seq}${ST}`;
  return seq;
}

/** The exact bytes for `text` under `mode` in the terminal `env` describes ("" for off). Pure. */
export function notificationBytes(text: string, mode: NotifyMode, env: NodeJS.ProcessEnv): string {
  if (mode === "off") return "";
  const protocol = mode === "auto" ? detectNotificationProtocol(env) : mode === "bell" ? null : mode;
  const body = notificationText(text);
  let seq = "";
  if (protocol === "osc9") seq = `${ESC}]9;${TITLE}: ${body}${BEL}`;
  else if (protocol === "osc777") seq = `${ESC}]777;notify;${TITLE};${body}${BEL}`;
  return (seq ? wrapForMultiplexer(seq, env) : "") + BEL;
}

interface NotifyTarget {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/**
 * Send `text` as a notification on `stream` (the terminal codex runs in: our stderr). Returns the
 * bytes written — "" when the mode is off or the stream is not a terminal. Never throws: a notice
 * that cannot be delivered must not disturb the session.
 */
export function notify(stream: NotifyTarget, text: string, config: { notify: NotifyMode }, env: NodeJS.ProcessEnv = process.env): string {
  if (stream.isTTY !== true) return "";
  const bytes = notificationBytes(text, config.notify, env);
  if (bytes === "") return "";
  try {
    stream.write(bytes);
  } catch {
    return "";
  }
  return bytes;
}
