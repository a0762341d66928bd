// Removing a job's files (prune).
import { FileAccessError } from "../fs/errors.js";
import { assertTrustedHome } from "../fs/trust.js";
import { unlinkIfPresent } from "../fs/unlink.js";
import { jobActiveMarker, jobControlFile, jobLaunchArgvFile, jobLogFile, jobOutFile, jobRecordFile } from "../paths.js";
import { assertJobId } from "./ids.js";

/** Remove a job's files: log, output and control first, the record last (an interrupted prune retries). */
export function removeJobFiles(home: string, id: string): string[] {
  assertJobId(id);
  assertTrustedHome(home);
  const removed: string[] = [];
  for (const f of [jobLogFile(home, id), jobOutFile(home, id), jobControlFile(home, id), jobLaunchArgvFile(home, id), jobActiveMarker(home, id), jobRecordFile(home, id)]) {
    try {
      if (unlinkIfPresent(f)) removed.push(f);
    } catch (err) {
      throw new FileAccessError(f, "remove", err);
    }
  }
  return removed;
}
