// "Did you mean …?" for a mistyped command or flag (pure). Distance is optimal string alignment
// (Levenshtein plus adjacent transposition, so `stauts` → `status` and `--jsno` → `--json` cost 1).

/** Edit distance with adjacent transpositions, stopping early once it exceeds `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1);
    row[0] = i;
    rows.push(row);
  }
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidates `word` was most likely meant to be: those it is a prefix of when that is unique
 * (`--dry` → `--dry-run`), else the nearest within a typo's distance (1 for short words, 2 from 5
 * characters on). Leading dashes are ignored for the comparison. At most three, best first.
 */
export function suggest(word: string, candidates: readonly string[]): string[] {
  const bare = (s: string) => s.replace(/^-+/, "").toLowerCase();
  const w = bare(word);
  if (w === "") return [];
  const prefixed = candidates.filter((c) => bare(c).startsWith(w));
  if (prefixed.length === 1) return prefixed;
  const max = w.length <= 4 ? 1 : 2;
  const scored = candidates
    .map((c) => ({ c, d: editDistance(w, bare(c), max) }))
    .filter((x) => x.d <= max && x.d < bare(x.c).length)
    .sort((x, y) => x.d - y.d);
  if (scored.length === 0) return [];
  const best = scored[0]!.d;
  return scored.filter((x) => x.d === best).slice(0, 3).map((x) => x.c);
}

/** "; did you mean 'ls'?" / "; did you mean 'stop' or 'status'?" / "" */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  if (s.length === 0) return "";
  const quoted = s.map((c) => `'${c}'`);
  return `; did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`}?`;
}
