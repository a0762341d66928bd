// One line of `doctor` output: what was checked, how it stands, and the fix when it is not fine.
// Levels: "ok" (nothing to do), "warn" (worth knowing, heals itself or is harmless: exit stays 0),
// "fail" (something is wrong: `doctor` exits 1).

type FindingLevel = "ok" | "warn" | "fail";

export interface Finding {
  /** Short check name: path, real-codex, recursion, opt-in, config, lock, orphans, permissions. */
  check: string;
  level: FindingLevel;
  message: string;
  /** What to do about it (absent when level is "ok"). */
  fix?: string;
}

const TAG: Record<FindingLevel, string> = { ok: "ok  ", warn: "WARN", fail: "FAIL" };

/** One line per finding: `FAIL path: <message> — fix: <fix>`. Pure. */
export function renderFindings(findings: Finding[]): string {
  return findings.map((f) => `${TAG[f.level]} ${f.check}: ${f.message}${f.fix ? ` — fix: ${f.fix}` : ""}\n`).join("");
}

/** 1 when any finding is a failure, else 0. */
export function doctorExitStatus(findings: Finding[]): number {
  return findings.some((f) => f.level === "fail") ? 1 : 0;
}
