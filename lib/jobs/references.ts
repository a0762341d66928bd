// What the user typed to name a job: an exact id, a unique id prefix, or a job name (`--name`).
import { UsageError } from "../errors.js";
import { safeToEcho } from "../text/user-text.js";
import { listJobIds, sortNewestFirst } from "./listing.js";
import type { JobRecord } from "./record.js";
import { readJobFile } from "./records.js";

/**
 * The id `ref` names. Unknown or ambiguous → UsageError listing the candidates (the reference is
 * echoed only when it is safe to show). Corrupt records still count as candidates by id.
 */
export function resolveJobRef(home: string, ref: string): string {
  if (ref.length === 0) throw new UsageError("empty job reference");
  const ids = listJobIds(home);
  if (ids.includes(ref)) return ref;
  const byPrefix = ids.filter((id) => id.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  const shown = safeToEcho(ref);
  if (byPrefix.length > 1) {
    throw new UsageError(`${shown} matches ${byPrefix.length} jobs: ${byPrefix.sort().slice(0, 10).join(", ")}${byPrefix.length > 10 ? ", ..." : ""}; give more of the id`);
  }
  const byName: JobRecord[] = [];
  for (const id of ids) {
    const r = readJobFile(home, id);
    if (r.kind === "ok" && r.record.name === ref) byName.push(r.record);
  }
  if (byName.length === 1) return byName[0]!.id;
  if (byName.length > 1) {
    sortNewestFirst(byName);
    throw new UsageError(`name ${shown} matches ${byName.length} jobs: ${byName.map((r) => `${r.id} (${r.status})`).join(", ")}; use an id`);
  }
  throw new UsageError(`no job matches ${shown} (by id, id prefix or name); see \`codex-supervisor ls --all\``);
}
