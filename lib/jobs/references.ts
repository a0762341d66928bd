// What the user typed to name a job: an id, an id without its date, codex's session id, or a job
// name (the matching rules: ref-match.ts).
import { UsageError } from "../errors.js";
import { safeToEcho } from "../text/user-text.js";
import { listJobIds } from "./listing.js";
import { readJobFile } from "./records.js";
import { matchById, matchByRecord, type RefCandidate } from "./ref-match.js";

/**
 * The job id `ref` means; UsageError naming the candidates when it is ambiguous or matches nothing
 * (the reference is echoed only when it is safe to show). Corrupt records still count by id.
 */
export function resolveJobRef(home: string, ref: string): string {
  if (ref.length === 0) throw new UsageError("empty job reference");
  const ids = listJobIds(home);
  let m = matchById(ref, ids);
  if (m.kind === "none") {
    const candidates: RefCandidate[] = [];
    for (const id of ids) {
      const r = readJobFile(home, id);
      if (r.kind === "ok") candidates.push({ id, sessionId: r.record.sessionId, name: r.record.name });
    }
    m = matchByRecord(ref, candidates);
  }
  if (m.kind === "one") return m.id;
  const shownRef = safeToEcho(ref);
  if (m.kind === "many") {
    const shown = m.ids.slice(0, 10).join(", ") + (m.ids.length > 10 ? ", ..." : "");
    const what = m.by === "id" ? shownRef : `${m.by} ${shownRef}`;
    throw new UsageError(`${what} matches ${m.ids.length} jobs: ${shown}; ${m.by === "name" ? "use an id" : "give more of it"}`);
  }
  throw new UsageError(`no job matches ${shownRef} (by id, session id or name); see \`codex-supervisor ls --all\``);
}
