import { describe, expect, it } from "vitest";
import { availableAt, chooseSuccessor } from "../../lib/accounts/select.js";
import type { Account } from "../../lib/accounts/schema.js";
import { account } from "./fixtures.js";

const NOW = Date.parse("2025-06-01T12:00:00Z");
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function used(p: number | undefined, s?: number, opts: { pReset?: number; sReset?: number } = {}): Account["usage"] {
  const u: Account["usage"] = { observedAt: iso(NOW - 60_000) };
  if (p !== undefined) {
    u.primaryUsedPercent = p;
    u.primaryWindowMinutes = 300;
    u.primaryResetsAt = iso(opts.pReset ?? NOW + 2 * H);
  }
  if (s !== undefined) {
    u.secondaryUsedPercent = s;
    u.secondaryWindowMinutes = 10080;
    u.secondaryResetsAt = iso(opts.sReset ?? NOW + 48 * H);
  }
  return u;
}

const pick = (accounts: Account[], leaving: string | null = "a") => chooseSuccessor(accounts, { leaving, now: NOW });
const name = (r: ReturnType<typeof pick>) => (r.none ? null : r.account.name);

describe("chooseSuccessor", () => {
  const table: { name: string; accounts: Account[]; leaving?: string | null; want: string | null }[] = [
    { name: "most remaining quota wins", accounts: [account("a", { usage: used(96) }), account("b", { usage: used(60) }), account("c", { usage: used(20) })], want: "c" },
    { name: "tighter window decides (7d)", accounts: [account("b", { usage: used(10, 90) }), account("c", { usage: used(50, 20) })], want: "c" },
    { name: "never the one being left, even if best", accounts: [account("a", { usage: used(0) }), account("b", { usage: used(50) })], want: "b" },
    { name: "disabled skipped", accounts: [account("b", { enabled: false }), account("c", { usage: used(80) })], want: "c" },
    {
      name: "cooling down skipped",
      accounts: [account("b", { coolingDownUntil: iso(NOW + H) }), account("c", { usage: used(80) })],
      want: "c",
    },
    { name: "a cool-down in the past no longer counts", accounts: [account("b", { coolingDownUntil: iso(NOW - 1), usage: used(10) }), account("c", { usage: used(80) })], want: "b" },
    { name: "a window whose reset passed counts as fresh", accounts: [account("b", { usage: used(99, undefined, { pReset: NOW - H }) }), account("c", { usage: used(30) })], want: "b" },
    { name: "at the rotation threshold is not a successor", accounts: [account("b", { usage: used(95) })], want: null },
    { name: "never observed counts as fresh", accounts: [account("b", { usage: used(5) }), account("c")], want: "c" },
    {
      name: "tie: least recently used first",
      accounts: [account("b", { usage: used(10), lastUsedAt: iso(NOW - H) }), account("c", { usage: used(10), lastUsedAt: iso(NOW - 2 * H) })],
      want: "c",
    },
    { name: "tie: never used before used", accounts: [account("b", { lastUsedAt: iso(NOW - H) }), account("c")], want: "c" },
    { name: "tie: then by name", accounts: [account("d"), account("c"), account("b")], want: "b" },
    { name: "nobody else", accounts: [account("a")], want: null },
    { name: "leaving null: any account", accounts: [account("a", { usage: used(30) }), account("b", { usage: used(40) })], leaving: null, want: "a" },
  ];
  for (const c of table) {
    it(c.name, () => {
      const r = pick(c.accounts, c.leaving === undefined ? "a" : c.leaving);
      expect(name(r)).toBe(c.want);
      // Same answer whatever the order of the store.
      expect(name(pick([...c.accounts].reverse(), c.leaving === undefined ? "a" : c.leaving))).toBe(c.want);
    });
  }

  it("reports the remaining percent and a reason", () => {
    const r = pick([account("b", { usage: used(60) })]);
    expect(r).toMatchObject({ none: false, remainingPercent: 40 });
    expect(r.reason).toContain("40% left");
  });

  it("none: the earliest time an enabled account frees up", () => {
    const r = pick([
      account("a", { coolingDownUntil: iso(NOW + 5 * H), usage: used(100) }),
      account("b", { usage: used(97, undefined, { pReset: NOW + 3 * H }) }),
      account("c", { coolingDownUntil: iso(NOW + 2 * H) }),
      account("d", { enabled: false, coolingDownUntil: iso(NOW + H) }),
    ]);
    expect(r).toMatchObject({ none: true, earliestResetAt: NOW + 2 * H });
  });

  it("none: the account being left counts once it is blocked", () => {
    const r = pick([account("a", { coolingDownUntil: iso(NOW + H) }), account("b", { usage: used(99, 99, { pReset: NOW + 2 * H, sReset: NOW + 30 * H }) })]);
    expect(r).toMatchObject({ none: true, earliestResetAt: NOW + H });
  });

  it("none with no known reset: earliestResetAt null", () => {
    const r = pick([account("a"), account("b", { enabled: false })]);
    expect(r).toEqual({ none: true, earliestResetAt: null, reason: "no other enabled account" });
  });

  it("availableAt: both windows exhausted → the later reset; cool-down beyond it wins", () => {
    const a = account("x", { usage: used(99, 97, { pReset: NOW + H, sReset: NOW + 9 * H }) });
    expect(availableAt(a, NOW, 5)).toBe(NOW + 9 * H);
    expect(availableAt({ ...a, coolingDownUntil: iso(NOW + 10 * H) }, NOW, 5)).toBe(NOW + 10 * H);
    expect(availableAt(account("y", { usage: used(50) }), NOW, 5)).toBe(NOW);
  });
});
