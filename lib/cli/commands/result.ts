// `codex-supervisor result <id> [--json]`: how a job ended and codex's last message.
// The record is read through readJobReconciled, like `status`, so the two never disagree.
//
// Exit status (documented in --help):
//   0  the job exited with code 0        1  it ended otherwise (non-zero, signal, stopped, failed)
//   3  still running                     4  lost (its processes died without an exit being recorded)
//   2  usage error (unknown or ambiguous id, bad flag) or an unreadable record file
import fs from "node:fs";
import { jobOutFile, supervisorHome } from "../../paths.js";
import { isActiveStatus, toJsonView, type JobRecord } from "../../jobs/record.js";
import { readJobReconciled } from "../../jobs/reconcile-io.js";
import { parseRolloutLine } from "../../session/rollout-events.js";
import { command, type Parsed } from "../argv.js";
import { JOB_NAME_OPTION, JOB_REF_ARGS, JOB_REF_SYNOPSIS, jobRefOf, resolveJobArg } from "../job-args.js";

export const spec = command({
  name: "result",
  synopsis: `${JOB_REF_SYNOPSIS} [--json]`,
  about: `Final status, exit code and codex's last agent message (from the session's rollout, else the tail of
the job's output file).`,
  options: {
    json: { type: "boolean", help: "one JSON object: the record's fields plus running, lastMessage, lastMessageSource" },
    name: JOB_NAME_OPTION,
  },
  args: JOB_REF_ARGS,
  footer: `Exit status: 0 exited with code 0; 1 ended otherwise (non-zero, signal, stopped, failed);
3 still running; 4 lost; 2 usage error or an unreadable record file (named; kept as is).`,
});

const RESULT_EXIT = { success: 0, unsuccessful: 1, usage: 2, running: 3, lost: 4 } as const;

/** How many bytes of the output file stand in for the last message when the rollout has none. */
const OUT_TAIL_BYTES = 4096;

type LastMessage = { source: "rollout" | "output"; text: string } | null;

/** The last `task_complete.last_agent_message` in a rollout's text (pure). Lines are scanned from the end. */
export function lastAgentMessageIn(rolloutText: string): string | null {
  const lines = rolloutText.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!line.includes("task_complete")) continue;
    const ev = parseRolloutLine(line);
    if (ev && ev.type === "task_complete" && ev.lastAgentMessage !== null) return ev.lastAgentMessage;
  }
  return null;
}

function readTail(file: string, bytes: number): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return null;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    let text = buf.toString("utf8");
    if (start > 0) text = text.slice(text.indexOf("\n") + 1); // drop the partial first line
    return text;
  } finally {
    fs.closeSync(fd);
  }
}

function lastMessageOf(home: string, record: JobRecord): LastMessage {
  if (record.rolloutPath) {
    try {
      const text = lastAgentMessageIn(fs.readFileSync(record.rolloutPath, "utf8"));
      if (text !== null) return { source: "rollout", text };
    } catch {
      /* rollout moved or unreadable: fall back to the output file */
    }
  }
  const tail = readTail(jobOutFile(home, record.id), OUT_TAIL_BYTES);
  return tail && tail.trim() !== "" ? { source: "output", text: tail.trimEnd() } : null;
}

export function resultExitStatus(r: JobRecord): number {
  if (isActiveStatus(r.status)) return RESULT_EXIT.running;
  if (r.status === "lost") return RESULT_EXIT.lost;
  return r.status === "exited" && r.exitCode === 0 && r.signal === null ? RESULT_EXIT.success : RESULT_EXIT.unsuccessful;
}

/** The human rendering (pure). */
export function renderResult(r: JobRecord, msg: LastMessage): string {
  const lines: string[] = [];
  if (isActiveStatus(r.status)) {
    lines.push(`${r.id}: still running (${r.status}; supervisor pid ${r.supervisor.pid}${r.child ? `, codex pid ${r.child.pid}` : ""}; restarts ${r.restarts})`);
    return lines.join("\n") + "\n";
  }
  if (r.status === "lost") lines.push(`${r.id}: lost: ${r.reason ?? "its processes are gone and no exit was recorded"}`);
  else {
    const how = r.signal ? `killed by ${r.signal}` : r.exitCode !== null ? `exit code ${r.exitCode}` : "no exit code";
    lines.push(`${r.id}: ${r.status} (${how})${r.reason ? ` — ${r.reason}` : ""}`);
  }
  if (r.sessionId) lines.push(`session: ${r.sessionId} (continue with: codex exec resume ${r.sessionId} "<prompt>")`);
  if (msg) lines.push(`last message (from the ${msg.source === "rollout" ? "session rollout" : "output file"}):`, msg.text);
  else lines.push("no last message recorded");
  return lines.join("\n") + "\n";
}

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const home = supervisorHome(process.env);
  const id = resolveJobArg(home, jobRefOf("result", p));
  const { record } = await readJobReconciled(home, id);
  const msg = isActiveStatus(record.status) ? null : lastMessageOf(home, record);
  if (p.values.json) {
    const running = isActiveStatus(record.status);
    process.stdout.write(
      JSON.stringify({ ...toJsonView(record), running, lastMessage: msg?.text ?? null, lastMessageSource: msg?.source ?? null }, null, 2) + "\n",
    );
  } else {
    process.stdout.write(renderResult(record, msg));
  }
  return resultExitStatus(record);
}
