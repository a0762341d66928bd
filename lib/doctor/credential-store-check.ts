// doctor: where codex keeps its login. Rotation and `accounts use` swap CODEX_HOME/auth.json, which
// codex reads only with the file credential store (its default).
import { CREDENTIAL_STORE_KEY, codexConfigFile, readCredentialStore, storeProblem } from "../accounts/credential-store.js";
import { readAccounts } from "../accounts/store.js";
import { codexHome, supervisorHome, type Env } from "../paths.js";
import type { Finding } from "./finding.js";

export function checkCredentialStore(env: Env): Finding[] {
  const home = codexHome(env);
  const s = readCredentialStore(home);
  if (s.mode === "file") {
    const how = s.source === "default" ? "codex's default file store" : `${CREDENTIAL_STORE_KEY} = "file" in ${codexConfigFile(home)}`;
    return [{ check: "credentials", level: "ok", message: `codex keeps its login in ${home}/auth.json (${how})` }];
  }
  let accounts = 0;
  try {
    accounts = readAccounts(supervisorHome(env)).accounts.length;
  } catch {
    accounts = 1; // a store exists, even if unreadable: the user means to rotate
  }
  const { problem, fix } = storeProblem(s, home)!;
  // Invalid: codex itself refuses to start. With accounts stored, rotation silently cannot work.
  const level = s.mode === "invalid" || (accounts > 0 && s.mode !== "unknown") ? "fail" : "warn";
  return [{ check: "credentials", level, message: `${problem}: account rotation and \`accounts use\` cannot work`, fix }];
}
