// The codex releases this codex-supervisor is tested against, in one place: `doctor` reports where the
// installed codex stands, a test holds `newest` equal to the pinned @openai/codex (package.json), and
// `npm run test:compat` runs the end-to-end core against the newest published release. `oldest`: the
// earliest release the grammar and the facts the supervisor depends on were checked on. Pure.

export const TESTED_CODEX = { oldest: "0.169.0", newest: "0.171.0" } as const;

/** "codex-cli 0.171.0" (codex --version) → "0.171.0"; null when there is no version in it. */
export function codexVersionOf(output: string): string | null {
  const m = /\b(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\b/.exec(output);
  return m ? m[1]! : null;
}

/** Semver order of x.y.z[-pre] (a pre-release sorts before its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split("-", 2) as [string, string | undefined];
    return { nums: core.split(".").map((n) => Number(n)), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

type RangeVerdict = "older" | "tested" | "newer";

export function testedVerdict(version: string): RangeVerdict {
  if (compareVersions(version, TESTED_CODEX.oldest) < 0) return "older";
  if (compareVersions(version, TESTED_CODEX.newest) > 0) return "newer";
  return "tested";
}
