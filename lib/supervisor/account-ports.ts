// The accounts side of the supervisor loop (core.ts AccountPorts): who is active, who would be next,
// and the switch itself — sync back what codex refreshed, cool the account left down, activate the
// successor into CODEX_HOME/auth.json. Every write is one short hold of the storage lock (inside the
// accounts modules); nothing here holds it while codex runs.
//
// A login made by hand (CODEX_HOME/auth.json owned by no stored account, e.g. `codex login` run
// mid-session) is the user's: `active()` reports no account for it (its usage is not booked on a stored
// account), `plan()` answers "foreign" so no rotation cuts the session for it, and `switchTo()` answers
// "foreign" instead of throwing when the login appeared after the plan (activate's ForeignLoginError):
// auth.json is never replaced behind the user's back (core.ts prints the one notice line).
import type { Config } from "../config/schema.js";
import { activate, codexAuthFile, describeSync, ForeignLoginError, ownerOf, readCodexAuth, syncBack } from "../accounts/activate.js";
import { identityFromAuth } from "../accounts/jwt.js";
import type { AccountsFile } from "../accounts/schema.js";
import { availableAt, chooseSuccessor } from "../accounts/select.js";
import { readAccounts } from "../accounts/store.js";
import { markCoolingDown } from "../accounts/usage.js";
import { lockOptionsFrom } from "../lock/options.js";
import type { AccountPorts, RotationPlan, SwitchResult } from "./core.js";

/** Accounts, read fresh from the store each time (another terminal may have changed them). */
export function realAccountPorts(
  input: { home: string; codexHome: string; config: Config },
  event: (type: string, data?: Record<string, unknown>) => Promise<void>,
): AccountPorts {
  const { home, codexHome, config } = input;
  const rotateAt = config.rotateAtRemainingPercent;
  /** Why CODEX_HOME/auth.json is a login of no stored account, or null (ours, missing, unreadable, no accounts). */
  const foreignLogin = async (store: AccountsFile): Promise<string | null> => {
    if (store.accounts.length === 0) return null;
    const read = await readCodexAuth(codexHome);
    if (read.kind !== "ok" || ownerOf(store, read.auth)) return null;
    return foreignDetail(codexAuthFile(codexHome), identityFromAuth(read.auth).email ?? null);
  };
  return {
    async active() {
      const store = readAccounts(home);
      return (await foreignLogin(store)) ? null : store.active;
    },
    async syncBack() {
      // No accounts stored: nothing to sync into, and no reason to take the lock on every restart.
      if (readAccounts(home).accounts.length === 0) return;
      const r = await syncBack({ home, codexHome, lock: lockOptionsFrom(config) });
      // Worth a log line only when something was stored or could not be: a login outside the store
      // (no accounts configured) is the normal case for users who never added any.
      if (r.status === "synced" || r.status === "stale" || r.status === "unreadable") await event("sync", { result: describeSync(r) });
    },
    async plan(leaving, leavingBusyUntil = null): Promise<RotationPlan> {
      const store = readAccounts(home);
      const foreign = await foreignLogin(store);
      if (foreign) return { kind: "foreign", detail: foreign };
      const now = Date.now();
      const choice = chooseSuccessor(store.accounts, { leaving, now, rotateAtRemainingPercent: rotateAt });
      if (!choice.none) return { kind: "switch", from: leaving, to: choice.account.name };
      // Nobody has room: the enabled account that frees up first (the one left included).
      let earliest: { account: string; resetsAt: number } | null = null;
      for (const a of store.accounts) {
        if (!a.enabled) continue;
        let at = availableAt(a, now, rotateAt);
        if (a.name === leaving && at !== null && leavingBusyUntil != null) at = Math.max(at, leavingBusyUntil);
        if (at !== null && (earliest === null || at < earliest.resetsAt)) earliest = { account: a.name, resetsAt: at };
      }
      return { kind: "none", earliest };
    },
    async switchTo(to, from, coolDownUntil): Promise<SwitchResult> {
      if (from && coolDownUntil !== null) await markCoolingDown(home, from, coolDownUntil, lockOptionsFrom(config));
      // activate() syncs codex's refreshed tokens back into `from` before it replaces auth.json, and
      // refuses (under the lock, so no race) to replace a login that belongs to no stored account.
      try {
        const r = await activate({ home, codexHome, name: to, lock: lockOptionsFrom(config) });
        await event("sync", { result: describeSync(r.sync) });
        return { kind: "switched" };
      } catch (err) {
        if (!(err instanceof ForeignLoginError)) throw err;
        const read = await readCodexAuth(codexHome);
        return { kind: "foreign", detail: foreignDetail(codexAuthFile(codexHome), read.kind === "ok" ? (identityFromAuth(read.auth).email ?? null) : null) };
      }
    },
  };
}

function foreignDetail(file: string, email: string | null): string {
  return `${file} holds a login that is in no stored account${email ? ` (${email})` : ""}`;
}
