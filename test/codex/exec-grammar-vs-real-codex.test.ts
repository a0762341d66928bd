// The exec option tables in lib/codex/grammar.ts must match the pinned codex's own `--help`, so an upgrade that
// adds, drops or changes an option of `exec`, `exec resume` or `exec fork` fails here loudly.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { EXEC_FORK_OPTIONS, EXEC_OPTIONS, EXEC_RESUME_OPTIONS, EXEC_SUBCOMMANDS } from "../../lib/codex/grammar.js";
import { REAL_CODEX_NATIVE } from "../helpers/codex-home.js";

interface HelpOption {
  long: string;
  short: string | null;
  takesValue: boolean;
  multiValue: boolean;
}

function help(args: string[]): string {
  const r = spawnSync(REAL_CODEX_NATIVE, [...args, "--help"], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** Option lines of clap's long help: `  -c, --config <key=value>` / `      --json` / `  -i, --image <FILE>...`. */
function optionsOf(text: string): HelpOption[] {
  const out: HelpOption[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s{2,6}(?:-([A-Za-z]), )?--([a-z0-9-]+)(?: <[^>]+>(\.\.\.)?)?\s*$/.exec(line);
    if (m) out.push({ long: m[2]!, short: m[1] ?? null, takesValue: line.includes("<"), multiValue: m[3] !== undefined });
  }
  return out;
}

function commandsOf(text: string): string[] {
  const body = text.split(/\nCommands:\n/)[1]?.split(/\n\n/)[0] ?? "";
  return body
    .split("\n")
    .map((l) => /^\s{2}([a-z-]+)\s/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

const norm = (specs: readonly { long: string; short?: string | null; takesValue: boolean; multiValue?: boolean }[]) =>
  specs.map((s) => ({ long: s.long, short: s.short ?? null, takesValue: s.takesValue, multiValue: s.multiValue ?? false })).sort((a, b) => a.long.localeCompare(b.long));

describe("exec grammar vs the pinned codex", () => {
  it("codex exec --help", () => {
    const text = help(["exec"]);
    expect(norm(EXEC_OPTIONS)).toEqual(norm(optionsOf(text)));
    expect([...EXEC_SUBCOMMANDS].sort()).toEqual(commandsOf(text).sort());
  });
  it("codex exec resume --help", () => {
    expect(norm(EXEC_RESUME_OPTIONS)).toEqual(norm(optionsOf(help(["exec", "resume"]))));
  });
  it("codex exec fork --help", () => {
    expect(norm(EXEC_FORK_OPTIONS)).toEqual(norm(optionsOf(help(["exec", "fork"]))));
  });
});
