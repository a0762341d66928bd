// `accounts list` in the one time style of our tables, with when each account's usage was last seen.
import { describe, expect, it } from "vitest";
import { formatAccountsTable, type AccountListRow } from "../../lib/accounts/view.js";

const NOW = Date.parse("2026-05-01T12:00:00Z");
const iso = (ms: number) => new Date(NOW + ms).toISOString();
const row = (p: Partial<AccountListRow>): AccountListRow => ({
  name: "a", kind: "chatgpt", email: null, plan: null, active: false, enabled: true,
  primaryUsedPercent: null, primaryResetsAt: null, secondaryUsedPercent: null, secondaryResetsAt: null, coolingDownUntil: null, ...p,
});

describe("accounts list table", () => {
  it("relative times only (no ISO), and a SEEN column", () => {
    const out = formatAccountsTable(
      [
        row({ name: "work", active: true, primaryUsedPercent: 42, primaryResetsAt: iso(65 * 60_000) }),
        row({ name: "ci", primaryUsedPercent: 100, primaryResetsAt: iso(-60_000), coolingDownUntil: iso(12 * 60_000) }),
        row({ name: "new" }),
      ],
      NOW,
      [iso(-3 * 60_000), iso(-2 * 3_600_000), null],
    );
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\s+NAME\s+KIND\s+EMAIL\s+PLAN\s+5H USED\s+7D USED\s+SEEN\s+STATUS$/);
    expect(lines[1]).toMatch(/^\*\s+work\s.*42% \(resets in 1h 05m\)\s+-\s+3m ago\s+ok$/);
    expect(lines[2]).toMatch(/ci\s.*100% \(reset\)\s+-\s+2h 00m ago\s+cooling down, in 12m$/);
    expect(lines[3]).toMatch(/new\s.*\s+never\s+ok$/);
    expect(out).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });
});
