// `codex-supervisor shellenv`: the line for the shell rc that puts our shim first on PATH. Evaluated
// any number of times (a re-sourced rc, a nested shell) it leaves exactly one entry, first: every
// existing occurrence is removed in plain POSIX sh (no subshell, no sed), then the shim is prepended.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { command } from "../argv.js";

/** POSIX single-quote a string for sh/bash/zsh. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export const spec = command({
  name: "shellenv",
  synopsis: "",
  about: `Prints a line for your shell rc (sh, bash, zsh): eval "$(codex-supervisor shellenv)" makes \`codex\`
the shim by putting its directory first on PATH. Evaluating it again moves the entry to the front
instead of adding another.`,
  options: {},
});

/** The shell code (pure): drop every `dir` entry from PATH, then put `dir` first. */
export function shellenvLine(dir: string): string {
  const d = shQuote(dir);
  const v = "__codex_supervisor_path";
  return [
    `${v}=:$PATH:`,
    `while case $${v} in *:${d}:*) true ;; *) false ;; esac; do ${v}=\${${v}%%:${d}:*}:\${${v}#*:${d}:}; done`,
    `${v}=\${${v}#:}; ${v}=\${${v}%:}`,
    // A plain assignment, then export: never word-split, whatever the shell.
    `PATH=${d}\${${v}:+:$${v}}`,
    "export PATH",
    `unset ${v}`,
  ].join("; ");
}

export async function run(): Promise<number> {
  const shimDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shim");
  process.stdout.write(`${shellenvLine(shimDir)}\n`);
  return 0;
}
