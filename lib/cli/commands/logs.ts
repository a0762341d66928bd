// `codex-supervisor logs <id> [-f] [--output] [--raw]`: a job's event log (spawn, bind, quota, rotate,
// signal, restart, exit...) in words (event-view.ts; --raw: the JSON lines), or with --output what
// codex printed (<home>/jobs/<id>.out).
// -f keeps following — across codex restarts, since both files are appended to for the job's whole
// life — until the job's record is final (read through readJobReconciled, so a job that died
// without a word ends the follow too), then prints what is left and exits 0.
import fs from "node:fs";
import { jobLogFile, jobOutFile, supervisorHome } from "../../paths.js";
import { isActiveStatus } from "../../jobs/record.js";
import { copyLog, LogReader } from "../../jobs/log-reader.js";
import { readJobReconciled } from "../../jobs/reconcile-io.js";
import { colourEnabled, painter } from "../../terminal/style.js";
import { command, type Parsed } from "../argv.js";
import { formatEventLine } from "../event-view.js";
import { JOB_NAME_OPTION, JOB_REF_ARGS, JOB_REF_SYNOPSIS, jobRefOf, resolveJobArg } from "../job-args.js";

export const spec = command({
  name: "logs",
  synopsis: `${JOB_REF_SYNOPSIS} [-f] [--output] [--raw]`,
  options: {
    follow: { type: "boolean", short: "f", help: "keep printing new lines until the job ends (across restarts of codex)" },
    output: { type: "boolean", help: "codex's stdout/stderr of a background job instead of the event log" },
    raw: { type: "boolean", help: "the event log's JSON lines as stored (times in ISO 8601, durations in ms)" },
    name: JOB_NAME_OPTION,
  },
  args: JOB_REF_ARGS,
});

const POLL_MS = 200;
/** After the record turns final, how long to wait for the supervisor's last lines. */
const DRAIN_MS = 1500;

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const home = supervisorHome(process.env);
  const id = resolveJobArg(home, jobRefOf("logs", p));
  const output = p.values.output;
  const file = output ? jobOutFile(home, id) : jobLogFile(home, id);
  const paint = painter(colourEnabled(process.stdout, process.env));
  const render = output || p.values.raw ? (l: string) => l : (l: string) => formatEventLine(l, { now: Date.now(), paint });
  // Bounded memory and linear time whatever the line length (lib/jobs/log-reader.ts).
  const reader = new LogReader(file);
  const drain = (flush = false) => copyLog(reader, process.stdout, render, flush);

  if (!p.values.follow) {
    if (output && !fs.existsSync(file)) process.stderr.write(`codex-supervisor: no output file for ${id} (a foreground job prints to its terminal)\n`);
    await drain(true);
    return 0;
  }
  for (;;) {
    await drain();
    const { record } = await readJobReconciled(home, id);
    if (!isActiveStatus(record.status)) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  // The record turns final just before the supervisor writes its last event and exits: wait until
  // the file has stopped growing (or DRAIN_MS), then print the rest.
  const deadline = Date.now() + DRAIN_MS;
  let quiet = 0;
  while (Date.now() < deadline && quiet < 2) {
    quiet = (await drain()) === 0 ? quiet + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  await drain(true);
  return 0;
}
