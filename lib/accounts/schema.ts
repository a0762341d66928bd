// The shape of `<home>/accounts.json` and of the auth.json blob codex reads, with hand-written
// validators. Validation lives here (no I/O) so the store, the CLI and activation share one definition.
//
// The auth blob is kept as a *loose* object: codex may add fields in a later version, and whatever it
// wrote into CODEX_HOME/auth.json must round-trip through our store byte-for-byte in meaning.
//
// Why not zod: this module is on the supervised launch path (the session reads the store at start),
// and importing zod (~95 modules with its locales) plus building the schemas cost ~50-70 ms of every
// supervised `codex` start. The validators keep zod's semantics (strip unknown keys on plain
// objects, keep them on loose ones, defaults, a cross-field rule that runs only on an otherwise valid
// value) and its `safeParse` result shape; test/accounts/schema-zod.test.ts holds them against the
// former zod schemas on random documents so the verdicts cannot drift apart.

export const STORE_SCHEMA_VERSION = 1;

/** Account names are used on the command line and in notices: keep them short and shell-friendly. */
export const ACCOUNT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

// ---- the validator kit (private) ----

/** One problem: where (a JSON path) and what was expected — never the offending value (it may be a secret). */
export interface SchemaIssue {
  path: (string | number)[];
  message: string;
}

/** What `safeParse` returns, in zod's shape so callers read `.success`, `.data` and `.error.issues`. */
export type SafeParseResult<T> = { success: true; data: T } | { success: false; error: SchemaError };

export interface SchemaError {
  issues: SchemaIssue[];
}

export interface Schema<T> {
  safeParse(value: unknown): SafeParseResult<T>;
}

const MISSING = Symbol("missing");
/** Validate `value` at `path`; push issues and return the output (anything when issues were pushed). */
type Check<T> = (value: unknown, path: (string | number)[], issues: SchemaIssue[]) => T;

function schemaOf<T>(check: Check<T>): Schema<T> {
  return {
    safeParse(value) {
      const issues: SchemaIssue[] = [];
      const data = check(value, [], issues);
      return issues.length === 0 ? { success: true, data } : { success: false, error: { issues } };
    },
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number" && Number.isNaN(v)) return "NaN";
  return typeof v;
}

/** "expected X, received <type>" — the type only, never the value. */
function expectedType(expected: string, v: unknown, path: (string | number)[], issues: SchemaIssue[]): void {
  issues.push({ path, message: v === MISSING ? `required: expected ${expected}` : `expected ${expected}, received ${typeName(v)}` });
}

function leaf<T>(expected: string, accepts: (v: unknown) => v is T): Check<T> {
  return (v, path, issues) => {
    if (!accepts(v)) expectedType(expected, v, path, issues);
    return v as T;
  };
}

const str = leaf("a string", (v): v is string => typeof v === "string");
const nonEmpty = leaf("a non-empty string", (v): v is string => typeof v === "string" && v.length > 0);
const finite = leaf("a finite number", (v): v is number => typeof v === "number" && Number.isFinite(v));
const bool = leaf("true or false", (v): v is boolean => typeof v === "boolean");

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** RFC 3339 date-time with seconds and a zone (Z or ±hh:mm), on a real calendar day. */
function isIsoDateTime(v: unknown): v is string {
  if (typeof v !== "string") return false;
  const m = DATETIME_RE.exec(v);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}
const isoDate = leaf("an ISO 8601 date-time with seconds and a time zone (e.g. 2025-01-01T00:00:00.000Z)", isIsoDateTime);

function optional<T>(inner: Check<T>): Check<T | undefined> {
  return (v, path, issues) => (v === undefined || v === MISSING ? undefined : inner(v, path, issues));
}
function nullish<T>(inner: Check<T>): Check<T | null | undefined> {
  return (v, path, issues) => (v === undefined || v === MISSING ? undefined : v === null ? null : inner(v, path, issues));
}
function withDefault<T>(inner: Check<T>, make: () => T): Check<T> {
  return (v, path, issues) => (v === undefined || v === MISSING ? make() : inner(v, path, issues));
}

type Shape = Record<string, Check<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: S[K] extends Check<infer T> ? T : never };

/**
 * An object with the keys of `shape`, in shape order. A key absent from the input stays absent unless
 * its check supplies a default; `loose` keeps unknown keys (after the known ones), otherwise they are
 * dropped. `refine` runs only when the object itself had no problem.
 */
function object<S extends Shape>(shape: S, opts: { loose?: boolean; refine?: (o: Out<S>, path: (string | number)[], issues: SchemaIssue[]) => void } = {}): Check<Out<S>> {
  const keys = Object.keys(shape);
  return (v, path, issues) => {
    if (!isPlainObject(v)) {
      expectedType("an object", v, path, issues);
      return v as Out<S>;
    }
    const before = issues.length;
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const present = Object.hasOwn(v, k);
      const r = shape[k]!(present ? v[k] : MISSING, [...path, k], issues);
      if (present || r !== undefined) out[k] = r;
    }
    if (opts.loose) for (const k of Object.keys(v)) if (!Object.hasOwn(shape, k)) out[k] = v[k];
    if (opts.refine && issues.length === before) opts.refine(out as Out<S>, path, issues);
    return out as Out<S>;
  };
}

function array<T>(item: Check<T>): Check<T[]> {
  return (v, path, issues) => {
    if (!Array.isArray(v)) {
      expectedType("an array", v, path, issues);
      return v as T[];
    }
    return v.map((x, i) => item(x, [...path, i], issues));
  };
}

