// The accounts validators are hand-written (lib/accounts/schema.ts keeps zod off the supervised launch
// path). This holds them against the zod schemas they replaced (commit 4457524), on random documents:
// a valid store broken at one path (or two), random date-time strings and random auth blobs must get the
// same verdict, the same output (defaults filled, unknown keys dropped or kept, key order) when valid,
// and the same paths blamed when not.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AccountsFileSchema, ACCOUNT_NAME_RE, AuthBlobSchema, STORE_SCHEMA_VERSION, type AccountsFile } from "../../lib/accounts/schema.js";
import { account, apiKeyAuth, chatgptAuth } from "./fixtures.js";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

// ---- the reference: the former zod schemas, verbatim in meaning ----
const nonEmpty = z.string().min(1);
const RefTokens = z.looseObject({ id_token: nonEmpty, access_token: nonEmpty, refresh_token: nonEmpty, account_id: z.string().nullish() });
const RefAuthBlob = z
  .looseObject({ auth_mode: z.string().nullish(), OPENAI_API_KEY: z.string().nullish(), tokens: RefTokens.nullish(), last_refresh: z.string().nullish() })
  .refine((a) => a.tokens != null || (typeof a.OPENAI_API_KEY === "string" && a.OPENAI_API_KEY.length > 0), { message: "neither" });
const isoDate = z.iso.datetime({ offset: true });
const RefUsage = z.object({
  primaryUsedPercent: z.number().finite().optional(),
  primaryWindowMinutes: z.number().finite().optional(),
  primaryResetsAt: isoDate.optional(),
  secondaryUsedPercent: z.number().finite().optional(),
  secondaryWindowMinutes: z.number().finite().optional(),
  secondaryResetsAt: isoDate.optional(),
  observedAt: isoDate.optional(),
});
const RefIdentity = z.object({ email: z.string().optional(), plan: z.string().optional(), accountId: z.string().optional(), userId: z.string().optional() });
const RefAccount = z.object({
  name: z.string().regex(ACCOUNT_NAME_RE),
  kind: z.enum(["chatgpt", "api-key"]),
  auth: RefAuthBlob,
  identity: RefIdentity.default({}),
  usage: RefUsage.default({}),
  enabled: z.boolean().default(true),
  coolingDownUntil: isoDate.optional(),
  addedAt: isoDate,
  lastUsedAt: isoDate.optional(),
});
const RefFile = z
  .object({ schemaVersion: z.literal(STORE_SCHEMA_VERSION), active: z.string().nullable().default(null), accounts: z.array(RefAccount) })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    for (const a of f.accounts) {
      if (seen.has(a.name)) ctx.addIssue({ code: "custom", message: "dup", path: ["accounts"] });
      seen.add(a.name);
    }
    if (f.active !== null && !seen.has(f.active)) ctx.addIssue({ code: "custom", message: "active", path: ["active"] });
  });

// ---- generators ----
const pad = (n: number, w: number) => String(n).padStart(w, "0");
/** Date-times near and across every rule of RFC 3339 as zod reads it (calendar, leap years, zones, seconds). */
const dateTime: fc.Arbitrary<string> = fc
  .record({
    y: fc.constantFrom(1900, 2000, 2023, 2024, 2100, 2400, 9999, 0),
    mo: fc.integer({ min: 0, max: 13 }),
    d: fc.integer({ min: 0, max: 32 }),
    h: fc.integer({ min: 0, max: 24 }),
    mi: fc.integer({ min: 0, max: 60 }),
    s: fc.option(fc.integer({ min: 0, max: 60 })),
    frac: fc.constantFrom("", ".0", ".123", ".123456789", "."),
    zone: fc.constantFrom("Z", "z", "", "+00:00", "-23:59", "+24:00", "+0100", "+01", "+01:60"),
    sep: fc.constantFrom("T", "T", "t", " "),
  })
  .map((p) => `${pad(p.y, 4)}-${pad(p.mo, 2)}-${pad(p.d, 2)}${p.sep}${pad(p.h, 2)}:${pad(p.mi, 2)}${p.s === null ? "" : `:${pad(p.s, 2)}`}${p.s === null ? "" : p.frac}${p.zone}`);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  dateTime,
  fc.constantFrom(-1, 0, 1.5, 1e300, NaN, Infinity, "", " ", "chatgpt", "api-key", "x".repeat(70), "ok-name", null, true, false, [], {}),
  fc.constant(undefined),
);

