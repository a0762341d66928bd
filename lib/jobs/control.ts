// Control requests from another terminal to a job's supervisor: `stop` and `restart` write
// `<home>/jobs/<id>.control` atomically ({action, requestedAt, nonce}); the supervisor watches for it
// (fs.watch on the jobs directory, plus a poll because fs.watch can miss events on some file
// systems), and consumes it by renaming it away first, so one request is acted on exactly once even
// if two watchers race.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../fs/atomic.js";
import { readTextNoFollow } from "../fs/nofollow.js";
import { jobControlFile } from "../paths.js";
import { isJobId } from "./ids.js";
import { ensureJobsDir } from "./records.js";

type ControlAction = "stop" | "restart";

export interface ControlRequest {
  action: ControlAction;
  requestedAt: string;
  /** Random, so the requester can tell its own request from an earlier one. */
  nonce: string;
}

function assertId(id: string): void {
  if (!isJobId(id)) throw new Error(`not a job id: ${id}`);
}

/** Ask the supervisor of job `id` to stop or restart. A pending request is replaced (the latest wins). */
export function requestControl(home: string, id: string, action: ControlAction, now: Date = new Date()): ControlRequest {
  assertId(id);
  ensureJobsDir(home);
  const req: ControlRequest = { action, requestedAt: now.toISOString(), nonce: randomBytes(8).toString("hex") };
  writeFileAtomic(jobControlFile(home, id), JSON.stringify(req) + "\n", { mode: 0o600 });
  return req;
}

/** The request still waiting for the supervisor, or null (consumed, or none). */
export function pendingControl(home: string, id: string): ControlRequest | null {
  assertId(id);
  try {
    const text = readTextNoFollow(jobControlFile(home, id));
    return text === null ? null : parseControl(text);
  } catch {
    return null;
  }
}

function parseControl(text: string): ControlRequest | null {
  try {
    const v = JSON.parse(text) as Partial<ControlRequest>;
    if ((v.action === "stop" || v.action === "restart") && typeof v.requestedAt === "string" && typeof v.nonce === "string") {
      return { action: v.action, requestedAt: v.requestedAt, nonce: v.nonce };
    }
  } catch {
    /* fall through */
  }
  return null;
}

/**
 * Take the pending request, if any: rename it to a name only this process uses (atomic; a racing
 * consumer gets ENOENT), read it, delete it. An unreadable request is deleted and reported.
 */
export function consumeControl(home: string, id: string): { request: ControlRequest } | { invalid: string } | null {
  assertId(id);
  const file = jobControlFile(home, id);
  const taken = `${file}.taking-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    fs.renameSync(file, taken);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let text = "";
  try {
    text = readTextNoFollow(taken) ?? "";
  } finally {
    fs.rmSync(taken, { force: true });
  }
  const request = parseControl(text);
  return request ? { request } : { invalid: text.slice(0, 200) };
}

interface WatchControlOptions {
  /** Poll period of the fallback (default 500 ms). */
  pollMs?: number;
  /** An unreadable control file was found and removed. */
  onInvalid?: (text: string) => void;
}

interface ControlWatcher {
  close(): void;
}

/**
 * Supervisor side: call `onRequest` for every request for job `id`, including one already waiting
 * when the watch starts. Returns a watcher to close when the supervisor ends.
 */
export function watchControl(home: string, id: string, onRequest: (req: ControlRequest) => void, opts: WatchControlOptions = {}): ControlWatcher {
  assertId(id);
  const dir = ensureJobsDir(home);
  const name = path.basename(jobControlFile(home, id));
  let closed = false;
  const check = () => {
    if (closed) return;
    let got;
    try {
      got = consumeControl(home, id);
    } catch {
      return; // transient I/O trouble: the poll will try again
    }
    if (!got) return;
    if ("request" in got) onRequest(got.request);
    else opts.onInvalid?.(got.invalid);
  };
  let watcher: fs.FSWatcher | null = null;
  try {
    watcher = fs.watch(dir, { persistent: false }, (_event, filename) => {
      // filename may be null on some platforms: then just look.
      if (filename === null || filename === name) check();
    });
    watcher.on("error", () => {
      watcher?.close();
      watcher = null; // the poll carries on alone
    });
  } catch {
    watcher = null;
  }
  const timer = setInterval(check, opts.pollMs ?? 500);
  timer.unref();
  queueMicrotask(check); // a request written before we started watching
  return {
    close() {
      closed = true;
      clearInterval(timer);
      watcher?.close();
    },
  };
}
