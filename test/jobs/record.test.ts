import { describe, expect, it } from "vitest";
import { isJobId, newJobId } from "../../lib/jobs/ids.js";
import { newJobRecord, parseJobRecord, RECORD_FIELD_CHECKS, toJsonView } from "../../lib/jobs/record.js";
import { jobRecordSchema } from "../../lib/jobs/record-schema.js";
import { fakeRef } from "./helpers.js";

describe("job ids", () => {
  it("follow s-/j-<yyyymmdd>-<8 hex> with the local date", () => {
    const d = new Date(2025, 0, 9, 23, 59);
    expect(newJobId("session", d, Buffer.from([0xde, 0xad, 0xbe, 0xef]))).toBe("s-20250109-deadbeef");
    expect(newJobId("job", d, Buffer.from([0, 1, 2, 3]))).toBe("j-20250109-00010203");
    const random = new Set(Array.from({ length: 200 }, () => newJobId("job")));
    expect(random.size).toBe(200);
    for (const id of random) expect(isJobId(id)).toBe(true);
  });
  it("reject anything that is not an id (ids become file names)", () => {
    for (const bad of ["", "s-2025-deadbeef", "x-20250109-deadbeef", "s-20250109-DEADBEEF", "../s-20250109-deadbeef", "s-20250109-deadbeef.json"]) {
      expect(isJobId(bad)).toBe(false);
    }
  });
});

const base = () =>
  newJobRecord(
    { id: "s-20250109-deadbeef", kind: "session", supervisor: fakeRef(100), child: fakeRef(101), cwd: "/w", argv: ["codex", "hi"], name: "n" },
    new Date("2025-01-09T10:00:00Z"),
  );

describe("record schema", () => {
  it("accepts a fresh record and keeps fields written by a newer version", () => {
    const r = { ...base(), futureField: { x: 1 } };
    const p = parseJobRecord(JSON.parse(JSON.stringify(r)));
    expect(p.ok).toBe(true);
    expect(p.ok && (p.record as Record<string, unknown>).futureField).toEqual({ x: 1 });
  });

  // One wrong value per field; each must be reported by name.
  const wrong: Record<string, unknown> = {
    schemaVersion: 2,
    rev: -1,
    id: "nope",
    kind: "daemon",
    name: "",
    status: "zombie",
    supervisor: { pid: 0, identity: null },
    child: { pid: 5 },
    marker: "",
    cwd: 7,
    argv: "codex hi",
    sessionId: 3,
    rolloutPath: false,
    account: 1,
    restarts: 1.5,
    createdAt: "yesterday",
    updatedAt: null,
    endedAt: "soon",
    exitCode: "0",
    signal: 9,
    reason: [],
  };
  it("the table covers every field, and the hand-written checks and the zod schema list the same fields", () => {
    expect(Object.keys(wrong).sort()).toEqual(Object.keys(jobRecordSchema.shape).sort());
    expect(RECORD_FIELD_CHECKS.map(([f]) => f).sort()).toEqual(Object.keys(jobRecordSchema.shape).sort());
  });
  for (const [field, value] of Object.entries(wrong)) {
    it(`names "${field}" when it is wrong (and zod agrees it is wrong)`, () => {
      const bad = { ...base(), [field]: value };
      const p = parseJobRecord(bad);
      expect(p.ok).toBe(false);
      expect(!p.ok && p.problem).toMatch(new RegExp(`^field "${field}(\\.|")`));
      expect(jobRecordSchema.safeParse(bad).success).toBe(false);
    });
  }

  // Differential: many single-field mutations of a valid record; both validators must agree.
  const mutations: unknown[] = [0, -1, 1.5, 1e300, "", "x", "2025-01-09T10:00:00Z", null, true, [], ["a"], [1], {}, { pid: 1 },
    { pid: 3, identity: { pid: 3, startTicks: 0, bootId: "b" } }, { pid: 3, identity: { pid: 3, startTicks: -1, bootId: "b" } },
    "s-20250109-deadbeef", "running", "job", 1];
  it("agrees with the zod schema on every mutation of every field", () => {
    let checked = 0;
    for (const [field] of RECORD_FIELD_CHECKS) {
      for (const m of mutations) {
        const rec = { ...base(), [field]: m };
        const hand = parseJobRecord(rec).ok;
        const zod = jobRecordSchema.safeParse(rec).success;
        expect({ field, m, hand }).toEqual({ field, m, hand: zod });
        checked++;
      }
      const { [field]: _gone, ...missing } = base();
      expect(parseJobRecord(missing).ok).toBe(jobRecordSchema.safeParse(missing).success);
    }
    expect(checked).toBe(RECORD_FIELD_CHECKS.length * mutations.length);
  });
  it("names a missing field", () => {
    const { status: _s, ...rest } = base();
    const p = parseJobRecord(rest);
    expect(!p.ok && p.problem).toContain('field "status"');
  });
});

describe("toJsonView", () => {
  it("uses exactly the documented --json names (plus name, argv, endedAt)", () => {
    const v = toJsonView({ ...base(), sessionId: "sess", account: "a1", restarts: 2, exitCode: 0, status: "exited" });
    expect(Object.keys(v)).toEqual([
      "id", "kind", "name", "status", "sessionId", "account", "pid", "childPid", "restarts", "cwd", "argv",
      "createdAt", "updatedAt", "endedAt", "exitCode", "signal", "reason",
    ]);
    expect(v.pid).toBe(100);
    expect(v.childPid).toBe(101);
    expect(v.sessionId).toBe("sess");
    expect(toJsonView({ ...base(), child: null }).childPid).toBeNull();
  });
});