const validStore = (): AccountsFile => ({
  schemaVersion: 1,
  active: "alice",
  accounts: [
    account("alice", {
      kind: "chatgpt",
      auth: { ...chatgptAuth("alice"), future_field: { x: 1 } },
      identity: { email: "alice@example.com", plan: "plus" },
      usage: { primaryUsedPercent: 10, primaryResetsAt: "2025-01-01T05:00:00.000Z", observedAt: "2025-01-01T00:00:00+02:00" },
      lastUsedAt: "2025-01-01T00:00:00.000Z",
    }),
    account("bob", { auth: apiKeyAuth("bob") }),
  ],
});

const paths = [
  "schemaVersion",
  "active",
  "accounts",
  "extra",
  ...["name", "kind", "auth", "identity", "usage", "enabled", "coolingDownUntil", "addedAt", "lastUsedAt", "extra"].flatMap((k) => [`accounts.0.${k}`, `accounts.1.${k}`]),
  ...["email", "plan", "extra"].map((k) => `accounts.0.identity.${k}`),
  ...["primaryUsedPercent", "primaryWindowMinutes", "primaryResetsAt", "observedAt", "extra"].map((k) => `accounts.0.usage.${k}`),
  ...["auth_mode", "OPENAI_API_KEY", "tokens", "last_refresh", "extra"].map((k) => `accounts.1.auth.${k}`),
  ...["id_token", "access_token", "refresh_token", "account_id", "extra"].map((k) => `accounts.0.auth.tokens.${k}`),
];

function mutate(doc: unknown, dotted: string, value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const keys = dotted.split(".");
  let o: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null) return copy; // an earlier mutation replaced the parent
    o = o[k] as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (value === undefined && Math.random() < 0.5) delete o[last];
  else o[last] = value;
  return copy;
}

/** The verdict, the output as JSON text (key order included) and the blamed paths, as one comparable value. */
function outcome(r: { success: true; data: unknown } | { success: false; error: { issues: { path: PropertyKey[] }[] } }) {
  return r.success
    ? { ok: true, data: JSON.stringify(r.data) }
    : { ok: false, paths: [...new Set(r.error.issues.map((i) => i.path.map(String).join(".")))].sort() };
}

describe("hand-written accounts validators agree with the zod reference", () => {
  it("the fixture store is valid for both, with the same output", () => {
    expect(outcome(AccountsFileSchema.safeParse(validStore()))).toEqual(outcome(RefFile.safeParse(validStore()) as never));
    expect(outcome(AccountsFileSchema.safeParse(validStore())).ok).toBe(true);
  });

  it("a store broken at one or two paths: same verdict, same output, same paths blamed", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), anyValue), { minLength: 1, maxLength: 2 }), (edits) => {
        let doc: unknown = validStore();
        for (const [p, v] of edits) doc = mutate(doc, p, v);
        expect(outcome(AccountsFileSchema.safeParse(doc))).toEqual(outcome(RefFile.safeParse(doc) as never));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("date-time strings: same verdict as z.iso.datetime({ offset: true })", () => {
    fc.assert(
      fc.property(fc.oneof(dateTime, fc.string()), (s) => {
        const doc = mutate(validStore(), "accounts.0.addedAt", s);
        expect(AccountsFileSchema.safeParse(doc).success, s).toBe(RefFile.safeParse(doc).success);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("auth blobs: same verdict, output and paths", () => {
    const blob = fc.record(
      { auth_mode: anyValue, OPENAI_API_KEY: anyValue, tokens: fc.oneof(anyValue, fc.record({ id_token: anyValue, access_token: anyValue, refresh_token: anyValue, account_id: anyValue }, { requiredKeys: [] })), last_refresh: anyValue, other: anyValue },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(blob, anyValue), (b) => {
        expect(outcome(AuthBlobSchema.safeParse(b))).toEqual(outcome(RefAuthBlob.safeParse(b) as never));
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
