// Token lineage: of two copies of one login, which is newer, and storing a login under its account.
// Pure. A refresh token is single-use: storing an older copy over a newer one keeps a consumed token,
// and presenting it later logs the user out (the endpoint revokes the whole login). See
// docs/architecture.md §5 "Token lineage".
import { createHash } from "node:crypto";
import { DomainError } from "../errors.js";
import { decodeJwtPayload, identityFromAuth } from "./jwt.js";
import { ownershipOf, sameJson } from "./owner.js";
import { accountKindOf, type Account, type AuthBlob } from "./schema.js";

/** How many replaced refresh tokens an account remembers (a refresh a day is months of history). */
export const MAX_SUPERSEDED = 64;

/** A refresh token's tag in the store: a hash prefix, so the store keeps no extra live secret. */
export function refreshTokenTag(token: string): string {
  return `sha256:${createHash("sha256").update(token).digest("hex").slice(0, 32)}`;
}

/** Why one copy is the newer one, strongest evidence first. */
export type OrderProof =
  /** The other copy's refresh token is one the stored login already replaced. */
  | "lineage"
  /** Same refresh token, or no better evidence: the issuer's `iat` of the access tokens. */
  | "issued-at"
  /** codex's `last_refresh` (the refreshing machine's clock). */
  | "last-refresh"
  /** Nothing tells them apart: auth.json's copy is the one codex uses. */
  | "default";

export interface LoginOrder {
  newer: "candidate" | "stored";
  proof: OrderProof;
}

function issuedAt(a: AuthBlob): number | null {
  const iat = decodeJwtPayload(a.tokens?.access_token)?.iat;
  return typeof iat === "number" && Number.isFinite(iat) ? iat : null;
}

function refreshedAt(a: AuthBlob): number | null {
  if (typeof a.last_refresh !== "string") return null;
  const t = Date.parse(a.last_refresh);
  return Number.isFinite(t) ? t : null;
}

/** Later of two optional instants: "candidate" / "stored", or null when unknown or equal. */
function later(c: number | null, s: number | null): "candidate" | "stored" | null {
  if (c === null || s === null || c === s) return null;
  return c > s ? "candidate" : "stored";
}

/**
 * Which of two copies of ONE login (the caller has checked they have the same owner) is newer:
 * `candidate` (what auth.json holds) or `stored` (the store's copy, whose earlier refresh tokens are
 * `superseded`). Ties go to the candidate: it is what codex uses.
 */
export function newerLogin(candidate: AuthBlob, stored: AuthBlob, superseded: readonly string[]): LoginOrder {
  const crt = candidate.tokens?.refresh_token;
  const srt = stored.tokens?.refresh_token;
  if (crt && srt && crt !== srt && superseded.includes(refreshTokenTag(crt))) return { newer: "stored", proof: "lineage" };
  const byIssue = later(issuedAt(candidate), issuedAt(stored));
  if (byIssue) return { newer: byIssue, proof: "issued-at" };
  const byRefresh = later(refreshedAt(candidate), refreshedAt(stored));
  if (byRefresh) return { newer: byRefresh, proof: "last-refresh" };
  return { newer: "candidate", proof: "default" };
}

/** A login was about to be stored under an account it does not belong to: a bug, never done. */
export class LoginOwnerMismatchError extends DomainError {
  constructor(account: string) {
    super("integrity", `refusing to store a login under account '${account}': it belongs to another account`);
    this.name = "LoginOwnerMismatchError";
  }
}

/**
 * Store `auth` as `account`'s login (mutates it): the refresh token it replaces joins the lineage,
 * kind and identity labels follow the new tokens. Only a login of the same owner is accepted.
 */
export function storeLogin(account: Account, auth: AuthBlob): void {
  if (ownershipOf(auth, account.auth) !== "same") throw new LoginOwnerMismatchError(account.name);
  if (sameJson(account.auth, auth)) return;
  const before = account.auth.tokens?.refresh_token;
  const after = auth.tokens?.refresh_token;
  if (before && after && before !== after) {
    const afterTag = refreshTokenTag(after);
    const tags = [...(account.supersededRefreshTokens ?? []), refreshTokenTag(before)].filter((t, i, all) => t !== afterTag && all.indexOf(t) === i);
    account.supersededRefreshTokens = tags.slice(-MAX_SUPERSEDED);
  }
  account.auth = auth;
  account.kind = accountKindOf(auth);
  // A refresh can bring a new id_token (e.g. a plan change): keep the labels current.
  account.identity = { ...account.identity, ...identityFromAuth(auth) };
}
