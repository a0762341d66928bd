// The individual `doctor` checks. Each reads what it needs from the system and returns findings;
// none of them changes anything (the orphan check is a `reap --dry-run`).
import fs from "node:fs";
import path from "node:path";
import { loadConfigDetailed, type LoadedConfig } from "../config/load.js";
import { OPT_IN_ENV, parseSwitch, SWITCH_EXPECTED } from "../config/opt-in.js";
import { DomainError } from "../errors.js";
import { accountsFile, codexHome, jobsDir, storageLockDir, type Env } from "../paths.js";
import { resolveRealCodex } from "../codex/resolve-real-codex.js";
import type { Finding } from "./finding.js";
import { isShimFile, judgePathOrder, scanPathForCodex } from "./path-order.js";

const REAL_BIN_ENV = "CODEX_AUTH_REAL_CODEX_BIN";

export function checkPath(env: Env, shimFile: string): Finding[] {
  return judgePathOrder(scanPathForCodex(env.PATH ?? "", shimFile), path.dirname(shimFile));
}

/** The config, or the failure finding that explains why it cannot be loaded. */
export function checkConfig(env: Env, home: string): { findings: Finding[]; loaded: LoadedConfig | null } {
  try {
    const loaded = loadConfigDetailed(env, home);
    const msg = loaded.fileState === "missing" ? `no ${loaded.file}; defaults and CODEX_AUTH_* overrides are valid` : `${loaded.file} and CODEX_AUTH_* overrides are valid`;
    return { findings: [{ check: "config", level: "ok", message: msg }], loaded };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const fix = err.message.includes("environment variable") ? "correct or unset the variable named above" : `edit ${path.join(home, "config.json")} as described`;
    return { findings: [{ check: "config", level: "fail", message: err.message.replace(/\n/g, "; "), fix }], loaded: null };
  }
}

export function checkOptIn(env: Env, loaded: LoadedConfig | null): Finding[] {
  const raw = env[OPT_IN_ENV];
  if (raw !== undefined && parseSwitch(raw) === null) {
    return [{ check: "opt-in", level: "fail", message: `${OPT_IN_ENV}=${JSON.stringify(raw.slice(0, 40))} is not understood`, fix: `set it to ${SWITCH_EXPECTED}` }];
  }
  if (raw !== undefined) {
    return [{ check: "opt-in", level: "ok", message: `supervisor ${parseSwitch(raw) ? "on" : "off"} (from ${OPT_IN_ENV})` }];
  }
  if (loaded && loaded.sources.codexCliSessionSupervisor === "file") {
    return [{ check: "opt-in", level: "ok", message: `supervisor ${loaded.config.codexCliSessionSupervisor ? "on" : "off"} (from ${loaded.file})` }];
  }
  return [{ check: "opt-in", level: "ok", message: `supervisor off (default; set ${OPT_IN_ENV}=1 or "codexCliSessionSupervisor": true to opt in)` }];
}

/** Which real codex the shim would run, and whether any configured path would make the shim run itself. */
export function checkRealCodex(env: Env, shimFile: string, loaded: LoadedConfig | null): Finding[] {
  const findings: Finding[] = [];
  const configured: { where: string; value: string }[] = [];
  if (env[REAL_BIN_ENV]) configured.push({ where: REAL_BIN_ENV, value: env[REAL_BIN_ENV]! });
  else if (loaded?.config.realCodexBin) configured.push({ where: `realCodexBin in ${loaded.file}`, value: loaded.config.realCodexBin });
  for (const c of configured) {
    if (isShimFile(c.value, shimFile)) {
      findings.push({
        check: "recursion",
        level: "fail",
        message: `${c.where} points at the shim (${c.value}): codex would call itself`,
        fix: `point ${c.where} at the real codex (e.g. the global @openai/codex) or unset it`,
      });
    }
  }
  try {
    const real = resolveRealCodex({ env: env as NodeJS.ProcessEnv, shimFile, configRealCodexBin: loaded?.config.realCodexBin ?? null });
    if (isShimFile(real.path, shimFile)) {
      findings.push({ check: "recursion", level: "fail", message: `the resolved real codex ${real.path} is the shim`, fix: `set ${REAL_BIN_ENV} to the real codex` });
    } else {
      findings.push({ check: "real-codex", level: "ok", message: `${real.path} (found via ${real.how})` });
      if (!findings.some((f) => f.check === "recursion")) {
        findings.push({ check: "recursion", level: "ok", message: "the real codex is not the shim (checked by realpath and content)" });
      }
    }
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    findings.push({
      check: "real-codex",
      level: "fail",
      message: err.message.replace(/\n/g, "; "),
      fix: `install it (npm install -g @openai/codex) or set ${REAL_BIN_ENV} to its path`,
    });
  }
  return findings;
}

