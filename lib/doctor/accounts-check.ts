// `doctor`'s accounts check: rotation needs at least two enabled accounts, so a user who opted in
// with fewer gets a warning (the supervisor still resumes after crashes, but cannot rotate).
import type { LoadedConfig } from "../config/load.js";
import { parseSwitch } from "../config/opt-in.js";
import { DomainError } from "../errors.js";
import { readAccounts } from "../accounts/store.js";
import type { Env } from "../paths.js";
import type { Finding } from "./finding.js";

const ADD = "codex-supervisor accounts add <name>";

/** Opted in as the shim would decide: the config with its CODEX_AUTH_* overrides, else the variable alone. */
function optedIn(env: Env, loaded: LoadedConfig | null): boolean {
  if (loaded) return loaded.config.codexCliSessionSupervisor;
  const raw = env.CODEX_AUTH_CLI_SESSION_SUPERVISOR;
  return raw !== undefined && parseSwitch(raw) === true;
}

export function checkAccounts(env: Env, home: string, loaded: LoadedConfig | null): Finding[] {
  let store;
  try {
    store = readAccounts(home);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return [{ check: "accounts", level: "fail", message: err.message, fix: "repair or move the file named above (it was not changed)" }];
  }
  const enabled = store.accounts.filter((a) => a.enabled);
  const counts = `${store.accounts.length} account(s), ${enabled.length} enabled`;
  const on = optedIn(env, loaded);
  if (on && enabled.length < 2) {
    const what = store.accounts.length === 0 ? "no accounts" : `only ${enabled.length} enabled account${enabled.length === 1 ? "" : "s"} (${counts})`;
    return [{ check: "accounts", level: "warn", message: `supervisor on with ${what}: rotation needs at least two, so a session at its limit cannot move on`, fix: `add one with \`${ADD}\`${store.accounts.length > enabled.length ? " or `codex-supervisor accounts enable <name>`" : ""}` }];
  }
  if (store.accounts.length > 0 && store.active === null) {
    return [{ check: "accounts", level: "warn", message: `${counts}, none active: codex starts with whatever login CODEX_HOME/auth.json holds`, fix: "codex-supervisor accounts use <name>" }];
  }
  return [{ check: "accounts", level: "ok", message: store.accounts.length === 0 ? "no accounts (rotation off; the supervisor still resumes after crashes)" : `${counts}${store.active ? `, active: ${store.active}` : ""}` }];
}
