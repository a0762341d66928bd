// `codex-supervisor shellenv`: the line for the shell rc that puts our shim first on PATH.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../errors.js";

/** POSIX single-quote a string for sh/bash/zsh. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    process.stdout.write('Usage: codex-supervisor shellenv\n\nPrints a line for your shell rc; eval "$(codex-supervisor shellenv)" makes `codex` the shim.\n');
    return 0;
  }
  if (args.length > 0) throw new UsageError(`shellenv: unexpected argument '${args[0]}'`);
  const shimDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shim");
  process.stdout.write(`export PATH=${shQuote(shimDir)}:"$PATH"\n`);
  return 0;
}
