// codex's -C/--cd option: the directory a codex run works in (and records as the session's cwd).
// Pure. The root -C comes from the parsed argv (classify.ts); `exec` has its own -C/--cd, which comes
// later on the command line and so wins.
import path from "node:path";
import type { ParsedArgv } from "./argv-types.js";

/** The directory codex will record as the session's cwd: the last -C/--cd value, resolved against launchCwd. */
export function sessionCwd(options: readonly { name: string; values: string[] }[], launchCwd: string): string {
  let cd: string | null = null;
  for (const o of options) if (o.name === "cd" && o.values.length > 0) cd = o.values[o.values.length - 1]!;
  return cd === null ? launchCwd : path.resolve(launchCwd, cd);
}

/**
 * The working-directory options of a job: the root `-C/--cd` and `exec`'s own `-C/--cd` (which
 * comes later on the command line and so wins), in sessionCwd's shape.
 */
export function execCdOptions(parsed: ParsedArgv): { name: string; values: string[] }[] {
  const out: { name: string; values: string[] }[] = parsed.rootOptions.filter((o) => o.name === "cd");
  const a = parsed.subcommandArgs;
  for (let i = 0; i < a.length; i++) {
    const t = a[i]!;
    if (t === "--") break;
    if ((t === "-C" || t === "--cd") && a[i + 1] !== undefined) out.push({ name: "cd", values: [a[++i]!] });
    else if (t.startsWith("--cd=")) out.push({ name: "cd", values: [t.slice(5)] });
    else if (t.startsWith("-C") && t.length > 2) out.push({ name: "cd", values: [t.slice(2)] });
  }
  return out;
}
