// All `doctor` checks in a fixed order. Read-only: nothing is created, fixed or killed.
import { DEFAULT_LOCK_STALE_MS, lockOptionsFrom } from "../lock/options.js";
import { supervisorHome, type Env } from "../paths.js";
import { planReap } from "../jobs/reap.js";
import { checkAccounts } from "./accounts-check.js";
import { checkConfig, checkLock, checkOptIn, checkPath, checkPermissions, checkRealCodex } from "./checks.js";
import { checkCodexVersion } from "./codex-version.js";
import { checkCredentialStore } from "./credential-store-check.js";
import type { Finding } from "./finding.js";

/** Orphans = what `reap --dry-run` would kill. */
function checkOrphans(home: string): Finding[] {
  let decisions;
  try {
    decisions = planReap(home);
  } catch (err) {
    return [{ check: "orphans", level: "warn", message: `could not scan processes: ${(err as Error).message}`, fix: "run `codex-supervisor reap --dry-run` to see the error" }];
  }
  const kill = decisions.filter((d) => d.action === "kill");
  if (kill.length === 0) {
    const kept = decisions.length;
    return [{ check: "orphans", level: "ok", message: kept === 0 ? "no process carries a job marker" : `${kept} marked process(es), all owned by live supervisors` }];
  }
  return kill.map((d) => ({
    check: "orphans",
    level: "fail" as const,
    message: `pid ${d.proc.pid} (${d.proc.comm}): ${d.reason}`,
    fix: "codex-supervisor reap (see `reap --dry-run` first)",
  }));
}

interface DoctorInput {
  env: Env;
  /** Our shim file (shim/codex of this package). */
  shimFile: string;
}

export function runDoctor(input: DoctorInput): Finding[] {
  const { env, shimFile } = input;
  const home = supervisorHome(env);
  const findings: Finding[] = [];
  findings.push(...checkPath(env, shimFile));
  const { findings: configFindings, loaded } = checkConfig(env, home);
  findings.push(...checkRealCodex(env, shimFile, loaded));
  findings.push(...checkCodexVersion(env, shimFile, loaded?.config.realCodexBin ?? null));
  findings.push(...checkOptIn(env, loaded));
  findings.push(...configFindings);
  findings.push(...checkAccounts(env, home, loaded));
  findings.push(...checkLock(home, (loaded ? lockOptionsFrom(loaded.config) : {}).staleMs ?? DEFAULT_LOCK_STALE_MS));
  findings.push(...checkOrphans(home));
  findings.push(...checkPermissions(env, home));
  findings.push(...checkCredentialStore(env));
  return findings;
}
