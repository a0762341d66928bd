// Defence in depth for the event log and the job records: callers never pass secrets, but an error text or a codex
// message could still carry one (an API key in a failing command line, a JWT in an error body).
// Values under secret-looking keys and secret-shaped substrings are replaced before anything is written.

const SECRET_KEY = /(token|secret|password|passwd|api[_-]?key|authorization|cookie|credential)/i;
const SECRET_SHAPES: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI-style API keys
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs (id/access tokens)
  /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{16,}/gi,
];

export const REDACTED = "[redacted]";
/** Fields that hold a codex command line (`argv`, `initialArgv`, `resumeArgv`…). */
const ARGV_KEY = /argv$/i;

export function redactString(s: string): string {
  let out = s;
  for (const re of SECRET_SHAPES) out = out.replace(re, (m, bearer?: string) => (typeof bearer === "string" && /^bearer$/i.test(bearer) ? `${bearer} ${REDACTED}` : REDACTED));
  return out;
}

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
// Secrets reach it as option values: `-c model_providers.x.experimental_bearer_token=…`,
// `--config=…api_key=…`, or an option whose own name says token/secret/key (`--remote-auth-token-env X`).
// Those values are replaced; the rest (the prompt, paths, models) stays readable. A config key is judged
// by its last dotted segment, word-wise, so `model_max_output_tokens` (a count) stays visible.

const SECRET_WORD = /(?:^|[_-])(?:token|secret|password|passwd|api[_-]?key|apikey|authorization|cookie|credentials?|bearer)(?:$|[_-])/i;

/** Does a config key (`a.b.c`, maybe quoted segments) or an option name look like it holds a secret? */
export function isSecretName(name: string): boolean {
  const last = name.split(".").at(-1)!.replace(/^["']|["']$/g, "");
  return SECRET_WORD.test(last);
}

/** `key=value` with a secret-looking key → `key=[redacted]`; anything else unchanged. */
function redactConfigOverride(kv: string): string {
  const eq = kv.indexOf("=");
  if (eq <= 0) return kv;
  return isSecretName(kv.slice(0, eq).trim()) ? `${kv.slice(0, eq)}=${REDACTED}` : kv;
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
