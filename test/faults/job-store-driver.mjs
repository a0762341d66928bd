// Runs one job-store write (from the compiled dist/) as its own process, so the fault tests can run it
// as another user (permission faults do not apply to root) and read its exit status and message the
// way our edges report them (the error table: one line on stderr, the table's status).
// Usage: node job-store-driver.mjs create|update|event <home> <id>
import { appendEvent } from "../../dist/jobs/event-log.js";
import { createJob, updateJob } from "../../dist/jobs/records.js";
import { errorReport } from "../../dist/cli/error-table.js";

const [op, home, id] = process.argv.slice(2);
try {
  const ref = { pid: process.pid, identity: { pid: process.pid, startTicks: 1, bootId: "boot" } };
  if (op === "create") createJob(home, { id, kind: "job", supervisor: ref, cwd: "/", argv: ["exec", "p"], status: "running" });
  else if (op === "update") updateJob(home, id, { status: "exited", exitCode: 0, reason: "x".repeat(2000) });
  else if (op === "event") appendEvent(home, id, { type: "notice", text: "y".repeat(3000) });
  else throw new Error(`unknown op ${op}`);
  process.exit(0);
} catch (e) {
  const report = errorReport(e);
  process.stderr.write(report.text);
  process.exit(report.status);
}
