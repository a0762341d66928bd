// `codex-supervisor status <id> [--json] [--wait] [--timeout S]`: one job's record, reconciled with
// the system on every read (the same read `result` uses, so the two never disagree).
// --wait returns as soon as the job has ended or is found dead: each round re-reads the record and
// re-checks the recorded process identities, every 200 ms.
import { UsageError } from "../../errors.js";
import { supervisorHome } from "../../paths.js";
import { formatJobStatus, formatWaitLine } from "../../jobs/format.js";
import { isActiveStatus, toJsonView, type JobRecord } from "../../jobs/record.js";
import { readJobReconciled } from "../../jobs/reconcile-io.js";
import { colourEnabled, painter } from "../../terminal/style.js";
import { command, type Parsed } from "../argv.js";
import { JOB_NAME_OPTION, JOB_REF_ARGS, JOB_REF_SYNOPSIS, jobRefOf, parseSeconds, resolveJobArg } from "../job-args.js";

export const spec = command({
  name: "status",
  synopsis: `${JOB_REF_SYNOPSIS} [--json] [--wait [--timeout S]]`,
  about: `Shows a session's or job's record: status, supervisor and codex pids, session id, account, restarts,
times, and how it ended. Liveness is checked on every read: a job whose supervisor and codex are gone
is reported (and stored) as \`lost\`, with the reason.`,
  options: {
    json: {
      type: "boolean",
      help: "one JSON object (id, kind, status, sessionId, account, pid, childPid, restarts,\ncwd, createdAt, updatedAt, exitCode, signal, reason, name, argv, endedAt)",
    },
    wait: { type: "boolean", help: "wait until the job has ended (exited, stopped, failed or lost), then show it" },
    timeout: { type: "string", value: "S", help: "with --wait: give up after S seconds (decimals allowed)" },
    name: JOB_NAME_OPTION,
  },
  args: JOB_REF_ARGS,
  footer: `Exit status: 0 shown (for --wait: the job has ended, however it ended — \`result\` tells success);
124 --wait timed out (the job is still running; its current state is shown); 2 usage error
(unknown or ambiguous job, bad option) or an unreadable record file (named; kept as is).`,
});

/** Re-check period of --wait: bounds how late a death is noticed. */
const WAIT_POLL_MS = 200;
const STATUS_TIMEOUT_EXIT = 124;

function show(r: JobRecord, json: boolean): void {
  process.stdout.write(json ? JSON.stringify(toJsonView(r), null, 2) + "\n" : formatJobStatus(r, new Date(), painter(colourEnabled(process.stdout, process.env))));
}

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const { json, wait, timeout: rawTimeout } = p.values;
  if (rawTimeout !== undefined && !wait) throw new UsageError("status: --timeout only makes sense with --wait");
  const timeoutMs = rawTimeout === undefined ? null : parseSeconds("--timeout", rawTimeout) * 1000;

  const home = supervisorHome(process.env);
  const id = resolveJobArg(home, jobRefOf("status", p));
  let rec = await readJobReconciled(home, id);
  if (!wait) {
    show(rec.record, json);
    if (rec.reason && isActiveStatus(rec.record.status)) process.stderr.write(`codex-supervisor: ${id}: ${rec.reason}\n`);
    return 0;
  }
  const started = Date.now();
  const deadline = timeoutMs === null ? Infinity : started + timeoutMs;
  // On a terminal, one line on stderr says what is being waited for, rewritten in place.
  const progress = process.stderr.isTTY ? (text: string) => process.stderr.write(`\r\u001b[2K${text}`) : null;
  let shown = "";
  const clear = () => {
    if (progress && shown) progress("");
    shown = "";
  };
  while (isActiveStatus(rec.record.status)) {
    const left = deadline - Date.now();
    const line = formatWaitLine(rec.record, Date.now() - started);
    if (progress && line !== shown) progress((shown = line));
    if (left <= 0) {
      clear();
      show(rec.record, json);
      process.stderr.write(`codex-supervisor: status: timed out after ${rawTimeout} s; ${id} is still ${rec.record.status}\n`);
      return STATUS_TIMEOUT_EXIT;
    }
    await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, left)));
    rec = await readJobReconciled(home, id);
  }
  clear();
  show(rec.record, json);
  return 0;
}
