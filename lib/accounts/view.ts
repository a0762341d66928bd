// What `accounts list` shows. Pure, and built field by field from an allow-list, so a secret in the
// store can never reach the output by accident.
import type { AccountsFile } from "./schema.js";

/** `accounts list --json` rows: exactly these fields, null when unknown. */
export interface AccountListRow {
  name: string;
  kind: "chatgpt" | "api-key";
  email: string | null;
  plan: string | null;
  active: boolean;
  enabled: boolean;
  primaryUsedPercent: number | null;
  primaryResetsAt: string | null;
  secondaryUsedPercent: number | null;
  secondaryResetsAt: string | null;
  coolingDownUntil: string | null;
}

export const LIST_FIELDS: readonly (keyof AccountListRow)[] = [
  "name",
  "kind",
  "email",
  "plan",
  "active",
  "enabled",
  "primaryUsedPercent",
  "primaryResetsAt",
  "secondaryUsedPercent",
  "secondaryResetsAt",
  "coolingDownUntil",
];

export function accountListRows(store: AccountsFile): AccountListRow[] {
  return store.accounts.map((a) => ({
    name: a.name,
    kind: a.kind,
    email: a.identity.email ?? null,
    plan: a.identity.plan ?? null,
    active: store.active === a.name,
    enabled: a.enabled,
    primaryUsedPercent: a.usage.primaryUsedPercent ?? null,
    primaryResetsAt: a.usage.primaryResetsAt ?? null,
    secondaryUsedPercent: a.usage.secondaryUsedPercent ?? null,
    secondaryResetsAt: a.usage.secondaryResetsAt ?? null,
    coolingDownUntil: a.coolingDownUntil ?? null,
  }));
}

/** "in 2h 5m" / "3m ago" relative to now. */
export function relativeTime(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  let d = Math.round((t - now) / 60_000);
  const past = d < 0;
  d = Math.abs(d);
  const days = Math.floor(d / 1440);
  const hours = Math.floor((d % 1440) / 60);
  const mins = d % 60;
  const s = days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${mins}m` : `${mins}m`;
  return past ? `${s} ago` : `in ${s}`;
}

function usageCell(used: number | null, resets: string | null, now: number): string {
  if (used === null) return "-";
  const pct = `${Number.isInteger(used) ? used : used.toFixed(1)}%`;
  if (resets === null) return pct;
  const t = Date.parse(resets);
  if (Number.isFinite(t) && t <= now) return `${pct} (reset)`;
  return `${pct} (resets ${relativeTime(resets, now)})`;
}

/** The human table. */
export function formatAccountsTable(rows: AccountListRow[], now: number): string {
  if (rows.length === 0) return "No accounts. Add one with `codex-supervisor accounts add <name>`.\n";
  const header = ["", "NAME", "KIND", "EMAIL", "PLAN", "5H USED", "7D USED", "STATUS"];
  const lines = rows.map((r) => {
    const status: string[] = [];
    if (!r.enabled) status.push("disabled");
    if (r.coolingDownUntil !== null && Date.parse(r.coolingDownUntil) > now) status.push(`cooling down until ${r.coolingDownUntil} (${relativeTime(r.coolingDownUntil, now)})`);
    return [
      r.active ? "*" : "",
      r.name,
      r.kind,
      r.email ?? "-",
      r.plan ?? "-",
      usageCell(r.primaryUsedPercent, r.primaryResetsAt, now),
      usageCell(r.secondaryUsedPercent, r.secondaryResetsAt, now),
      status.length > 0 ? status.join(", ") : r.enabled ? "ok" : "",
    ];
  });
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  return all.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}
