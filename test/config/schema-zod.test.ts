// The config checks are hand-written (lib/config/schema.ts keeps zod off the supervised launch path).
// This holds them against the zod schemas they replaced, on random values: same verdict for every
// field, and for whole config.json documents the same verdict and the same fields blamed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CONFIG_FIELD_NAMES, CONFIG_FIELDS, configFileSchema, type ConfigField } from "../../lib/config/schema.js";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

const ms = (min: number) => z.number().int().min(min).max(24 * 60 * 60 * 1000);
/** The zod schemas as they were before the hand-written checks (commit 0486197). */
const REFERENCE: Record<ConfigField, z.ZodType> = {
  codexCliSessionSupervisor: z.boolean(),
  realCodexBin: z.string().min(1).nullable(),
  sigintWaitMs: ms(0),
  sigtermWaitMs: ms(0),
  lockStaleMs: ms(2000),
  lockUpdateMs: ms(1000),
  crashRestartMax: z.number().int().min(0).max(1000),
  crashRestartWindowMs: ms(1000),
  crashBackoffMs: ms(0),
  crashBackoffMaxMs: ms(0),
  rotateAtRemainingPercent: z.number().min(0).max(100),
  preselectAtRemainingPercent: z.number().min(0).max(100),
  whenAllExhausted: z.enum(["wait", "stay"]),
};
const referenceFile = z.strictObject(Object.fromEntries(CONFIG_FIELD_NAMES.map((f) => [f, REFERENCE[f].optional()])));

/** Values at and around every range edge, of every JSON type, plus what JSON cannot carry. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 1 }),
  fc.constantFrom(-1, 0, 1, 99.5, 100, 100.0001, 999, 1000, 1001, 1999, 2000, 86_400_000, 86_400_001, 1.5, -0, 2 ** 53, NaN, Infinity, -Infinity),
  fc.integer({ min: -10, max: 90_000_000 }),
  fc.double(),
  fc.constantFrom("", "wait", "stay", "WAIT", " wait", "/usr/bin/codex", null, true, false, undefined),
);

describe("hand-written config checks agree with the zod reference", () => {
  it("every field: same verdict on any value", () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONFIG_FIELD_NAMES), value, (f, v) => {
        expect(CONFIG_FIELDS[f].schema.safeParse(v).success, `${f} = ${fc.stringify(v)}`).toBe(REFERENCE[f].safeParse(v).success);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it("a whole config.json: same verdict, same fields blamed, same unknown keys", () => {
    const key = fc.oneof(fc.constantFrom(...CONFIG_FIELD_NAMES), fc.constantFrom("nope", "sigintWaitMS", "__proto__x"));
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (doc) => {
        const mine = configFileSchema.safeParse(doc);
        const ref = referenceFile.safeParse(doc);
        expect(mine.success).toBe(ref.success);
        if (!mine.success && !ref.success) {
          // As sets: zod may report one field twice (e.g. not whole and out of range), load.ts names it once per issue.
          const blamed = (issues: { code: string; path: PropertyKey[]; keys?: string[] }[]) =>
            [...new Set(issues.flatMap((i) => (i.code === "unrecognized_keys" ? (i.keys ?? []).map((k) => `unknown:${k}`) : [String(i.path[0])])))].sort();
          expect(blamed(mine.error.issues)).toEqual(blamed(ref.error.issues as never));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("not an object: rejected, as zod does", () => {
    for (const v of [null, [], "x", 1, true]) {
      expect(configFileSchema.safeParse(v).success).toBe(false);
      expect(referenceFile.safeParse(v).success).toBe(false);
    }
  });
});
