// The grammar table against the pinned real codex: its `--help` (visible options and commands),
// `resume --help` / `fork --help`, and `completion bash` (which also lists hidden commands and aliases).
// An upgrade that adds, drops or changes an option or command fails here.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { officialLauncherLayout } from "../../lib/codex/native-launch.js";
import { HELP_VERSION, ROOT_OPTIONS, SESSION_SUBCOMMAND_OPTIONS, SUBCOMMANDS, type OptionSpec } from "../../lib/codex/grammar.js";
import { cleanEnv } from "../helpers/env.js";

const LAUNCHER = path.resolve(import.meta.dirname, "../../node_modules/@openai/codex/bin/codex.js");

/** The pinned launcher's native binary for this platform (linux/macOS, x64/arm64), found as the shim finds it. */
function nativeBinary(): string {
  const layout = officialLauncherLayout(LAUNCHER, {});
  if (!layout) throw new Error(`no native codex binary for ${process.platform}-${process.arch} behind ${LAUNCHER} (npm install?)`);
  return layout.binary;
}
const NATIVE = nativeBinary();

function codex(args: string[]): string {
  const r = spawnSync(NATIVE, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: cleanEnv({ PATH: "/usr/bin:/bin", HOME: "/nonexistent" }) });
  expect(r.status).toBe(0);
  return r.stdout;
}

/** Lines of a help section ("Options:", "Commands:") up to the next unindented line. */
function section(help: string, title: string): string[] {
  const lines = help.split("\n");
  const start = lines.indexOf(title);
  expect(start).toBeGreaterThan(-1);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l !== "" && !l.startsWith(" ")) break;
    out.push(l);
  }
  return out;
}

/** "-c, --config <key=value>" / "--oss" / "-i, --image <FILE>..." → normalized spec strings. */
function helpOptions(help: string): string[] {
  const specs: string[] = [];
  for (const l of section(help, "Options:")) {
    const m = /^ {2}(?:-(\w), )?\s*--([\w-]+)(?: <([^>]+)>(\.\.\.)?)?\s*$/.exec(l);
    if (m) specs.push(`${m[1] ? "-" + m[1] + " " : ""}--${m[2]}${m[3] ? " <v>" : ""}${m[4] ? "..." : ""}`);
  }
  return specs.sort();
}

function tableOptions(specs: readonly OptionSpec[]): string[] {
  return [...HELP_VERSION, ...specs]
    .map((s) => `${s.short ? "-" + s.short + " " : ""}--${s.long}${s.takesValue ? " <v>" : ""}${s.multiValue ? "..." : ""}`)
    .sort();
}

describe("grammar table vs the pinned codex", () => {
  const rootHelp = codex(["--help"]);

  it("root options match `codex --help` exactly (names, shorts, value or flag, multi-value)", () => {
    expect(tableOptions(ROOT_OPTIONS)).toEqual(helpOptions(rootHelp));
  });

  it("visible commands and aliases match `codex --help`", () => {
    const listed = new Map<string, string[]>();
    let last = "";
    for (const l of section(rootHelp, "Commands:")) {
      const m = /^ {2}([\w-]+)\s/.exec(l);
      if (m) last = m[1]!;
      const a = /\[aliases: ([^\]]+)\]/.exec(l);
      if (m) listed.set(last, []);
      if (a) listed.set(last, a[1]!.split(",").map((s) => s.trim()));
    }
    const visible = SUBCOMMANDS.filter((s) => !s.hidden);
    expect(visible.map((s) => s.name).sort()).toEqual([...listed.keys()].sort());
    for (const s of visible) expect([...s.aliases].sort()).toEqual([...(listed.get(s.name) ?? [])].sort());
  });

  it("every command word, hidden ones and aliases included, matches `codex completion bash`", () => {
    const script = codex(["completion", "bash"]);
    const rootOpts = /^\s+codex\)\n\s+opts="([^"]*)"/m.exec(script);
    expect(rootOpts).not.toBeNull();
    const words = rootOpts![1]!.split(" ").filter((w) => w && !w.startsWith("-") && !w.startsWith("["));
    const ours = SUBCOMMANDS.flatMap((s) => [s.name, ...s.aliases]);
    expect([...ours].sort()).toEqual([...words].sort());
    const flags = rootOpts![1]!.split(" ").filter((w) => w.startsWith("-")).sort();
    const ourFlags = [...HELP_VERSION, ...ROOT_OPTIONS].flatMap((s) => [`--${s.long}`, ...(s.short ? [`-${s.short}`] : [])]).sort();
    expect(ourFlags).toEqual(flags);
    const interactive = SUBCOMMANDS.filter((s) => s.interactive).map((s) => s.name).sort();
    expect(interactive).toEqual(["fork", "resume"]);
  });

  it.each(["resume", "fork"] as const)("`codex %s --help` options = root options + the table's extras", (sub) => {
    expect(tableOptions([...ROOT_OPTIONS, ...SESSION_SUBCOMMAND_OPTIONS[sub]])).toEqual(helpOptions(codex([sub, "--help"])));
    expect(codex([sub, "--help"])).toContain(`Usage: codex ${sub} [OPTIONS] [SESSION_ID] [PROMPT]`);
  });
});
