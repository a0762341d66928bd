// Argument parsing shared by the job commands (result, logs, stop, restart): one job reference —
// an id, a unique id prefix, or `--name N` — plus each command's own flags. Pure.
import { UsageError } from "../errors.js";
import { safeToEcho } from "../text/user-text.js";
import { isActiveStatus } from "../jobs/record.js";
import { listJobs } from "../jobs/listing.js";
import { resolveJobRef } from "../jobs/references.js";

export interface FlagSpec {
  /** Flags without a value, e.g. ["--json", "-f"]. Aliases map to the canonical name. */
  booleans?: Record<string, string>;
  /** Flags with one value, e.g. {"--timeout": "timeout"}; also accepted as --timeout=V. */
  values?: Record<string, string>;
}

export interface ParsedJobArgs {
  /** What the user gave to identify the job (id, prefix or name). */
  ref: string;
  byName: boolean;
  flags: Set<string>;
  values: Map<string, string>;
  help: boolean;
}

export function parseJobArgs(command: string, args: string[], spec: FlagSpec = {}): ParsedJobArgs {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  let ref: string | null = null;
  let byName = false;
  let help = false;
  const setRef = (r: string, name: boolean) => {
    if (ref !== null) throw new UsageError(`${command}: give one job (got ${safeToEcho(ref)} and ${safeToEcho(r)})`);
    if (r === "") throw new UsageError(`${command}: empty job ${name ? "name" : "id"}`);
    ref = r;
    byName = name;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-h" || a === "--help") {
      help = true;
      continue;
    }
    if (a === "--name" || a.startsWith("--name=")) {
      const v = a === "--name" ? args[++i] : a.slice("--name=".length);
      if (v === undefined) throw new UsageError(`${command}: --name needs a value`);
      setRef(v, true);
      continue;
    }
    if (spec.booleans && Object.hasOwn(spec.booleans, a)) {
      flags.add(spec.booleans[a]!);
      continue;
    }
    const eq = a.indexOf("=");
    const key = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    if (spec.values && Object.hasOwn(spec.values, key)) {
      const v = key === a ? args[++i] : a.slice(eq + 1);
      if (v === undefined) throw new UsageError(`${command}: ${key} needs a value`);
      values.set(spec.values[key]!, v);
      continue;
    }
    if (a.startsWith("-") && a !== "-") throw new UsageError(`${command}: unknown option ${safeToEcho(a.split("=")[0]!)} (see ${command} --help)`);
    setRef(a, false);
  }
  if (ref === null && !help) throw new UsageError(`${command}: which job? give an id, a unique id prefix, or --name N`);
  return { ref: ref ?? "", byName, flags, values, help };
}

/** A duration in seconds from a flag ("30", "1.5"); UsageError naming the flag otherwise. */
export function parseSeconds(flag: string, raw: string): number {
  if (!/^\d+(\.\d+)?$/.test(raw.trim())) throw new UsageError(`${flag}: expected a number of seconds, got '${raw.slice(0, 40)}'`);
  return Number(raw);
}

/**
 * The job id for a parsed reference. An id or prefix goes through the store's resolveJobRef (which
 * also accepts a name). `--name N` means "the job called N": the active one if there is one (names
 * are unique among live jobs), else the newest ended one.
 */
export function resolveJobArg(home: string, parsed: ParsedJobArgs): string {
  if (!parsed.byName) return resolveJobRef(home, parsed.ref);
  const named = listJobs(home, { all: true }).records.filter((r) => r.name === parsed.ref);
  if (named.length === 0) throw new UsageError(`no job named ${safeToEcho(parsed.ref)}; see \`codex-supervisor ls --all\``);
  return (named.find((r) => isActiveStatus(r.status)) ?? named[0]!).id; // listJobs: newest first
}
