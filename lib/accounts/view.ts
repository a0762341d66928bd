// What `accounts list` shows. Pure, and built field by field from an allow-list, so a secret in the
// store can never reach the output by accident.
import { formatRelative } from "../terminal/duration.js";
import type { AccountRoom } from "../terminal/notify-text.js";
import type { AccountsFile } from "./schema.js";

/** `accounts list --json` rows: exactly these fields, null when unknown. */
export interface AccountListRow extends AccountRoom {
  kind: "chatgpt" | "api-key";
  email: string | null;
  plan: string | null;
  active: boolean;
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

/** "in 2h 05m" / "3m ago" relative to now: the one time style of our tables (terminal/duration.ts). */
function relativeTime(iso: string, now: number): string {
  return formatRelative(iso, now);
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
export function formatAccountsTable(rows: AccountListRow[], now: number, seen: (string | null)[] = []): string {
  if (rows.length === 0) return "No accounts. Add one with `codex-supervisor accounts add <name>`.\n";
  const header = ["", "NAME", "KIND", "EMAIL", "PLAN", "5H USED", "7D USED", "SEEN", "STATUS"];
  const lines = rows.map((r, i) => {
    const status: string[] = [];
    if (!r.enabled) status.push("disabled");
    if (r.coolingDownUntil !== null && Date.parse(r.coolingDownUntil) > now) status.push(`cooling down, ${relativeTime(r.coolingDownUntil, now)}`);
    return [
      r.active ? "*" : "",
      r.name,
      r.kind,
      r.email ?? "-",
      r.plan ?? "-",
      usageCell(r.primaryUsedPercent, r.primaryResetsAt, now),
      usageCell(r.secondaryUsedPercent, r.secondaryResetsAt, now),
      seen[i] ? relativeTime(seen[i]!, now) : "never",
      status.length > 0 ? status.join(", ") : r.enabled ? "ok" : "",
    ];
  });
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  return all.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}
