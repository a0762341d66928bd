// Who an auth blob belongs to, from the id_token claims codex itself reads — decoded locally, with no
// network and no signature check (we only label accounts and compare identities; codex and the server
// do the real verification). Claim names as in codex's login crate: top-level `email` (or
// `https://api.openai.com/profile`.email), and under `https://api.openai.com/auth`:
// `chatgpt_plan_type`, `chatgpt_account_id`, `chatgpt_user_id` (older tokens: `user_id`).
// Garbage in → empty identity out; this module never throws.
import type { AuthBlob, Identity } from "./schema.js";

const AUTH_CLAIM = "https://api.openai.com/auth";
const PROFILE_CLAIM = "https://api.openai.com/profile";

type Claims = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** The payload of a JWT (`header.payload.signature`, base64url), or null for anything else. */
export function decodeJwtPayload(token: unknown): Claims | null {
  if (typeof token !== "string") return null;
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) return null;
  const payload = parts[1]!;
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(payload)) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return isRecord(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** email / plan / account id / user id from an id_token; fields that are absent stay undefined. */
export function identityFromIdToken(idToken: unknown): Identity {
  const claims = decodeJwtPayload(idToken);
  if (!claims) return {};
  const auth = isRecord(claims[AUTH_CLAIM]) ? claims[AUTH_CLAIM] : {};
  const profile = isRecord(claims[PROFILE_CLAIM]) ? claims[PROFILE_CLAIM] : {};
  const id: Identity = {};
  const email = str(claims.email) ?? str(profile.email);
  const plan = str(auth.chatgpt_plan_type);
  const accountId = str(auth.chatgpt_account_id);
  const userId = str(auth.chatgpt_user_id) ?? str(auth.user_id);
  if (email) id.email = email;
  if (plan) id.plan = plan;
  if (accountId) id.accountId = accountId;
  if (userId) id.userId = userId;
  return id;
}

/** Identity of a whole auth blob: the id_token claims, with `tokens.account_id` preferred for the account. */
export function identityFromAuth(auth: AuthBlob): Identity {
  if (!auth.tokens) return {};
  const id = identityFromIdToken(auth.tokens.id_token);
  const acct = str(auth.tokens.account_id);
  if (acct) id.accountId = acct;
  return id;
}
