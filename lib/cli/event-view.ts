// One event-log line for people (pure): the local time, the event in a word, and what happened in a
// sentence — account names, durations in words, times of day instead of epoch milliseconds. It
// formats one parsed event; reading the log is the log reader's job. An event type this does not
// know is shown as `key=value` pairs, humanised the same way, so a new event is never lost.
import { formatDuration, formatRelative, humaniseText } from "../terminal/duration.js";
import type { Paint } from "../terminal/style.js";

interface EventViewContext {
  now: number;
  paint: Paint;
}

type Ev = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

const pad = (n: number) => String(n).padStart(2, "0");

/** "14:03:07" today, "2026-12-01 14:03:07" another day (local time). */
export function clockTime(t: number, now: number): string {
  const d = new Date(t);
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return new Date(now).toDateString() === d.toDateString() ? hms : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
}

/** A point in time given as ISO text, epoch ms or epoch s: "14:05:00 (in 12m)". */
function moment(v: unknown, now: number): string | null {
  let t: number | null = null;
  if (typeof v === "string") t = Date.parse(v);
  else if (typeof v === "number") t = v < 1e11 ? v * 1000 : v;
  if (t === null || !Number.isFinite(t)) return null;
  return `${clockTime(t, now)} (${formatRelative(t, now)})`;
}

/** A rate window as the quota event carries it: "42% (resets 15:00:00, in 1h 05m)". */
function windowText(w: unknown, now: number): string | null {
  if (typeof w !== "object" || w === null) return null;
  const used = num((w as Ev).usedPercent);
  if (used === null) return null;
  const at = moment((w as Ev).resetsAt, now);
  return `${Math.round(used)}%${at ? ` (resets ${at})` : ""}`;
}

function quotaText(e: Ev, now: number): string {
  const action = str(e.action);
  const reason = str(e.reason);
  if (action === null) {
    const p = windowText(e.primary, now);
    const s = windowText(e.secondary, now);
    const parts = [p ? `5h ${p}` : null, s ? `7d ${s}` : null].filter(Boolean).join(", ");
    return `${str(e.account) ?? "account"}: ${parts || "no usage reported"}`;
  }
  const tail = [reason, str(e.why), e.when === "next run" ? "for the next run" : null].filter(Boolean).join("; ");
  switch (action) {
    case "rotate":
      return `rotating${str(e.to) ? ` to ${str(e.to)}` : ""}: ${tail}`;
    case "preselect":
      return `next account chosen: ${str(e.successor) ?? "none"}${tail ? ` (${tail})` : ""}`;
    case "wait":
      return `waiting for the quota reset at ${moment(e.until, now) ?? "?"}`;
    case "backoff":
      return `rotation failed before; next try at ${moment(e.until, now) ?? "?"}${tail ? ` (${tail})` : ""}`;
    default:
      return `${action}${tail ? `: ${tail}` : ""}`;
  }
}

function exitText(e: Ev): string {
  const how = str(e.signal) ?? (num(e.code) !== null ? `exit code ${num(e.code)}` : null);
  const what = [str(e.status), how].filter(Boolean).join(", ");
  return `${what || "ended"}${str(e.reason) ? `: ${str(e.reason)}` : ""}`;
}

/** Everything else: key=value, with times and *Ms durations in words. */
function pairs(e: Ev, now: number): string {
  return Object.entries(e)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => {
      if (typeof v === "number" && /Ms$/.test(k)) return `${k.replace(/Ms$/, "")}=${formatDuration(v)}`;
      if (/(At|until|at)$/.test(k)) {
        const m = moment(v, now);
        if (m) return `${k}=${m}`;
      }
      return `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`;
    })
    .join(" ");
}

function summary(type: string, e: Ev, now: number): string {
  switch (type) {
    case "spawn":
      return `codex started (pid ${num(e.pid) ?? "?"})${str(e.account) ? ` on ${str(e.account)}` : ""}`;
    case "bind":
      return `session ${str(e.sessionId) ?? "?"}`;
    case "quota":
      return quotaText(e, now);
    case "rotate":
      return `${str(e.from) ?? "?"} → ${str(e.to) ?? "?"}${str(e.reason) ? ` (${str(e.reason)})` : ""}${e.when === "next run" ? ", for the next run" : ""}`;
    case "rotate-failed":
      return `could not switch ${str(e.from) ?? "?"} → ${str(e.to) ?? "?"} (${str(e.where) ?? "?"}): ${str(e.error) ?? "error"}${moment(e.retryAt, now) ? `; next try ${moment(e.retryAt, now)}` : ""}`;
    case "rotate-skipped":
      return `stayed on ${str(e.from) ?? "?"}: ${str(e.why) ?? ""}`;
    case "restart":
      return `${str(e.why) ?? "restart"}${num(e.attempt) !== null ? `, attempt ${num(e.attempt)}` : ""}`;
    case "crash":
      return `${str(e.exit) ?? "codex ended"}; ${e.restart === false ? "not restarting" : "restarting"}`;
    case "exit":
      return exitText(e);
    case "signal":
      return str(e.signal) ? `${str(e.signal)} to pid ${num(e.pid) ?? "?"}${str(e.by) ? ` (by ${str(e.by)})` : ""}` : `${str(e.request) ?? "request"}: ${str(e.exit) ?? ""}`;
    case "control":
      return `${str(e.action) ?? "?"} requested${num(e.by) !== null ? ` by pid ${num(e.by)}` : ""}`;
    case "stop": {
      const n = Array.isArray(e.signalled) ? new Set(e.signalled).size : 0;
      return `stopped by pid ${num(e.by) ?? "?"}: ${n} process${n === 1 ? "" : "es"} signalled, now ${str(e.result) ?? "?"}`;
    }
    case "lost":
      return str(e.reason) ?? "its processes are gone";
    case "notice":
      return str(e.line) ?? "";
    case "created":
      return `${e.detached === true ? "background job" : "job"}${str(e.name) ? ` '${str(e.name)}'` : ""} created by pid ${num(e.by) ?? "?"}`;
    case "start":
      return `supervisor started (pid ${num(e.pid) ?? "?"}, ${str(e.mode) ?? "?"} mode)${str(e.real) ? ` with ${str(e.real)}` : ""}`;
    case "sync":
      return str(e.result) ?? "";
    default:
      return pairs(e, now);
  }
}

const TONE: Record<string, Parameters<Paint>[0]> = {
  rotate: "cyan",
  "rotate-failed": "red",
  crash: "red",
  lost: "magenta",
  error: "red",
  restart: "yellow",
  exit: "bold",
};

/**
 * One parsed event (what the log reader yields: `ts`, `type` and the event's fields) for people;
 * null when it is not one of our events (no string `type`, no valid `ts`).
 */
export function formatEvent(event: Readonly<Record<string, unknown>>, ctx: EventViewContext): string | null {
  const { ts, type, ...rest } = event;
  const t = typeof ts === "string" ? Date.parse(ts) : NaN;
  if (typeof type !== "string" || !Number.isFinite(t)) return null;
  const text = humaniseText(summary(type, rest, ctx.now));
  const label = type.padEnd(13);
  return `${clockTime(t, ctx.now)}  ${TONE[type] ? ctx.paint(TONE[type]!, label) : label} ${text}`.trimEnd();
}

/** One raw log line for `logs`; a line that is not one of our events is shown as it is. */
export function formatEventLine(line: string, ctx: EventViewContext): string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return line;
  return formatEvent(v as Record<string, unknown>, ctx) ?? line;
}
