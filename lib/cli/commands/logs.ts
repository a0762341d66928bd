// `codex-supervisor logs <id> [-f] [--output] [--raw]`: a job's event log (spawn, bind, quota, rotate,
// signal, restart, exit...), or with --output what codex printed (<home>/jobs/<id>.out).
// -f keeps following — across codex restarts, since both files are appended to for the job's whole
// life — until the job's record is final (read through readJobReconciled, so a job that died
// without a word ends the follow too), then prints what is left and exits 0.
import fs from "node:fs";
import { jobLogFile, jobOutFile, supervisorHome } from "../../paths.js";
import { isActiveStatus } from "../../jobs/record.js";
import { copyLog, LogReader } from "../../jobs/log-reader.js";
import { readJobReconciled } from "../../jobs/reconcile-io.js";
import { formatLocalTime } from "../../jobs/reconcile.js";
import { parseJobArgs, resolveJobArg } from "../job-args.js";

const HELP = `Usage: codex-supervisor logs <id | id-prefix | --name N> [-f] [--output] [--raw]

  -f, --follow  keep printing new lines until the job ends (across restarts of codex)
  --output      codex's stdout/stderr of a background job instead of the event log
  --raw         the event log's JSON lines as stored
`;

const POLL_MS = 200;
/** After the record turns final, how long to wait for the supervisor's last lines. */
const DRAIN_MS = 1500;

/** One event line for people: local time, type, the rest as compact JSON (pure). Bad lines pass through. */
export function renderEventLine(line: string): string {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (v && typeof v === "object" && typeof v.ts === "string" && typeof v.type === "string") {
      const { ts, type, ...rest } = v;
      const more = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
      return `${formatLocalTime(ts as string)}  ${(type as string).padEnd(8)}${more}`;
    }
  } catch {
    /* shown as is */
  }
  return line;
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseJobArgs("logs", args, {
    booleans: { "-f": "follow", "--follow": "follow", "--output": "output", "--raw": "raw" },
  });
  if (parsed.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const home = supervisorHome(process.env);
  const id = resolveJobArg(home, parsed);
  const output = parsed.flags.has("output");
  const file = output ? jobOutFile(home, id) : jobLogFile(home, id);
  const render = output || parsed.flags.has("raw") ? (l: string) => l : renderEventLine;
  // Bounded memory and linear time whatever the line length (lib/jobs/log-reader.ts).
  const reader = new LogReader(file);
  const drain = (flush = false) => copyLog(reader, process.stdout, render, flush);

  if (!parsed.flags.has("follow")) {
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
