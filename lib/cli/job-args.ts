// The job reference shared by the job commands (status, result, logs, stop, restart): an id, a
// unique id prefix, or `--name N`. Parsing is the argv layer's (argv.ts); this adds the one rule
// "exactly one job" and turns the reference into an id.
import { UsageError } from "../errors.js";
import { safeToEcho } from "../text/user-text.js";
import { isActiveStatus } from "../jobs/record.js";
import { listJobs } from "../jobs/listing.js";
import { resolveJobRef } from "../jobs/references.js";
import type { OptionSpec } from "./argv.js";

/** The usage-line form of a job reference. */
export const JOB_REF_SYNOPSIS = "<id | id-prefix | --name N>";
/** Declared by every job command: one optional positional plus `--name`. */
export const JOB_REF_ARGS = { name: "<id>", min: 0, max: 1 };
export const JOB_NAME_OPTION = { type: "string", value: "N", help: "the job called N (the live one, else the newest)" } as const satisfies OptionSpec;

interface JobRef {
  /** What the user gave to identify the job (id, prefix or name). */
  ref: string;
  byName: boolean;
}

export function jobRefOf(command: string, p: { values: { name: string | undefined }; positionals: string[] }): JobRef {
  const name = p.values.name;
  const given = p.positionals[0];
  if (name !== undefined && given !== undefined) throw new UsageError(`${command}: give one job (got ${safeToEcho(given)} and --name ${safeToEcho(name)})`);
  if (name !== undefined) {
    if (name === "") throw new UsageError(`${command}: empty job name`);
    return { ref: name, byName: true };
  }
  if (given === undefined) throw new UsageError(`${command}: which job? give an id, a unique id prefix, or --name N`);
  if (given === "") throw new UsageError(`${command}: empty job id`);
  return { ref: given, byName: false };
}

/** A duration in seconds from a flag ("30", "1.5"); UsageError naming the flag otherwise. */
export function parseSeconds(flag: string, raw: string): number {
  if (!/^\d+(\.\d+)?$/.test(raw.trim())) throw new UsageError(`${flag}: expected a number of seconds, got '${raw.slice(0, 40)}'`);
  return Number(raw);
}

/**
 * The job id for a reference. An id or prefix goes through the store's resolveJobRef (which also
 * accepts a name). `--name N` means "the job called N": the active one if there is one (names are
 * unique among live jobs), else the newest ended one.
 */
export function resolveJobArg(home: string, parsed: JobRef): string {
  if (!parsed.byName) return resolveJobRef(home, parsed.ref);
  const named = listJobs(home, { all: true }).records.filter((r) => r.name === parsed.ref);
  if (named.length === 0) throw new UsageError(`no job named ${safeToEcho(parsed.ref)}; see \`codex-supervisor ls --all\``);
  return (named.find((r) => isActiveStatus(r.status)) ?? named[0]!).id; // listJobs: newest first
}
