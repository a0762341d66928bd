// The one time style of our tables and texts (pure): durations in words of at most two units
// ("45s", "12m", "1h 05m", "3d 4h") and times relative to now ("3m ago", "in 1h 05m"). Absolute
// times stay in --json.

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** A duration in at most two units, rounded down: 45s, 9m 30s, 12m, 1h 05m, 3d 4h. */
export function formatDuration(ms: number): string {
  const t = Math.max(0, Math.floor(Number.isFinite(ms) ? ms : 0));
  if (t < M) return `${Math.floor(t / S)}s`;
  if (t < 10 * M) {
    const s = Math.floor((t % M) / S);
    return s === 0 ? `${Math.floor(t / M)}m` : `${Math.floor(t / M)}m ${String(s).padStart(2, "0")}s`;
  }
  if (t < H) return `${Math.floor(t / M)}m`;
  if (t < D) return `${Math.floor(t / H)}h ${String(Math.floor((t % H) / M)).padStart(2, "0")}m`;
  const h = Math.floor((t % D) / H);
  return h === 0 ? `${Math.floor(t / D)}d` : `${Math.floor(t / D)}d ${h}h`;
}

/** "3m ago", "in 1h 05m", "now" (within a second); an unparsable time is returned as given. */
export function formatRelative(at: string | number, now: number): string {
  const t = typeof at === "number" ? at : Date.parse(at);
  if (!Number.isFinite(t)) return String(at);
  const d = t - now;
  if (Math.abs(d) < S) return "now";
  return d < 0 ? `${formatDuration(-d)} ago` : `in ${formatDuration(d)}`;
}

/** The compact form for a status bar: 1h05m, 3d4h, 12m, 45s. */
export function formatDurationCompact(ms: number): string {
  return formatDuration(ms).replace(/ /g, "");
}

/** Milliseconds spelled out inside a text written for machines: "5 in 600000 ms" → "5 in 10m". */
export function humaniseText(text: string): string {
  return text.replace(/\b(\d+(?:\.\d+)?) ?ms\b/g, (_m, n: string) => formatDuration(Number(n)));
}