function oneOf<const T extends readonly (string | number)[]>(values: T): Check<T[number]> {
  const expected = values.map((x) => JSON.stringify(x)).join(" or ");
  return (v, path, issues) => {
    if (!values.includes(v as T[number])) {
      issues.push({ path, message: v === MISSING ? `required: expected ${expected}` : `expected ${expected}` });
    }
    return v as T[number];
  };
}

// ---- the schemas ----

export interface Tokens {
  id_token: string;
  access_token: string;
  refresh_token: string;
  account_id?: string | null | undefined;
  [key: string]: unknown;
}

const tokens: Check<Tokens> = object(
  { id_token: nonEmpty, access_token: nonEmpty, refresh_token: nonEmpty, account_id: nullish(str) },
  { loose: true },
) as Check<Tokens>;
export const TokensSchema: Schema<Tokens> = schemaOf(tokens);

export interface AuthBlob {
  auth_mode?: string | null | undefined;
  OPENAI_API_KEY?: string | null | undefined;
  tokens?: Tokens | null | undefined;
  last_refresh?: string | null | undefined;
  [key: string]: unknown;
}

const authBlob: Check<AuthBlob> = object(
  { auth_mode: nullish(str), OPENAI_API_KEY: nullish(str), tokens: nullish(tokens), last_refresh: nullish(str) },
  {
    loose: true,
    refine: (a, path, issues) => {
      if (a.tokens == null && !(typeof a.OPENAI_API_KEY === "string" && a.OPENAI_API_KEY.length > 0)) {
        issues.push({ path, message: "holds neither `tokens` (ChatGPT login) nor a non-empty `OPENAI_API_KEY`" });
      }
    },
  },
) as Check<AuthBlob>;
export const AuthBlobSchema: Schema<AuthBlob> = schemaOf(authBlob);

export type AccountKind = "chatgpt" | "api-key";
const accountKind: Check<AccountKind> = oneOf(["chatgpt", "api-key"] as const);
export const AccountKindSchema: Schema<AccountKind> = schemaOf(accountKind);

export interface Identity {
  email?: string | undefined;
  plan?: string | undefined;
  accountId?: string | undefined;
  userId?: string | undefined;
}
const identity: Check<Identity> = object({ email: optional(str), plan: optional(str), accountId: optional(str), userId: optional(str) });
export const IdentitySchema: Schema<Identity> = schemaOf(identity);

/** Last seen usage of the 5 h (primary) and 7 d (secondary) windows; times are ISO strings. */
export interface Usage {
  primaryUsedPercent?: number | undefined;
  primaryWindowMinutes?: number | undefined;
  primaryResetsAt?: string | undefined;
  secondaryUsedPercent?: number | undefined;
  secondaryWindowMinutes?: number | undefined;
  secondaryResetsAt?: string | undefined;
  observedAt?: string | undefined;
}
const usage: Check<Usage> = object({
  primaryUsedPercent: optional(finite),
  primaryWindowMinutes: optional(finite),
  primaryResetsAt: optional(isoDate),
  secondaryUsedPercent: optional(finite),
  secondaryWindowMinutes: optional(finite),
  secondaryResetsAt: optional(isoDate),
  observedAt: optional(isoDate),
});
export const UsageSchema: Schema<Usage> = schemaOf(usage);

export interface Account {
  name: string;
  kind: AccountKind;
  auth: AuthBlob;
  identity: Identity;
  usage: Usage;
  enabled: boolean;
  coolingDownUntil?: string | undefined;
  addedAt: string;
  lastUsedAt?: string | undefined;
}
const accountName = leaf("an account name (letters, digits and ._@+-, starting with a letter or digit, at most 64 characters)", (v): v is string => typeof v === "string" && ACCOUNT_NAME_RE.test(v));
const account: Check<Account> = object({
  name: accountName,
  kind: accountKind,
  auth: authBlob,
  identity: withDefault(identity, () => ({})),
  usage: withDefault(usage, () => ({})),
  enabled: withDefault(bool, () => true),
  coolingDownUntil: optional(isoDate),
  addedAt: isoDate,
  lastUsedAt: optional(isoDate),
});
export const AccountSchema: Schema<Account> = schemaOf(account);

export interface AccountsFile {
  schemaVersion: typeof STORE_SCHEMA_VERSION;
  active: string | null;
  accounts: Account[];
}
const accountsFile: Check<AccountsFile> = object(
  {
    schemaVersion: oneOf([STORE_SCHEMA_VERSION] as const),
    active: withDefault(nullish(str), () => null) as Check<string | null>,
    accounts: array(account),
  },
  {
    refine: (f, path, issues) => {
      const seen = new Set<string>();
      for (const a of f.accounts) {
        if (seen.has(a.name)) issues.push({ path: [...path, "accounts"], message: `duplicate account name '${a.name}'` });
        seen.add(a.name);
      }
      if (f.active !== null && !seen.has(f.active)) {
        issues.push({ path: [...path, "active"], message: `active account '${f.active}' is not in the list` });
      }
    },
  },
);
export const AccountsFileSchema: Schema<AccountsFile> = schemaOf(accountsFile);

export function emptyAccountsFile(): AccountsFile {
  return { schemaVersion: STORE_SCHEMA_VERSION, active: null, accounts: [] };
}

/** One line per problem, with the JSON path — and never the offending value (it may be a secret). */
export function describeIssues(error: SchemaError): string {
  return error.issues
    .map((i) => {
      const where = i.path.length > 0 ? i.path.map(String).join(".") : "(top level)";
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
