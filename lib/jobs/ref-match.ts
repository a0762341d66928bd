// Which job a reference the user typed means (pure). In order, the first rule that matches decides:
//   1. the whole job id;
//   2. a job id by its start (`s-20261202-1a`), or without the date: `s-1a2b3c4d` / `1a2b3c4d` or
//      their start (what `ls` shows);
//   3. codex's session id whole, or by its start, or by its end (a UUIDv7 starts with a timestamp
//      shared by every session of the same minute, so `ls` shows its last 8 digits);
//   4. the job's name.
// A date-less or partial session reference needs at least 4 characters (the start of a whole id,
// `j-`, does not: it is typed on purpose); several matches
// of the deciding rule are an ambiguity, never a guess. Rules 1–2 need only the ids, so the records
// are read only when they do not decide.

export interface RefCandidate {
  id: string;
  sessionId: string | null;
  name: string | null;
}

type RefMatch =
  | { kind: "one"; id: string }
  | { kind: "many"; ids: string[]; by: "id" | "session id" | "name" }
  | { kind: "none" };

const MIN_PARTIAL = 4;

const ID_PARTS = /^([sj])-\d{8}-([0-9a-f]{8})$/;

/** Rules 1–2, on ids alone. */
export function matchById(ref: string, ids: readonly string[]): RefMatch {
  if (ids.includes(ref)) return { kind: "one", id: ref };
  const dateless = ref.length >= MIN_PARTIAL;
  const hits = ids.filter((id) => {
    if (id.startsWith(ref)) return true;
    const m = dateless ? ID_PARTS.exec(id) : null;
    return m !== null && (`${m[1]}-${m[2]}`.startsWith(ref) || m[2]!.startsWith(ref));
  });
  if (hits.length === 1) return { kind: "one", id: hits[0]! };
  return hits.length > 1 ? { kind: "many", ids: hits.sort(), by: "id" } : { kind: "none" };
}

/** Rules 3–4, on the records. */
export function matchByRecord(ref: string, candidates: readonly RefCandidate[]): RefMatch {
  const decide = (hits: RefCandidate[], by: "session id" | "name"): RefMatch | null => {
    if (hits.length === 1) return { kind: "one", id: hits[0]!.id };
    if (hits.length > 1) return { kind: "many", ids: hits.map((c) => c.id).sort(), by };
    return null;
  };
  const lower = ref.toLowerCase();
  const exactSession = decide(candidates.filter((c) => c.sessionId?.toLowerCase() === lower), "session id");
  if (exactSession) return exactSession;
  if (ref.length >= MIN_PARTIAL) {
    const partial = decide(
      candidates.filter((c) => c.sessionId !== null && (c.sessionId.toLowerCase().startsWith(lower) || c.sessionId.toLowerCase().endsWith(lower))),
      "session id",
    );
    if (partial) return partial;
  }
  return decide(candidates.filter((c) => c.name === ref), "name") ?? { kind: "none" };
}
