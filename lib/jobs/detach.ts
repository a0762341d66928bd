// Start a background job's supervisor so that it outlives whoever launched it.
//
// The supervisor is `node <our bin> __supervise-job <id>`, spawned with `detached: true` (setsid: its
// own session and process group, no controlling terminal, so a terminal hangup or the launcher's
// death sends it nothing), stdin from /dev/null, stdout and stderr appended to `<home>/jobs/<id>.out`
// (the file outlives every process that writes it, so the output stays readable after any restart).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDir } from "../fs/atomic.js";
import { FileAccessError } from "../fs/errors.js";
import { NOFOLLOW_FLAGS, openNoFollow } from "../fs/nofollow.js";
import { JOB_MARKER_ENV } from "../process/proc-table.js";

/** Our CLI entry (bin/codex-supervisor), found relative to this compiled file (dist/jobs/detach.js). */
function ourBinFile(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/codex-supervisor");
}

interface DetachInput {
  jobId: string;
  /** Where stdout/stderr of the supervisor (and so of codex) go; opened for append, mode 0600, never through a symlink. */
  outFile: string;
  cwd: string;
  /** The launcher's environment; the supervisor needs our CODEX_AUTH_* settings and strips them for codex. */
  env: NodeJS.ProcessEnv;
  /** Defaults to ourBinFile(); tests may point at a built copy. */
  binFile?: string;
}

/**
 * The supervisor's environment: the launcher's, minus an inherited job marker. A launcher that itself
 * runs inside a supervised codex (a tool call) carries that job's marker; passing it on would make the
 * new, independent job look like part of the old one to `stop`/`reap` marker scans.
 */
export function detachedSupervisorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  delete out[JOB_MARKER_ENV];
  return out;
}

/**
 * Spawn the detached supervisor and resolve with its pid once the OS has started it (the 'spawn'
 * event: a few milliseconds); reject if it could not be started. The caller's event loop does not
 * wait for it (unref).
 */
export function spawnDetachedSupervisor(input: DetachInput): Promise<{ pid: number }> {
  ensureDir(path.dirname(input.outFile));
  let fd: number;
  try {
    // Never through a symlink: codex's output would be appended to whatever it points at.
    fd = openNoFollow(input.outFile, NOFOLLOW_FLAGS.appendWriteOnly);
  } catch (err) {
    return Promise.reject(new FileAccessError(input.outFile, "open", err));
  }
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(process.execPath, [input.binFile ?? ourBinFile(), "__supervise-job", input.jobId], {
        cwd: input.cwd,
        env: detachedSupervisorEnv(input.env),
        detached: true,
        stdio: ["ignore", fd, fd],
      });
    } catch (err) {
      fs.closeSync(fd);
      reject(err);
      return;
    }
    child.once("error", (err) => {
      fs.closeSync(fd);
      reject(err);
    });
    child.once("spawn", () => {
      // The child has its own copy of the descriptor; ours is no longer needed.
      fs.closeSync(fd);
      child.unref();
      resolve({ pid: child.pid! });
    });
  });
}
