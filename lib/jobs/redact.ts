// What we write about a job never carries a secret: the record's argv, every event, every error text.
// Callers never pass secrets on purpose, but a command line may hold a key in a config override and
// an error text or a codex message could still carry one. Values under secret-looking names and
// secret-shaped substrings are replaced before anything is written (what a secret looks like:
// lib/text/secrets.ts).
import { isSecretTableName, isSecretWordName, REDACTED, redactString } from "../text/secrets.js";
import { tomlLeaves, TomlSyntaxError } from "./toml-value.js";

export { REDACTED, redactString };

/** Event keys whose value is a secret (substring match: defence in depth for logged objects). */
const SECRET_KEY = /(token|secret|password|passwd|api[_-]?key|authorization|cookie|credential|bearer)/i;
/** Fields that hold a codex command line (`argv`, `initialArgv`, `resumeArgv`…). */
const ARGV_KEY = /argv$/i;

/** A deep copy of a JSON-able value with secrets replaced. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactString(value);
  if (depth > 20 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // A command line (the supervisor's `spawn` event, a record): option values need the argv rules.
    if (ARGV_KEY.test(k) && Array.isArray(v) && v.every((a) => typeof a === "string")) {
      out[k] = redactArgv(v as string[]);
      continue;
    }
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== "boolean" && typeof v !== "number" ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}

// ---- command lines ----
// A job's argv is the user's codex command line; it goes into the record, `ls --json` and `status`.
// Secrets reach it as option values: `-c model_providers.x.experimental_bearer_token=…`, an inline
// table `-c 'model_providers.x={experimental_bearer_token="…"}'`, headers
// `-c 'model_providers.x.http_headers={"X-Api-Key"="…"}'`, or an option whose own name says
// token/secret/key (`--remote-auth-token-env X`). Those values are replaced; the rest (the prompt,
// paths, models, the structure of a table) stays readable.

/** Does a config key path (`a.b.c`, maybe quoted segments) or an option name name a secret? */
export function isSecretName(name: string): boolean {
  return isSecretWordName(name) || keySegments(name).some(isSecretTableName);
}

function keySegments(key: string): string[] {
  return key.split(".").map((s) => s.trim().replace(/^["']|["']$/g, ""));
}

/**
 * Is a leaf under these keys a secret? Any key on the way naming one (`x.api_key`, `{bearer_token=…}`,
 * `env={GITHUB_TOKEN=…}`), or a header table above it (`http_headers`, `env_http_headers`).
 */
function secretPath(path: string[]): boolean {
  return path.some((k) => isSecretWordName(k) || isSecretTableName(k));
}

/**
 * The value of one override with every secret leaf replaced (pure). Unparsable TOML is what codex
 * takes as a plain string: then the whole value is the key's, and is replaced if the key, or any
 * word inside the value, names a secret (a malformed table must not leak what it holds).
 */
export function redactConfigValue(keyPath: string[], value: string): string {
  let leaves;
  try {
    leaves = tomlLeaves(value);
  } catch (err) {
    if (!(err instanceof TomlSyntaxError)) throw err;
    return secretPath(keyPath) || isSecretWordName(value) || /headers/i.test(value) ? REDACTED : value;
  }
  const whole = leaves.length === 1 && leaves[0]!.path.length === 0;
  if (whole && secretPath(keyPath) && !/^\s*(true|false)\s*$/.test(value)) return REDACTED;
  let out = "";
  let at = 0;
  for (const leaf of leaves) {
    if (!secretPath([...keyPath, ...leaf.path])) continue;
    const text = value.slice(leaf.start, leaf.end);
    if (text === "true" || text === "false") continue; // a switch is never a secret
    out += value.slice(at, leaf.start) + `"${REDACTED}"`;
    at = leaf.end;
  }
  return out + value.slice(at);
}

/** `key=value` with its secret parts replaced; anything without '=' unchanged. */
function redactConfigOverride(kv: string): string {
  const eq = kv.indexOf("=");
  if (eq <= 0) return kv;
  const key = kv.slice(0, eq);
  return `${key}=${redactConfigValue(keySegments(key), kv.slice(eq + 1))}`;
}

const CONFIG_LONG = "--config";

/**
 * A copy of a codex command line with secret values replaced (pure). Handles `-c k=v`, `-ck=v`,
 * `-c=k=v`, `--config k=v`, `--config=k=v`, and `--<secret-named-option> v` / `--<secret-named-option>=v`;
 * every element also goes through the secret-shape redaction (sk-…, JWTs, Bearer …). After `--`
 * only the shapes apply (those are prompts, not options).
 */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let options = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!options || !a.startsWith("-") || a === "-") {
      out.push(redactString(a));
      continue;
    }
    if (a === "--") {
      options = false;
      out.push(a);
      continue;
    }
    const next = argv[i + 1];
    if (a === "-c" || a === CONFIG_LONG) {
      out.push(a);
      if (next !== undefined) {
        out.push(redactString(redactConfigOverride(next)));
        i++;
      }
      continue;
    }
    if (a.startsWith(`${CONFIG_LONG}=`)) {
      out.push(`${CONFIG_LONG}=${redactString(redactConfigOverride(a.slice(CONFIG_LONG.length + 1)))}`);
      continue;
    }
    if (/^-c[^-]/.test(a)) {
      const rest = a.slice(2);
      const eqForm = rest.startsWith("=");
      out.push(`-c${eqForm ? "=" : ""}${redactString(redactConfigOverride(eqForm ? rest.slice(1) : rest))}`);
      continue;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = a.slice(2, eq < 0 ? undefined : eq);
      if (isSecretName(name)) {
        if (eq >= 0) out.push(`${a.slice(0, eq)}=${REDACTED}`);
        else {
          out.push(a);
          // The separate value form: the next element, unless it is another option.
          if (next !== undefined && !next.startsWith("-")) {
            out.push(REDACTED);
            i++;
          }
        }
        continue;
      }
    }
    out.push(redactString(a));
  }
  return out;
}
