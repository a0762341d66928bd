// `codex-supervisor restart <id> [--timeout S]`: ask a job's live supervisor to restart codex — it
// stops the whole tree and resumes the same session by id — and wait for the acknowledgement: the
// record's restart counter goes up with a new codex running. Never signals anything itself; with no
// live supervisor there is nobody to resume the session, so it says so (exit 1).
//
// Exit status: 0 restarted; 1 no live supervisor, the job ended instead, or no acknowledgement in
// time; 2 usage error.
import { DomainError } from "../../errors.js";
import { supervisorHome } from "../../paths.js";
import { requestControl } from "../../jobs/control.js";
import { isActiveStatus } from "../../jobs/record.js";
import { probeProcess, readJobReconciled } from "../../jobs/reconcile-io.js";
import { appendEvent } from "../../jobs/event-log.js";
import { command, type Parsed } from "../argv.js";
import { JOB_NAME_OPTION, JOB_REF_ARGS, JOB_REF_SYNOPSIS, jobRefOf, parseSeconds, resolveJobArg } from "../job-args.js";

export const spec = command({
  name: "restart",
  synopsis: `${JOB_REF_SYNOPSIS} [--timeout S]`,
  about: "Asks the job's supervisor to stop codex's whole process tree and resume the same session by id.",
  options: {
    timeout: { type: "string", value: "S", help: "how long to wait for the restart (default 60)" },
    name: JOB_NAME_OPTION,
  },
  args: JOB_REF_ARGS,
  footer: "Exit status: 0 restarted; 1 no live supervisor / job ended / not acknowledged in time; 2 usage error.",
});

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const timeoutMs = p.values.timeout !== undefined ? parseSeconds("--timeout", p.values.timeout) * 1000 : 60_000;
  const home = supervisorHome(process.env);
  const id = resolveJobArg(home, jobRefOf("restart", p));
  const { record } = await readJobReconciled(home, id);
  const hint = record.sessionId ? ` (resume it yourself: codex resume ${record.sessionId})` : "";
  if (!isActiveStatus(record.status)) {
    throw new DomainError("restart-failed", `${id} is ${record.status}${record.reason ? ` (${record.reason})` : ""}; there is nothing to restart${hint}`);
  }
  const sup = probeProcess(record.supervisor);
  if (sup !== "alive") {
    throw new DomainError(
      "restart-failed",
      `${id} has no live supervisor (pid ${record.supervisor.pid} ${sup === "reused" ? "now belongs to another process" : "is gone"}); nothing can restart it — end what is left with \`codex-supervisor stop ${id}\`${hint}`,
    );
  }
  const before = record.restarts;
  const req = requestControl(home, id, "restart");
  appendEvent(home, id, { type: "control", action: "restart", nonce: req.nonce, by: process.pid });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { record: now } = await readJobReconciled(home, id);
    if (now.restarts > before && now.status === "running") {
      process.stdout.write(`${id}: restarted (restart #${now.restarts}; codex pid ${now.child?.pid ?? "?"}${now.sessionId ? `; session ${now.sessionId}` : ""})\n`);
      return 0;
    }
    if (!isActiveStatus(now.status)) throw new DomainError("restart-failed", `${id} ended (${now.status}${now.reason ? `: ${now.reason}` : ""}) instead of restarting`);
    if (Date.now() > deadline) throw new DomainError("restart-failed", `${id}: the supervisor did not acknowledge the restart within ${(timeoutMs / 1000).toFixed(0)} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
