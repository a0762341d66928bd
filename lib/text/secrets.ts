// What a secret looks like (pure): by the name it is stored under, and by its own shape. Shared by
// the redaction of records and logs (lib/jobs/redact.ts) and by what we echo back to users
// (user-text.ts), so both agree on what must never be shown.

export const REDACTED = "[redacted]";

/** Secret-shaped substrings, whatever they are called. */
const SECRET_SHAPES: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI-style API keys
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs (id/access tokens)
  /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{16,}/gi,
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,})/g,
];

/** `s` with every secret-shaped substring replaced (a `Bearer x` keeps its scheme word). */
export function redactString(s: string): string {
  let out = s;
  for (const re of SECRET_SHAPES) out = out.replace(re, (_m, bearer?: unknown) => (typeof bearer === "string" && /^bearer$/i.test(bearer) ? `${bearer} ${REDACTED}` : REDACTED));
  return out;
}

/**
 * Looks like a credential on its own: a known shape, or a long unbroken run of mixed-case letters
 * and digits (how keys and tokens look; names and ids do not mix all three at that length).
 */
export function looksLikeSecret(s: string): boolean {
  if (redactString(s) !== s) return true;
  if (/^sk-/i.test(s)) return true;
  for (const m of s.match(/[A-Za-z0-9_+/=.~-]{24,}/g) ?? []) {
    if (/[a-z]/.test(m) && /[A-Z]/.test(m) && /[0-9]/.test(m)) return true;
  }
  return false;
}

/** Words that make a key or option name hold a secret. `tokens` (a count) is deliberately not one. */
const SECRET_WORDS = new Set(["token", "secret", "secrets", "password", "passwd", "passphrase", "key", "apikey", "authorization", "bearer", "cookie", "credential", "credentials", "pat"]);

/** The words of a name: split at non-alphanumerics and camelCase humps, lower-cased (pure). */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Does one key or option name (`experimental_bearer_token`, `X-Api-Key`, `apiKey`) name a secret? */
export function isSecretWordName(name: string): boolean {
  const words = nameWords(name);
  // `env_key` names the environment variable that holds a key, not the key.
  if (words.some((w, i) => SECRET_WORDS.has(w) && !(w === "key" && words[i - 1] === "env"))) return true;
  // "api key" written as two words, "access token" etc. are caught above; "auth" alone is not a
  // secret (`requires_openai_auth = true`), but "auth" followed by a value word is.
  return words.some((w, i) => w === "auth" && (words[i + 1] === "header" || words[i + 1] === "value"));
}

/** Tables whose every value is a secret: HTTP headers carry credentials under any header name. */
export function isSecretTableName(name: string): boolean {
  const n = name.toLowerCase();
  return n === "http_headers" || n === "env_http_headers" || n === "headers";
}
