// The rollout files binding looks at: their names (which carry the creation time and the session id),
// the dated directories that can hold a file created since launch, and the first line (session_meta).
import fs from "node:fs";
import path from "node:path";
import { parseRolloutLine, type SessionMetaEvent } from "./rollout-events.js";

/** rollout-YYYY-MM-DDThh-mm-ss-<uuid>.jsonl */
export const ROLLOUT_NAME = /^rollout-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})-([0-9a-fA-F-]{36})\.jsonl$/;
const META_MAX_BYTES = 8 * 1024 * 1024;

/** A file or directory that is not there (any more), or a path through a non-directory. */
function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** A file we may not read (another user's, a mode we cannot open). */
function isForbidden(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "EACCES" || code === "EPERM";
}

/** The creation time of a rollout from its file name: the UUIDv7's milliseconds, else the name's local timestamp. */
export function rolloutFileTimeMs(name: string): number | null {
  const m = ROLLOUT_NAME.exec(name);
  if (!m) return null;
  const hex = m[7]!.replace(/-/g, "");
  if (hex.length === 32 && hex[12] === "7") return parseInt(hex.slice(0, 12), 16);
  const t = new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime();
  return Number.isFinite(t) ? t : null;
}

function ymd(d: Date, utc: boolean): string {
  const y = utc ? d.getUTCFullYear() : d.getFullYear();
  const mo = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const da = utc ? d.getUTCDate() : d.getDate();
  return `${String(y).padStart(4, "0")}/${String(mo).padStart(2, "0")}/${String(da).padStart(2, "0")}`;
}

/**
 * The `YYYY/MM/DD` directories (relative to CODEX_HOME/sessions) that can hold a rollout created in
 * [fromMs, toMs]: codex names them by local date; the UTC dates are added in case codex fell back to UTC.
 * Pure; usually one or two entries.
 */
function candidateDateDirs(fromMs: number, toMs: number): string[] {
  const out = new Set<string>();
  const DAY = 24 * 3600 * 1000;
  const end = Math.max(fromMs, toMs);
  // Step by 6 h so no calendar day (local or UTC, DST included) between the ends is skipped.
  for (let t = fromMs; ; t = Math.min(t + DAY / 4, end)) {
    const d = new Date(t);
    out.add(ymd(d, false));
    out.add(ymd(d, true));
    if (t >= end) break;
  }
  return [...out].sort();
}

/** Rollout files whose name says they were created in [fromMs, toMs]: only those dated directories are listed. */
export async function rolloutsCreatedBetween(sessionsDir: string, fromMs: number, toMs: number): Promise<string[]> {
  const files: string[] = [];
  for (const rel of candidateDateDirs(fromMs, toMs)) {
    const dir = path.join(sessionsDir, ...rel.split("/"));
    let names: string[];
    try {
      names = await fs.promises.readdir(dir);
    } catch (err) {
      if (isMissing(err)) continue; // no session was started that day
      throw err;
    }
    for (const name of names) {
      const t = rolloutFileTimeMs(name);
      if (t !== null && t >= fromMs) files.push(path.join(dir, name));
    }
  }
  return files;
}

/** Read and parse the first line of a rollout (its session_meta). Null when absent, unreadable, incomplete or not a meta. */
export async function readSessionMeta(file: string): Promise<SessionMetaEvent | null> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, "r");
  } catch (err) {
    if (isMissing(err) || isForbidden(err)) return null; // removed since listed, or not ours
    throw err;
  }
  try {
    const parts: Buffer[] = [];
    let total = 0;
    // The meta line is ~20 KB (it embeds the base instructions).
    const buf = Buffer.allocUnsafe(64 * 1024);
    while (total < META_MAX_BYTES) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, total);
      if (bytesRead === 0) return null; // no newline yet: still being written
      const chunk = buf.subarray(0, bytesRead);
      const nl = chunk.indexOf(10);
      if (nl !== -1) {
        parts.push(Buffer.from(chunk.subarray(0, nl)));
        const ev = parseRolloutLine(Buffer.concat(parts).toString("utf8"));
        return ev?.type === "session_meta" ? ev : null;
      }
      parts.push(Buffer.from(chunk));
      total += bytesRead;
    }
    return null;
  } finally {
    await fh.close();
  }
}

/** The last write of a file (ms), or 0 when it is gone. */
export async function mtimeMs(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).mtimeMs;
  } catch (err) {
    if (isMissing(err)) return 0; // removed since listed: sorts last
    throw err;
  }
}

/** The real path when it exists (the kernel reports open files by their real path), else the absolute one. */
export function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch (err) {
    if (isMissing(err)) return path.resolve(p); // CODEX_HOME/sessions not created yet
    throw err;
  }
}
