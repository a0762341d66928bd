import { describe, expect, it } from "vitest";
import { reconcile, type Liveness } from "../../lib/jobs/reconcile.js";
import { newJobRecord, type JobRecord, type JobStatus } from "../../lib/jobs/record.js";
import { fakeRef } from "./helpers.js";

const NOW = new Date("2025-01-09T12:00:00Z");
function rec(status: JobStatus, child = true): JobRecord {
  const r = newJobRecord(
    { id: "j-20250109-0000abcd", kind: "job", supervisor: fakeRef(123), child: child ? fakeRef(124) : null, cwd: "/", argv: [] },
    new Date("2025-01-09T11:00:00Z"),
  );
  return { ...r, status, rev: 7 };
}

type Row = { status: JobStatus; child?: boolean; l: Liveness; lost: boolean; note?: RegExp };
const rows: Row[] = [
  // active records
  { status: "running", l: { supervisor: "alive", child: "alive" }, lost: false },
  { status: "running", l: { supervisor: "alive", child: "gone" }, lost: false }, // the supervisor is between children
  { status: "running", l: { supervisor: "gone", child: "gone" }, lost: true, note: /supervisor pid 123 is gone \(last update .*\); child pid 124 is gone$/ },
  { status: "running", l: { supervisor: "reused", child: "gone" }, lost: true, note: /pid now belongs to another process/ },
  { status: "running", l: { supervisor: "gone", child: "reused" }, lost: true, note: /child pid 124 is gone \(the pid now belongs to another process\)/ },
  { status: "running", l: { supervisor: "gone", child: "alive" }, lost: false, note: /still running without it/ },
  { status: "starting", child: false, l: { supervisor: "gone", child: "none" }, lost: true, note: /no child process was recorded/ },
  { status: "starting", child: false, l: { supervisor: "alive", child: "none" }, lost: false },
  { status: "restarting", l: { supervisor: "reused", child: "reused" }, lost: true },
  // ended records never change, whatever runs under their old pids
  ...(["exited", "stopped", "failed", "lost"] as JobStatus[]).map((status) => ({ status, l: { supervisor: "gone", child: "gone" } as Liveness, lost: false })),
  { status: "exited", l: { supervisor: "alive", child: "alive" }, lost: false },
];

describe("reconcile (pure)", () => {
  it.each(rows)("$status with supervisor $l.supervisor, child $l.child → lost: $lost", ({ status, child, l, lost, note }) => {
    const input = rec(status, child ?? true);
    const r = reconcile(input, l, NOW);
    expect(r.changed).toBe(lost);
    if (lost) {
      expect(r.record.status).toBe("lost");
      expect(r.record.reason).toBe(r.reason);
      expect(r.record.endedAt).toBe(NOW.toISOString());
      expect(r.record.rev).toBe(8);
    } else {
      expect(r.record).toBe(input);
    }
    if (note) expect(r.reason).toMatch(note);
    else if (!lost) expect(r.reason).toBeNull();
  });
});
