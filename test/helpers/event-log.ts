// Reads a job's event log whole, for assertions. The product never holds a log in memory (`logs`
// streams it through LogReader); tests want the parsed lines and which lines were not events.
import fs from "node:fs";
import { jobLogFile } from "../../lib/paths.js";

export interface LoggedEvent {
  type: string;
  ts: string;
  [field: string]: unknown;
}

export interface EventLog {
  events: LoggedEvent[];
  /** 1-based numbers of lines that are not valid events (a crash mid-write, an edit by hand). */
  badLines: number[];
  /** True when the last line had no newline yet (being written): it is not returned. */
  partialTail: boolean;
}

export function parseEventLog(text: string): EventLog {
  const lines = text.split("\n");
  const partialTail = lines[lines.length - 1] !== "";
  lines.pop(); // "" after the final newline, or an unfinished line that is not an event yet
  const events: LoggedEvent[] = [];
  const badLines: number[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v) && typeof (v as LoggedEvent).type === "string" && typeof (v as LoggedEvent).ts === "string") {
        events.push(v as LoggedEvent);
        return;
      }
    } catch {
      // not JSON: counted as a bad line below
    }
    badLines.push(i + 1);
  });
  return { events, badLines, partialTail };
}

/** The whole log of job `id` under `home`; a job with no log yet has no events. */
export function readEvents(home: string, id: string): EventLog {
  let text: string;
  try {
    text = fs.readFileSync(jobLogFile(home, id), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { events: [], badLines: [], partialTail: false };
    throw err;
  }
  return parseEventLog(text);
}
