// The Node path's answer to shim/codex when the sh cannot prove its launch record current: resolve the
// real codex as the passthrough would, print the exec lines for the sh (launch-cache.ts format) and,
// when every input is provable, write the record so later calls exec without Node. Errors propagate
// (the 127 message, a bad config): the caller prints them and the sh exits with that status.
import path from "node:path";
import { OPT_IN_ENV, parseSwitch } from "../config/opt-in.js";
import { stripOurEnv } from "../codex/env.js";
import { RecordingFiles } from "../codex/files.js";
import { launchSpec } from "../codex/native-launch.js";
import { REAL_CODEX_ENV, resolveRealCodex, SEEN_ENV } from "../codex/resolve-real-codex.js";
import { supervisorHome } from "../paths.js";
import { peekConfig, peekRealCodexBin, peekSupervisorOptIn, type ConfigPeek } from "./config-peek.js";
import { execLines, planRecord, prepareCacheDir, recordOf, recordTarget, writeRecord } from "./launch-cache.js";

/** sh: "run the full Node path" (opted in, or an exec sh cannot reproduce). */
const FULL = "F\n.\n";

interface Decision {
  exec: string[] | null;
  files: RecordingFiles;
  cacheable: boolean;
}

function decideOnce(env: NodeJS.ProcessEnv, shimFile: string, config: () => ConfigPeek, configOptIn: boolean): Decision {
  const files = new RecordingFiles();
  const configured = env[REAL_CODEX_ENV] ? null : peekRealCodexBin(config());
  const real = resolveRealCodex({ env, shimFile, configRealCodexBin: configured, files });
  const base = stripOurEnv(env);
  const spec = launchSpec(real, [], base, files);
  const peek = config();
  files.paths.set(peek.file, peek.state.kind === "missing" ? "absent" : "present");
  const cacheable =
    files.provable &&
    env[SEEN_ENV] === undefined &&
    !env[REAL_CODEX_ENV] &&
    real.how !== "npm-global" && // depends on npm's prefix settings and node's location
    spec.command !== process.execPath &&
    // A relative realCodexBin names a different file in every working directory.
    (configured === null || path.isAbsolute(configured) || !configured.includes("/"));
  return { exec: execLines(recordOf(spec, 0, base, configOptIn)), files, cacheable };
}

function samePaths(a: RecordingFiles, b: RecordingFiles): boolean {
  if (a.paths.size !== b.paths.size) return false;
  for (const [k, v] of a.paths) if (b.paths.get(k) !== v) return false;
  return true;
}

/** The text for the sh's stdout; writes `recordFile` (inside our home only) when provable. */
export function decideLaunch(env: NodeJS.ProcessEnv, shimFile: string, recordFile: string | null): string {
  const startedAt = Date.now();
  const raw = env[OPT_IN_ENV];
  if (raw !== undefined && parseSwitch(raw) !== false) return FULL;
  let peeked: ConfigPeek | undefined;
  const config = () => (peeked ??= peekConfig(env));
  let configOptIn: boolean;
  try {
    configOptIn = peekSupervisorOptIn(config());
  } catch {
    configOptIn = true; // unreadable field: the full path reports it when it matters
  }
  const first = decideOnce(env, shimFile, config, configOptIn);
  if (first.exec === null) return FULL;
  const out = [...first.exec, "."].join("\n") + "\n";
  const dir = recordFile && first.cacheable ? prepareCacheDir(supervisorHome(env)) : null;
  const target = dir && recordFile ? recordTarget(dir, recordFile) : null;
  if (target) {
    // Identity snapshot between two decisions: a change during the reads either alters the second
    // decision (nothing written) or shows in the snapshot (the sh finds the record stale).
    const plan = planRecord(first.exec, { pathValue: env.PATH ?? "", env, paths: first.files.paths });
    peeked = undefined;
    const again = decideOnce(env, shimFile, config, configOptIn);
    const same = again.exec !== null && again.exec.join("\n") === first.exec.join("\n") && samePaths(first.files, again.files);
    if (plan !== null && same) writeRecord(target, plan, startedAt);
  }
  return out;
}
