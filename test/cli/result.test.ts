// `result` (lib/cli/commands/result.ts), its pure pieces: rendering and exit statuses, the last agent
// message from a rollout (argument parsing: test/cli/argv.test.ts).
import { describe, expect, it } from "vitest";
import { lastAgentMessageIn, renderResult, resultExitStatus } from "../../lib/cli/commands/result.js";
import { newJobRecord, type JobRecord } from "../../lib/jobs/record.js";

const ident = { pid: 10, startTicks: 5, bootId: "b" };
function rec(patch: Partial<JobRecord>): JobRecord {
  return { ...newJobRecord({ id: "j-20261120-0000abcd", kind: "job", supervisor: { pid: 10, identity: ident }, cwd: "/w", argv: ["exec", "x"] }), ...patch };
}

describe("result", () => {
  it("exit statuses: 0 success, 1 otherwise ended, 3 running, 4 lost", () => {
    expect(resultExitStatus(rec({ status: "exited", exitCode: 0 }))).toBe(0);
    expect(resultExitStatus(rec({ status: "exited", exitCode: 2 }))).toBe(1);
    expect(resultExitStatus(rec({ status: "stopped", signal: "SIGTERM" }))).toBe(1);
    expect(resultExitStatus(rec({ status: "failed" }))).toBe(1);
    for (const s of ["starting", "running", "restarting"] as const) expect(resultExitStatus(rec({ status: s }))).toBe(3);
    expect(resultExitStatus(rec({ status: "lost", reason: "gone" }))).toBe(4);
  });
  it("renders running, lost and finished jobs", () => {
    expect(renderResult(rec({ status: "running" }), null)).toContain("still running (running; supervisor pid 10");
    expect(renderResult(rec({ status: "lost", reason: "supervisor pid 10 is gone" }), null)).toContain("j-20261120-0000abcd: lost: supervisor pid 10 is gone");
    const done = renderResult(rec({ status: "exited", exitCode: 0, sessionId: "sid-1" }), { source: "rollout", text: "All tests pass." });
    expect(done).toBe(
      'j-20261120-0000abcd: exited (exit code 0)\nsession: sid-1 (continue with: codex exec resume sid-1 "<prompt>")\nlast message (from the session rollout):\nAll tests pass.\n',
    );
  });
  it("finds the last task_complete message, skipping later lines and a cut last line", () => {
    const line = (payload: object) => JSON.stringify({ timestamp: "t", type: "event_msg", payload });
    const text = [
      line({ type: "task_complete", turn_id: "1", last_agent_message: "first" }),
      line({ type: "task_started", turn_id: "2" }),
      line({ type: "task_complete", turn_id: "2", last_agent_message: "second" }),
      line({ type: "token_count", info: null, rate_limits: null }),
      '{"timestamp":"t","type":"event_msg","payload":{"type":"task_complete","last_agent_mess',
    ].join("\n");
    expect(lastAgentMessageIn(text)).toBe("second");
    expect(lastAgentMessageIn("")).toBeNull();
  });
});
