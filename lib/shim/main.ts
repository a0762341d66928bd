// The `codex` shim: resolve the real codex, decide opt-in, and either pass through (default) or, when
// opted in and the argv opens an interactive session (lib/codex/classify.ts), hand over to the supervisor.
// Hot path: this module graph is node builtins + small pure modules. zod, proper-lockfile,
// lib/config/schema, lib/lock and lib/supervisor are loaded only by the dynamic import below
// (test/shim/hot-path-modules.test.ts fails if that changes).
import { statSync, writeSync } from "node:fs";
import { DomainError, UsageError } from "../errors.js";
import { errorReport } from "../cli/error-table.js";
import { supervisorHome } from "../paths.js";
import { OPT_IN_ENV, parseSwitch, SWITCH_EXPECTED } from "../config/opt-in.js";
import type { ParsedArgv } from "../codex/argv-types.js";
import { peekConfig, peekRealCodexBin, peekSupervisorOptIn, type ConfigPeek } from "./config-peek.js";
import { stripOurEnv } from "../codex/env.js";
import { launchSpec } from "../codex/native-launch.js";
import { decideLaunch } from "./decide.js";
import { passthrough } from "./passthrough.js";
import { REAL_CODEX_ENV, resolveRealCodex, type ResolvedCodex } from "../codex/resolve-real-codex.js";

interface SupervisorEntry {
  runSupervisedFromShim(input: { argv: string[]; parsed: ParsedArgv; real: ResolvedCodex; shimFile: string }): Promise<number>;
}

/** Opt-in: the env variable when set (strict truthiness), else config `codexCliSessionSupervisor`. */
function supervisorOptedIn(env: NodeJS.ProcessEnv, config: () => ConfigPeek): boolean {
  const raw = env[OPT_IN_ENV];
  if (raw !== undefined) {
    const on = parseSwitch(raw);
    if (on === null) throw new UsageError(`${OPT_IN_ENV} must be ${SWITCH_EXPECTED}`);
    return on;
  }
  return peekSupervisorOptIn(config());
}

/**
 * The supervisor, loaded only when opted in. Variable specifiers: the shim must not depend on it at build
 * or load time (the build's esbuild leaves such an import alone, so it stays a separate file). First the
 * one-file bundle the build makes (scripts/bundle-shim.mjs; loads faster than ~50 modules), then the
 * plain modules when the bundle is missing, fails to load, or is older than entry.js (a later tsc-only
 * build rewrote every module: the bundle may hold old code). Silent unless both fail.
 */
async function loadSupervisor(): Promise<SupervisorEntry> {
  const bundled = "../supervisor/bundle.js";
  const specifier = "../supervisor/entry.js";
  let bundleError: unknown = null;
  if (bundleIsCurrent(new URL(bundled, import.meta.url), new URL(specifier, import.meta.url))) {
    try {
      return (await import(bundled)) as SupervisorEntry;
    } catch (err) {
      bundleError = err;
    }
  }
  try {
    return (await import(specifier)) as SupervisorEntry;
  } catch (err) {
    const why = bundleError ? `${(bundleError as Error).message}; then ${(err as Error).message}` : (err as Error).message;
    throw new DomainError(
      "supervisor-unavailable",
      `${OPT_IN_ENV} is on but the session supervisor could not be loaded (${why}); ` +
        `reinstall codex-supervisor, or unset ${OPT_IN_ENV} to run codex directly`,
    );
  }
}

/**
 * The bundle exists and is not older than the entry module. tsc rewrites every module it emits and the
 * build bundles after it, so a newer entry.js means a tsc-only rebuild since. Equal times count as
 * current (npm pack gives every file the same mtime). Two stats: no measurable start-up cost.
 */
function bundleIsCurrent(bundle: URL, entry: URL): boolean {
  let bundleTime: number;
  try {
    bundleTime = statSync(bundle).mtimeMs;
  } catch {
    return false; // no bundle: a plain tsc build
  }
  try {
    return bundleTime >= statSync(entry).mtimeMs;
  } catch {
    return true; // no entry.js to prefer
  }
}

async function run(shimFile: string, argv: string[]): Promise<number> {
  const env = process.env;
  let peeked: ConfigPeek | undefined;
  const config = () => (peeked ??= peekConfig(env));

  const real = resolveRealCodex({
    env,
    shimFile,
    configRealCodexBin: env[REAL_CODEX_ENV] ? null : peekRealCodexBin(config()),
  });
  // Without a terminal on stdin and stdout an interactive invocation is a pipe or a script: nothing
  // to keep alive there, and codex's own error must reach the caller once, unsupervised.
  if (process.stdin.isTTY && process.stdout.isTTY && supervisorOptedIn(env, config)) {
    // Only an opted-in user pays for parsing the argv, by the installed codex's own grammar (separate
    // modules, kept out of the bundle; the grammar is learned once per codex binary).
    const { parseCodexArgv } = (await import("../codex/classify.js")) as typeof import("../codex/classify.js");
    const { grammarOf } = (await import("../codex/learned-grammar.js")) as typeof import("../codex/learned-grammar.js");
    const parsed = parseCodexArgv(argv, await grammarOf(real, env, supervisorHome(env)));
    if (parsed.kind !== "passthrough") {
      const entry = await loadSupervisor();
      return entry.runSupervisedFromShim({ argv, parsed, real, shimFile });
    }
  }
  return passthrough(launchSpec(real, argv, stripOurEnv(env)));
}

/** What the user sees of an error: the error table's one line and exit status (never a stack trace). */
function fail(err: unknown): never {
  const report = errorReport(err);
  process.stderr.write(report.text);
  process.exit(report.status);
}

/** The full Node path (entry.ts `run`). Never returns: exits like codex (or with our error status). */
export async function runShim(shimFile: string, argv: string[]): Promise<never> {
  try {
    process.exit(await run(shimFile, argv));
  } catch (err) {
    fail(err);
  }
}

/** shim/codex asks for a launch record (entry.ts `decide`): print it on stdout (decide.ts). */
export function runDecide(shimFile: string, recordFile: string | null): never {
  try {
    writeSync(1, decideLaunch(process.env, shimFile, recordFile));
    process.exit(0);
  } catch (err) {
    fail(err);
  }
}
