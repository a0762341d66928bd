// Runs one job-store write (from the compiled dist/) as its own process, so the fault tests can run it
// as another user (permission faults do not apply to root) and read its exit status and message the
// way a supervisor would report them: `error: <message>` on stderr, exit 1.
// Usage: node job-store-driver.mjs create|update|event <home> <id>
import { appendEvent, createJob, updateJob } from "../../dist/jobs/store.js";

const [op, home, id] = process.argv.slice(2);
try {
  const ref = { pid: process.pid, identity: { pid: process.pid, startTicks: 1, bootId: "boot" } };
  if (op === "create") createJob(home, { id, kind: "job", supervisor: ref, cwd: "/", argv: ["exec", "p"], status: "running" });
  else if (op === "update") updateJob(home, id, { status: "exited", exitCode: 0, reason: "x".repeat(2000) });
  else if (op === "event") appendEvent(home, id, { type: "notice", text: "y".repeat(3000) });
  else throw new Error(`unknown op ${op}`);
  process.exit(0);
} catch (e) {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
