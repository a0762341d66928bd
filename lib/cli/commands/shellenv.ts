// `codex-supervisor shellenv`: the line for the shell rc that puts our shim first on PATH.
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
  about: 'Prints a line for your shell rc; eval "$(codex-supervisor shellenv)" makes `codex` the shim.',
  options: {},
});

export async function run(): Promise<number> {
  const shimDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shim");
  process.stdout.write(`export PATH=${shQuote(shimDir)}:"$PATH"\n`);
  return 0;
}
