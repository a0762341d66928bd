// What `statusline` and `usage` print (pure): the last seen 5 h / 7 d use of each account, when the
// windows reset, and whether a session of this home waits or restarts. A window whose reset time
// has passed counts as 0 % used: that is where a new window starts, and the supervisor records a new
// reading with the next response on that account.
import { formatDuration, formatDurationCompact, formatRelative } from "../terminal/duration.js";
import type { Paint } from "../terminal/style.js";
import { renderTable, type Column } from "../terminal/table.js";
import type { AccountPeek, AccountsPeek, WindowPeek } from "./accounts-peek.js";
import type { LiveSession } from "./live-sessions.js";

/** The window's use now, as far as we know: the last reading, or 0 once its reset time has passed. */
export function usedNow(w: WindowPeek, now: number): number | null {
  if (w.resetsAt !== null && Date.parse(w.resetsAt) <= now) return 0;
  return w.usedPercent;
}

/** The earliest reset still ahead of a window that has some use (a reset of an unused window changes nothing). */
function nextResetOf(a: AccountPeek, now: number): string | null {
  const times = [a.primary, a.secondary]
    .filter((w) => w.resetsAt !== null && (usedNow(w, now) ?? 1) > 0 && Date.parse(w.resetsAt) > now)
    .map((w) => w.resetsAt!)
    .sort((x, y) => Date.parse(x) - Date.parse(y));
  return times[0] ?? null;
}

const pct = (v: number | null) => (v === null ? "?" : `${Math.round(v)}%`);

interface StatusLineView {
  account: string | null;
  primaryUsedPercent: number | null;
  primaryResetsAt: string | null;
  secondaryUsedPercent: number | null;
  secondaryResetsAt: string | null;
  observedAt: string | null;
  /** The earliest reset ahead of the active account's used windows. */
  nextResetAt: string | null;
  /** "waiting": a session waits for a reset; "restarting": one is switching account or restarting. */
  state: "ok" | "waiting" | "restarting" | "no-accounts" | "no-active-account";
  /** While waiting: the earliest reset of any enabled account (what the waiting session waits for). */
  waitUntil: string | null;
  sessions: { id: string; state: LiveSession["state"]; account: string | null; reason: string | null }[];
  text: string;
}

export function statusLineOf(store: AccountsPeek, live: LiveSession[], now: number): StatusLineView {
  const active = store.accounts.find((a) => a.name === store.active) ?? null;
  const waiting = live.filter((s) => s.state === "waiting");
  const restarting = live.filter((s) => s.state === "restarting");
  const waitUntil =
    waiting.length === 0
      ? null
      : (store.accounts
          .filter((a) => a.enabled)
          .map((a) => nextResetOf(a, now))
          .filter((t): t is string => t !== null)
          .sort((x, y) => Date.parse(x) - Date.parse(y))[0] ?? null);
  const base = {
    account: active?.name ?? null,
    primaryUsedPercent: active ? usedNow(active.primary, now) : null,
    primaryResetsAt: active?.primary.resetsAt ?? null,
    secondaryUsedPercent: active ? usedNow(active.secondary, now) : null,
    secondaryResetsAt: active?.secondary.resetsAt ?? null,
    observedAt: active?.observedAt ?? null,
    nextResetAt: active ? nextResetOf(active, now) : null,
    waitUntil,
    sessions: live.map((s) => ({ id: s.id, state: s.state, account: s.account, reason: s.reason })),
  };
  const parts: string[] = [];
  if (store.accounts.length === 0) parts.push("no accounts");
  else if (!active) parts.push("no active account");
  else {
    parts.push(active.name, `5h:${pct(base.primaryUsedPercent)}`, `7d:${pct(base.secondaryUsedPercent)}`);
    if (base.nextResetAt) parts.push(`reset:${formatDurationCompact(Date.parse(base.nextResetAt) - now)}`);
  }
  if (waiting.length > 0) {
    const n = waiting.length > 1 ? `${waiting.length} ` : "";
    parts.push(`[${n}waiting${waitUntil ? ` ${formatDurationCompact(Date.parse(waitUntil) - now)}` : ""}]`);
  }
  if (restarting.length > 0) parts.push(`[${restarting.length > 1 ? `${restarting.length} ` : ""}restarting]`);
  const state: StatusLineView["state"] =
    waiting.length > 0 ? "waiting" : restarting.length > 0 ? "restarting" : store.accounts.length === 0 ? "no-accounts" : active ? "ok" : "no-active-account";
  const { sessions, waitUntil: until, ...usage } = base;
  return { ...usage, state, waitUntil: until, sessions, text: parts.join(" ") };
}

