// Where codex keeps its login: `cli_auth_credentials_store` in CODEX_HOME/config.toml (or a `-c`
// override) — "file" (CODEX_HOME/auth.json, codex's default), "keyring" (the OS keyring; auth.json is
// not used, and saving a login deletes it), "auto" (the keyring when available, else the file) or
// "ephemeral" (memory only). Account rotation swaps auth.json, so it needs the file store: with any
// other, a swap would change a file codex does not read. Pure functions over the text, and one reader.
import fs from "node:fs";
import path from "node:path";

export const CREDENTIAL_STORE_KEY = "cli_auth_credentials_store";
const MODES = ["file", "keyring", "auto", "ephemeral"] as const;
type CredentialStoreMode = (typeof MODES)[number];

type CredentialStore =
  | { mode: CredentialStoreMode; source: "default" | "config" | "override" }
  /** A value codex would not accept (it then refuses to start); shown as written, it is no secret. */
  | { mode: "invalid"; value: string; source: "config" | "override" }
  /** config.toml exists but cannot be read. */
  | { mode: "unknown"; reason: string; source: "config" };

/** A TOML string value (basic or literal), or null for anything else. */
function tomlStringValue(raw: string): string | null {
  const v = raw.trim();
  const basic = /^"((?:[^"\\]|\\.)*)"$/.exec(v);
  if (basic) {
    try {
      return JSON.parse(`"${basic[1]}"`) as string;
    } catch {
      return null;
    }
  }
  const literal = /^'([^']*)'$/.exec(v);
  return literal ? literal[1]! : null;
}

function classify(value: string, source: "config" | "override"): CredentialStore {
  return (MODES as readonly string[]).includes(value) ? { mode: value as CredentialStoreMode, source } : { mode: "invalid", value, source };
}

const KEY_LINE = new RegExp(`^\\s*(?:${CREDENTIAL_STORE_KEY}|"${CREDENTIAL_STORE_KEY}"|'${CREDENTIAL_STORE_KEY}')\\s*=(.*)$`);

/**
 * The top-level `cli_auth_credentials_store` of a config.toml text, or null when it is not set there.
 * A small scanner, not a TOML parser: keys after the first table header belong to that table, and
 * multi-line strings are skipped so a `[` inside one is not taken for a header.
 */
export function credentialStoreInToml(text: string): string | null {
  let inMultiline: '"""' | "'''" | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (inMultiline) {
      if (line.includes(inMultiline)) inMultiline = null;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith("[")) return null; // the first table: no more top-level keys
    const m = KEY_LINE.exec(line);
    if (m) {
      const value = m[1]!.replace(/\s+#.*$/, "");
      return tomlStringValue(value) ?? value.trim();
    }
    for (const q of ['"""', "'''"] as const) {
      const i = line.indexOf(q);
      if (i >= 0 && line.indexOf(q, i + 3) < 0) inMultiline = q;
    }
  }
  return null;
}

/** The value a `-c key=value` override sets for the store, or null when it is about another key. */
export function credentialStoreInOverride(override: string): string | null {
  const eq = override.indexOf("=");
  if (eq < 0 || override.slice(0, eq).trim() !== CREDENTIAL_STORE_KEY) return null;
  const raw = override.slice(eq + 1);
  // codex parses the value as TOML and falls back to the raw string.
  return tomlStringValue(raw) ?? raw.trim();
}

/** Which store codex uses, from config.toml's text (null: no file) and the `-c` override values, last wins. */
export function credentialStoreOf(configText: string | null, overrides: readonly string[] = []): CredentialStore {
  for (let i = overrides.length - 1; i >= 0; i--) {
    const v = credentialStoreInOverride(overrides[i]!);
    if (v !== null) return classify(v, "override");
  }
  const v = configText === null ? null : credentialStoreInToml(configText);
  return v === null ? { mode: "file", source: "default" } : classify(v, "config");
}

export const codexConfigFile = (codexHome: string) => path.join(codexHome, "config.toml");

/** Read CODEX_HOME/config.toml and decide. */
export function readCredentialStore(codexHome: string, overrides: readonly string[] = []): CredentialStore {
  const file = codexConfigFile(codexHome);
  let text: string | null;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") {
      const fromOverride = credentialStoreOf(null, overrides);
      return fromOverride.source === "override" ? fromOverride : { mode: "unknown", reason: `${file} cannot be read (${code ?? "error"})`, source: "config" };
    }
    text = null;
  }
  return credentialStoreOf(text, overrides);
}

function where(s: CredentialStore, codexHome: string): string {
  return s.source === "override" ? "-c on the command line" : codexConfigFile(codexHome);
}

/**
 * For the supervisor, before a rotation: null when codex reads its login from CODEX_HOME/auth.json
 * (the swap works), else the one line that says why rotation is refused and what to change.
 */
export function credentialStoreRefusal(codexHome: string, overrides: readonly string[] = []): string | null {
  return refusalFor(readCredentialStore(codexHome, overrides), codexHome);
}

/** The refusal line for a known store (pure; see credentialStoreRefusal). */
export function refusalFor(s: CredentialStore, codexHome: string): string | null {
  const p = storeProblem(s, codexHome);
  return p === null ? null : `not switching accounts: ${p.problem}; ${p.fix}`;
}

/** Why auth.json swaps do not reach codex with this store, and the fix; null for the file store. */
export function storeProblem(s: CredentialStore, codexHome: string): { problem: string; fix: string } | null {
  if (s.mode === "file") return null;
  const fix = `set ${CREDENTIAL_STORE_KEY} = "file" in ${codexConfigFile(codexHome)} to let codex-supervisor switch accounts`;
  if (s.mode === "unknown") return { problem: `cannot tell where codex keeps its login (${s.reason})`, fix: `make ${codexConfigFile(codexHome)} readable` };
  if (s.mode === "invalid") {
    return { problem: `${CREDENTIAL_STORE_KEY} = ${JSON.stringify(s.value)} (${where(s, codexHome)}) is not a store codex knows (file, keyring, auto, ephemeral)`, fix };
  }
  const what: Record<Exclude<CredentialStoreMode, "file">, string> = {
    keyring: "in the OS keyring",
    auto: "in the OS keyring when one is available",
    ephemeral: "in memory only",
  };
  return { problem: `codex keeps its login ${what[s.mode]} (${CREDENTIAL_STORE_KEY} = "${s.mode}", ${where(s, codexHome)}), not in CODEX_HOME/auth.json`, fix };
}
