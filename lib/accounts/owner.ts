// Does an auth.json blob belong to the same login as a stored one? Sync-back must only copy what codex
// wrote back into the account that owns it: copying another login's tokens over an account would lose
// that account's (single-use) refresh token for good. Pure.
import { identityFromAuth } from "./jwt.js";
import { accountKindOf, type AuthBlob } from "./schema.js";

export type Ownership = "same" | "different";

/**
 * "same" only when we can tell positively:
 * - API keys: the same key (and no ChatGPT tokens, unless both carry the same login).
 * - ChatGPT: the same account id (tokens.account_id or the id_token claim), and — when both tokens
 *   name a user (user id, else email) — the same user (a team workspace shares one account id).
 *   Identical refresh tokens also prove it (codex rewrote only other fields).
 * Everything else (kinds differ, ids missing or different) is "different": never clobber on doubt.
 */
export function ownershipOf(candidate: AuthBlob, stored: AuthBlob): Ownership {
  const kc = accountKindOf(candidate);
  const ks = accountKindOf(stored);
  if (kc !== ks) return "different";
  if (kc === "api-key") {
    if (candidate.OPENAI_API_KEY !== stored.OPENAI_API_KEY) return "different";
    // A key next to ChatGPT tokens: those are someone's login too, so the blob is this account's
    // only if both carry the same one (never file a login under a key account by its key alone).
    if (!candidate.tokens && !stored.tokens) return "same";
    if (!candidate.tokens || !stored.tokens) return "different";
  }
  return chatgptOwnership(candidate, stored);
}

function chatgptOwnership(candidate: AuthBlob, stored: AuthBlob): Ownership {
  if (candidate.tokens && stored.tokens && candidate.tokens.refresh_token === stored.tokens.refresh_token) return "same";
  const a = identityFromAuth(candidate);
  const b = identityFromAuth(stored);
  if (!a.accountId || !b.accountId || a.accountId !== b.accountId) return "different";
  if (a.userId && b.userId) return a.userId === b.userId ? "same" : "different";
  if (a.email && b.email) return a.email.toLowerCase() === b.email.toLowerCase() ? "same" : "different";
  return "same";
}

/** Deep equality of two JSON values (auth blobs): does codex's file differ from what we stored? */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && sameJson(ra[k], rb[k]));
}
