// The shape of `<home>/accounts.json` and of the auth.json blob codex reads, validated with zod
// (its tree-shakable "mini" build: the supervised launch loads this, and classic zod's 800 KB were
// most of its start-up). Validation lives here (no I/O) so the store, the CLI and activation share
// one definition.
//
// The auth blob is kept as a *loose* object: codex may add fields in a later version, and whatever it
// wrote into CODEX_HOME/auth.json must round-trip through our store byte-for-byte in meaning.
// Everything else in accounts.json is ours and *strict*: an unknown field (a typo by hand, or a newer
// version's field under the same schemaVersion) is an error naming it, like in config.json — a
// stripping parse would accept it and silently drop it on the next write.
import * as z from "zod/mini";
import { useZodMessages } from "../config/zod-messages.js";
import type { Usage } from "../quota/rate-limits.js";

useZodMessages();

/** 2 added `supersededRefreshTokens` and `releasedLogins`; a version-1 file reads as is and is written back as 2. */
export const STORE_SCHEMA_VERSION = 2;

/** Account names are used on the command line and in notices: keep them short and shell-friendly. */
export const ACCOUNT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

const nonEmpty = z.string().check(z.minLength(1));

const TokensSchema = z.looseObject({
  id_token: nonEmpty,
  access_token: nonEmpty,
  refresh_token: nonEmpty,
  account_id: z.nullish(z.string()),
});

export const AuthBlobSchema = z
  .looseObject({
    auth_mode: z.nullish(z.string()),
    OPENAI_API_KEY: z.nullish(z.string()),
    tokens: z.nullish(TokensSchema),
    last_refresh: z.nullish(z.string()),
  })
  .check(
    z.refine((a) => a.tokens != null || (typeof a.OPENAI_API_KEY === "string" && a.OPENAI_API_KEY.length > 0), {
      message: "holds neither `tokens` (ChatGPT login) nor a non-empty `OPENAI_API_KEY`",
    }),
  );

export type AuthBlob = z.infer<typeof AuthBlobSchema>;

const AccountKindSchema = z.enum(["chatgpt", "api-key"]);
type AccountKind = z.infer<typeof AccountKindSchema>;

const IdentitySchema = z.strictObject({
  email: z.optional(z.string()),
  plan: z.optional(z.string()),
  accountId: z.optional(z.string()),
  userId: z.optional(z.string()),
});
export type Identity = z.infer<typeof IdentitySchema>;

const isoDate = z.iso.datetime({ offset: true });
/** zod 4 numbers are finite: Infinity and NaN are rejected. */
const finite = z.number();

/** Last seen usage of the 5 h (primary) and 7 d (secondary) windows; times are ISO strings. */
const UsageSchema: z.ZodMiniType<Usage> = z.strictObject({
  primaryUsedPercent: z.optional(finite),
  primaryWindowMinutes: z.optional(finite),
  primaryResetsAt: z.optional(isoDate),
  secondaryUsedPercent: z.optional(finite),
  secondaryWindowMinutes: z.optional(finite),
  secondaryResetsAt: z.optional(isoDate),
  observedAt: z.optional(isoDate),
});
export type { Usage };

const AccountSchema = z.strictObject({
  name: z.string().check(z.regex(ACCOUNT_NAME_RE)),
  kind: AccountKindSchema,
  auth: AuthBlobSchema,
  identity: z._default(IdentitySchema, {}),
  usage: z._default(UsageSchema, {}),
  enabled: z._default(z.boolean(), true),
  coolingDownUntil: z.optional(isoDate),
  addedAt: isoDate,
  lastUsedAt: z.optional(isoDate),
  /**
   * Tags (lineage.ts refreshTokenTag: a hash, never the token) of the refresh tokens this login's
   * current one replaced, newest last: a copy holding one of them is older than the stored login.
   */
  supersededRefreshTokens: z.optional(z.array(z.string().check(z.regex(/^sha256:[0-9a-f]{32}$/)))),
});
export type Account = z.infer<typeof AccountSchema>;

export const AccountsFileSchema = z
  .strictObject({
    schemaVersion: z.union([z.literal(1), z.literal(STORE_SCHEMA_VERSION)]),
    active: z._default(z.nullable(z.string()), null),
    accounts: z.array(AccountSchema),
    /** Tags (adopt.ts loginTag) of logins `accounts remove` deleted while auth.json still held them. */
    releasedLogins: z.optional(z.array(z.string().check(z.regex(/^sha256:[0-9a-f]{32}$/)))),
  })
  .check(
    z.superRefine((f, ctx) => {
      const seen = new Set<string>();
      for (const a of f.accounts) {
        if (seen.has(a.name)) ctx.addIssue({ code: "custom", message: `duplicate account name '${a.name}'`, path: ["accounts"], input: f.accounts });
        seen.add(a.name);
      }
      if (f.active !== null && !seen.has(f.active)) {
        ctx.addIssue({ code: "custom", message: `active account '${f.active}' is not in the list`, path: ["active"], input: f.active });
      }
    }),
  );
export type AccountsFile = z.infer<typeof AccountsFileSchema>;

export function emptyAccountsFile(): AccountsFile {
  return { schemaVersion: STORE_SCHEMA_VERSION, active: null, accounts: [] };
}

/**
 * One line per problem, with the JSON path — and never the offending value (it may be a secret).
 * Unknown fields are named (a field name is not a secret) in config.json's wording.
 */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((i) => {
      const where = i.path.length > 0 ? i.path.map(String).join(".") : "(top level)";
      if (i.code === "unrecognized_keys") return i.keys.map((k) => `${where}: unknown field ${JSON.stringify(k)}`).join("; ");
      return `${where}: ${i.message}`;
    })
    .join("; ");
}

/** ChatGPT tokens win over a key when both are present: that is what codex uses (auth_mode "chatgpt"). */
export function accountKindOf(auth: AuthBlob): AccountKind {
  if (auth.tokens != null && auth.auth_mode !== "apikey") return "chatgpt";
  if (typeof auth.OPENAI_API_KEY === "string" && auth.OPENAI_API_KEY.length > 0) return "api-key";
  return "chatgpt";
}

/** Validate an auth.json blob; throws an Error whose message names the problem (not the value). */
export function parseAuthBlob(value: unknown): AuthBlob {
  const r = AuthBlobSchema.safeParse(value);
  if (!r.success) throw new Error(describeIssues(r.error));
  return r.data;
}
