// The accounts side of the supervisor loop (core.ts AccountPorts): a fresh snapshot for each
// decision, booking usage, the switch itself (activate.ts: store what auth.json holds under its
// owner, then replace it), and the sync-back after a child ended. Every write is one short hold of the
// storage lock inside the accounts modules; nothing here holds it while codex runs.
import type { Config } from "../config/schema.js";
import { activate, describeSync, ForeignLoginError, syncBack } from "../accounts/activate.js";
import { readAccounts } from "../accounts/store.js";
import { markCoolingDown, recordUsage } from "../accounts/usage.js";
import { lockOptionsFrom } from "../lock/storage-lock.js";
import type { AccountPorts } from "./core.js";
import { readLoginView } from "./login-view.js";

export function realAccountPorts(
  input: { home: string; codexHome: string; config: Config; rotationBlocked?: () => string | null },
  event: (type: string, data?: Record<string, unknown>) => void,
): AccountPorts {
  const { home, codexHome, config } = input;
  const lock = lockOptionsFrom(config);
  return {
    async snapshot() {
      const store = readAccounts(home);
      return { accounts: store.accounts, login: await readLoginView(codexHome, store), rotationBlocked: input.rotationBlocked?.() ?? null };
    },
    async recordUsage(account, limits, at) {
      await recordUsage(home, account, limits, at, lock, {}, config.rotateAtRemainingPercent);
    },
    async syncBack() {
      // No accounts stored: nothing to sync into, and no reason to take the lock on every restart.
      if (readAccounts(home).accounts.length === 0) return;
      const r = await syncBack({ home, codexHome, lock });
      if (r.status === "synced" || r.status === "stale" || r.status === "unreadable") event("sync", { result: describeSync(r) });
    },
    async switchTo(to, from, coolDownUntil) {
      if (from && coolDownUntil !== null) await markCoolingDown(home, from, coolDownUntil, lock);
      try {
        const r = await activate({ home, codexHome, name: to, lock });
        event("sync", { result: describeSync(r.sync) });
        return { kind: "switched" };
      } catch (err) {
        if (!(err instanceof ForeignLoginError)) throw err;
        return { kind: "foreign", detail: `${codexHome}/auth.json holds a login that is in no stored account` };
      }
    },
  };
}