/**
 * proper-lockfile keeps the lock as the directory `<target>.lock` and refreshes its mtime as the
 * heartbeat. Present and fresh = held; older than the stale window = its holder died (the next
 * writer evicts it, so this is a warning, not a failure). A heartbeat ahead of the clock (the clock
 * was stepped back) proves nothing about its holder: said as it is, with what a waiter will do.
 */
export function checkLock(home: string, staleMs: number, now: number = Date.now()): Finding[] {
  const lockDir = storageLockDir(home);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(lockDir);
  } catch {
    return [{ check: "lock", level: "ok", message: `storage lock not held (${lockDir} absent)` }];
  }
  if (!st.isDirectory()) {
    return [{ check: "lock", level: "fail", message: `${lockDir} is not a directory (${st.isSymbolicLink() ? "a symbolic link" : "a file"}): every locked command refuses it`, fix: `remove ${lockDir}` }];
  }
  const age = now - st.mtimeMs;
  if (age < -1000) {
    return [
      {
        check: "lock",
        level: "warn",
        message: `storage lock heartbeat is ${(-age / 1000).toFixed(0)} s ahead of the clock (was the clock set back?); a waiter takes the lock over once the heartbeat has not changed for the stale window (${(staleMs / 1000).toFixed(0)} s) (${lockDir})`,
        fix: `nothing needed if no codex-supervisor is running: the next locked command takes it over after ${(staleMs / 1000).toFixed(0)} s; to clear it now, remove ${lockDir}`,
      },
    ];
  }
  if (age <= staleMs) {
    return [{ check: "lock", level: "ok", message: `storage lock held, heartbeat ${(Math.max(0, age) / 1000).toFixed(1)} s ago (${lockDir})` }];
  }
  return [
    {
      check: "lock",
      level: "warn",
      message: `storage lock is stale: last heartbeat ${(age / 1000).toFixed(0)} s ago, stale window ${(staleMs / 1000).toFixed(0)} s (${lockDir})`,
      fix: `nothing needed: the next writer evicts it; to clear it now, make sure no codex-supervisor runs and remove ${lockDir}`,
    },
  ];
}

function modeFinding(file: string, want: number, what: string): Finding | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return null;
  }
  const mode = st.mode & 0o777;
  const problems: string[] = [];
  if ((mode & ~want & 0o777) !== 0) problems.push(`mode ${mode.toString(8).padStart(4, "0")} (want ${want.toString(8).padStart(4, "0")})`);
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) problems.push(`owned by uid ${st.uid}, not you (uid ${process.getuid()})`);
  if (problems.length === 0) return { check: "permissions", level: "ok", message: `${what} ${file} is ${mode.toString(8).padStart(4, "0")}` };
  return {
    check: "permissions",
    level: "fail",
    message: `${what} ${file}: ${problems.join(", ")}`,
    fix: `chmod ${want.toString(8)} ${JSON.stringify(file)}${problems.some((p) => p.startsWith("owned")) ? " and chown it to yourself" : ""}`,
  };
}

/** Our home and jobs dir 0700; accounts.json and codex's auth.json 0600; all owned by the user. */
export function checkPermissions(env: Env, home: string): Finding[] {
  const checks: [string, number, string][] = [
    [home, 0o700, "supervisor home"],
    [jobsDir(home), 0o700, "jobs directory"],
    [accountsFile(home), 0o600, "accounts store"],
    [path.join(codexHome(env), "auth.json"), 0o600, "codex auth"],
  ];
  const out: Finding[] = [];
  for (const [file, want, what] of checks) {
    const f = modeFinding(file, want, what);
    if (f) out.push(f);
  }
  if (out.length === 0) out.push({ check: "permissions", level: "ok", message: `nothing created yet under ${home}` });
  return out;
}