/** `usage --json`: one object per account, the stored readings as they are (times absolute). */
interface UsageRow {
  name: string;
  active: boolean;
  enabled: boolean;
  kind: string | null;
  primaryUsedPercent: number | null;
  primaryWindowMinutes: number | null;
  primaryResetsAt: string | null;
  secondaryUsedPercent: number | null;
  secondaryWindowMinutes: number | null;
  secondaryResetsAt: string | null;
  /** When this usage was last seen. */
  observedAt: string | null;
  nextResetAt: string | null;
  coolingDownUntil: string | null;
}

export function usageRows(store: AccountsPeek, now: number): UsageRow[] {
  return store.accounts.map((a) => ({
    name: a.name,
    active: a.name === store.active,
    enabled: a.enabled,
    kind: a.kind,
    primaryUsedPercent: a.primary.usedPercent,
    primaryWindowMinutes: a.primary.windowMinutes,
    primaryResetsAt: a.primary.resetsAt,
    secondaryUsedPercent: a.secondary.usedPercent,
    secondaryWindowMinutes: a.secondary.windowMinutes,
    secondaryResetsAt: a.secondary.resetsAt,
    observedAt: a.observedAt,
    nextResetAt: nextResetOf(a, now),
    coolingDownUntil: a.coolingDownUntil,
  }));
}

/** "42% (1h 05m)": used, and the time until the window resets; "0% (reset)" once it has; "-" unknown. */
function windowCell(w: WindowPeek, now: number): string {
  if (w.usedPercent === null) return "-";
  if (w.resetsAt === null) return pct(w.usedPercent);
  const t = Date.parse(w.resetsAt);
  if (t <= now) return "0% (reset)";
  return `${pct(w.usedPercent)} (${formatDuration(t - now)})`;
}

function stateCell(a: AccountPeek, now: number): { text: string; tone: "ok" | "warn" | "off" } {
  if (!a.enabled) return { text: "disabled", tone: "off" };
  if (a.coolingDownUntil !== null && Date.parse(a.coolingDownUntil) > now) return { text: `cooling down, ${formatRelative(a.coolingDownUntil, now)}`, tone: "warn" };
  const full = [a.primary, a.secondary].some((w) => (usedNow(w, now) ?? 0) >= 100);
  return full ? { text: "at its limit", tone: "warn" } : { text: "ok", tone: "ok" };
}

const USAGE_COLUMNS: Column[] = [
  { header: "" },
  { header: "ACCOUNT", flex: true, min: 8 },
  { header: "5H (RESETS IN)", flex: true, min: 4 },
  { header: "7D (RESETS IN)", flex: true, min: 4 },
  { header: "SEEN" },
  { header: "STATE", flex: true, min: 5 },
];

export function renderUsageTable(store: AccountsPeek, now: number, width: number | null, paint: Paint): string {
  if (store.accounts.length === 0) return "No accounts. Add one with `codex-supervisor accounts add <name>`.\n";
  const states = store.accounts.map((a) => stateCell(a, now));
  const rows = store.accounts.map((a, i) => [
    a.name === store.active ? "*" : "",
    a.name,
    windowCell(a.primary, now),
    windowCell(a.secondary, now),
    a.observedAt ? formatRelative(a.observedAt, now) : "never",
    states[i]!.text,
  ]);
  const tone = { ok: "green", warn: "yellow", off: "dim" } as const;
  return renderTable(USAGE_COLUMNS, rows, {
    width,
    decorate: (r, c, text) => (c === 5 ? paint(tone[states[r]!.tone], text) : c === 1 && store.accounts[r]!.name === store.active ? paint("bold", text) : text),
  });
}
