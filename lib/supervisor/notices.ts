// The lines the supervisor prints on stderr (one per restart) and the countdown text. Pure, so
// wording is tested once and never carries a secret (only account names and session ids).

const PREFIX = "codex-supervisor:";

type RestartWhy =
  | { kind: "rotate"; detail: string; from: string | null; to: string | null; continuing?: boolean }
  | { kind: "control" }
  | { kind: "crash"; detail: string; attempt: number; max: number; delayMs: number };

function sessionPart(sessionId: string | null): string {
  return sessionId ? `resuming session ${sessionId}` : "no session yet, starting codex again";
}

/** One line, no trailing newline. */
export function restartNotice(why: RestartWhy, sessionId: string | null): string {
  switch (why.kind) {
    case "rotate":
      return `${PREFIX} switching account ${why.from ?? "(none)"} → ${why.to ?? "(none)"} (${why.detail}); ${sessionPart(sessionId)}${continuing(why.continuing, sessionId)}`;
    case "control":
      return `${PREFIX} restart requested; ${sessionPart(sessionId)}`;
    case "crash": {
      const wait = why.delayMs > 0 ? ` in ${formatSeconds(why.delayMs)}` : "";
      return `${PREFIX} codex ${why.detail}; ${sessionPart(sessionId)}${wait} (crash restart ${why.attempt} of ${why.max})`;
    }
  }
}

function continuing(on: boolean | undefined, sessionId: string | null): string {
  return on && sessionId ? " and continuing the turn the limit cut" : "";
}

/**
 * auth.json now holds another login than this session's codex runs on (a rotation in another
 * terminal, `accounts use`): the session moves to it at its idle point, or after codex refused it.
 */
export function followNotice(o: { from: string | null; to: string | null; sessionId: string | null; continuing: boolean }): string {
  const who = (n: string | null) => n ?? "a login of no stored account";
  const tail = o.continuing && o.sessionId ? " and continuing the turn it cut" : "";
  return `${PREFIX} the login in auth.json changed (${who(o.from)} → ${who(o.to)}); ${sessionPart(o.sessionId)} on it${tail}`;
}

/** The first codex starts on another account: the active one has no room. */
export function startSwitchNotice(o: { from: string; to: string; disabled: boolean; untilMs: number | null; nowMs: number }): string {
  const why = o.disabled ? "is disabled" : o.untilMs === null ? "has no room (no reset time known)" : `has no room for ${formatDuration(o.untilMs - o.nowMs)}`;
  return `${PREFIX} starting on ${o.to}: ${o.from} ${why}`;
}

const ADD_ACCOUNT = "codex-supervisor accounts add <name>";

/** A rotation was due but nobody has room: the session stays (alert only while codex runs). */
export function stayNotice(o: { from: string | null; detail: string; why: string; onlyAccount: boolean }): string {
  const hint = o.onlyAccount ? `; add another with \`${ADD_ACCOUNT}\`` : "";
  return `${PREFIX} ${o.from ?? "this login"}: ${o.detail}; ${o.why}, staying on it${hint}`;
}

/** Rotation cannot work with this codex setup (e.g. logins in the OS keyring); `why` is one sentence. */
export function rotationBlockedNotice(why: string): string {
  return `${PREFIX} ${why}`;
}

/** Which command resumes a session by hand: sessions (`tui`) and background jobs (`exec`) differ. */
type NoticeMode = "tui" | "exec";

/** `codex resume <id>` / `codex exec resume <id>`. */
function manualResumeCommand(sessionId: string, mode: NoticeMode): string {
  return `codex ${mode === "exec" ? "exec resume" : "resume"} ${sessionId}`;
}

/** Past the crash cap: what happened and the command that resumes by hand. */
export function crashCapNotice(detail: string, max: number, windowMs: number, sessionId: string | null, mode: NoticeMode = "tui"): string {
  const head = `${PREFIX} codex ${detail}; giving up after ${max} crash restarts within ${formatDuration(windowMs)}.`;
  return sessionId
    ? `${head} Resume it yourself with: ${manualResumeCommand(sessionId, mode)}`
    : `${head} No session was recorded yet; start codex again when the problem is fixed.`;
}

/**
 * A rotation could not be planned or carried out (the store or the lock failed: lock lost or timed
 * out, accounts.json unreadable, auth.json unreadable, disk full…). `error` is the error's name and
 * message (they name files and reasons, never a token). The session goes on with the login
 * CODEX_HOME/auth.json holds; the rotation is tried again after `retryInMs`.
 */
export function rotationFailedNotice(o: { from: string | null; to: string | null; error: string; sessionId: string | null; retryInMs: number; childGone: boolean }): string {
  const target = o.to ? ` ${o.from ?? "(none)"} → ${o.to}` : o.from ? ` away from ${o.from}` : "";
  const then = o.childGone
    ? o.sessionId
      ? `resuming session ${o.sessionId} on the current login`
      : "starting codex again on the current login"
    : "the session goes on with the current login";
  return `${PREFIX} could not switch account${target}: ${oneLine(o.error)}; ${then}; next try in ${formatDuration(o.retryInMs)}`;
}

/** An exec job finished at its rotation threshold: the next run (resume or new job) uses the successor. */
export function nextRunSwitchNotice(from: string | null, to: string, detail: string): string {
  return `${PREFIX} switched account ${from ?? "(none)"} → ${to} for the next run (${detail}); this run had already finished`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * A rotation was due but CODEX_HOME/auth.json holds a login that is in no stored account (made by hand):
 * it is left as it is, and the session goes on with it. `detail` says whose login (never a token).
 */
export function foreignLoginNotice(from: string | null, detail: string, sessionId: string | null): string {
  const left = from ? ` away from ${from}` : "";
  const then = sessionId ? `resuming session ${sessionId} on that login` : "starting codex again on that login";
  return `${PREFIX} not switching account${left}: ${detail}; left as it is, ${then} (add it with \`codex-supervisor accounts add <name> --from-file <auth.json>\` to rotate it)`;
}

/** A restart notice repeated when the session ends (the resumed TUI may have wiped the original). */
export function recapNotice(line: string): string {
  const body = line.startsWith(`${PREFIX} `) ? line.slice(PREFIX.length + 1) : line;
  return `${PREFIX} earlier in this session: ${body}`;
}

/** No account has room left. */
export function exhaustedNotice(waitUntilMs: number, nowMs: number): string {
  return `${PREFIX} every account is at its usage limit; waiting for the earliest reset in ${formatDuration(waitUntilMs - nowMs)} (more room: \`${ADD_ACCOUNT}\`)`;
}

/** The countdown line, rewritten in place with `\r` every second. */
export function countdownLine(remainingMs: number, sessionId: string | null, mode: NoticeMode = "tui"): string {
  const tail = sessionId ? ` (Ctrl+C to quit; later: ${manualResumeCommand(sessionId, mode)})` : " (Ctrl+C to quit)";
  return `${PREFIX} resuming in ${formatDuration(remainingMs)}${tail}`;
}

export function stoppedNotice(sessionId: string | null, mode: NoticeMode = "tui"): string {
  return sessionId ? `${PREFIX} stopped; resume with: ${manualResumeCommand(sessionId, mode)}` : `${PREFIX} stopped`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** 3725000 → "1h 02m 05s"; 65000 → "1m 05s"; 4000 → "4s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}
