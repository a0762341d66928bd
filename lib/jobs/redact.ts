// Defence in depth for the event log: callers never pass secrets, but an error text or a codex
// message could still carry one (an API key in a failing command line, a JWT in an error body).
// Values under secret-looking keys and secret-shaped substrings are replaced before anything is written.

const SECRET_KEY = /(token|secret|password|passwd|api[_-]?key|authorization|cookie|credential)/i;
const SECRET_SHAPES: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI-style API keys
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs (id/access tokens)
  /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{16,}/gi,
];

export const REDACTED = "[redacted]";

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
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== "boolean" && typeof v !== "number" ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}
