// What every process of a supervised job carries in its environment, so we can find it again even
// after it was reparented or setsid()'d:
// - CODEX_SUPERVISOR_JOB=<job id>, and
// - CODEX_SUPERVISOR_HOME=<supervisor home> — which store holds that job's record. Without it a
//   process whose record is not in *our* home could belong to another home (another user setup, a
//   test) and must not be judged an orphan; with it, "no record in the home it names" really means
//   orphaned (e.g. its record was pruned). Neither starts with CODEX_AUTH_, so both reach codex and
//   every descendant on purpose; neither is a secret.
import path from "node:path";

export { JOB_HOME_ENV, JOB_MARKER_ENV } from "../process/proc-table.js";

/** Same home, compared as absolute paths. */
export function sameHome(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}
