// codex's grammar read from its own `--help` (clap's long help), merged over the shipped tables: an
// option or command only the installed codex has is learned, one whose value-taking changed follows the
// installed codex, everything the shipped table knows (hidden commands, aliases) stays. Pure.
import { HELP_VERSION, SHIPPED_GRAMMAR, type Grammar, type OptionSpec, type SubcommandSpec } from "./grammar.js";

interface HelpCommand {
  name: string;
  aliases: string[];
}

interface ParsedHelp {
  /** Every option line, help/version included. */
  options: OptionSpec[];
  /** The "Commands:" section. */
  commands: HelpCommand[];
}

// `  -c, --config <key=value>`, `      --oss`, `  -i, --image <FILE>...`, `      --x[=<V>]`, `  -x <V>`,
// optionally followed (short help) by two spaces and a description.
const OPTION_LINE = /^ {2,6}(?:-([A-Za-z0-9])(?:, |(?=[ \[<]|$)))?(?:--([A-Za-z0-9][A-Za-z0-9_-]*))?(?:[ =]?(\[)?[=]?<[^>]+>\]?(\.\.\.)?)?(?: {2,}.*)?$/;
const COMMAND_LINE = /^ {2}([a-z0-9][a-z0-9_-]*)(?: {2,}(.*))?$/;
const ALIASES = /\[aliases?: ([^\]]+)\]/;

/** clap's help text → its option and command lines (a heading is an unindented line ending in ':'). */
export function parseHelp(text: string): ParsedHelp {
  const options: OptionSpec[] = [];
  const commands: HelpCommand[] = [];
  let section = "";
  for (const line of text.split("\n")) {
    if (/^\S.*:$/.test(line)) {
      section = line;
      continue;
    }
    if (section === "Commands:") {
      const m = COMMAND_LINE.exec(line);
      if (m) {
        const a = ALIASES.exec(m[2] ?? "");
        commands.push({ name: m[1]!, aliases: a ? a[1]!.split(",").map((s) => s.trim()).filter(Boolean) : [] });
      }
      continue;
    }
    if (section === "" || section.startsWith("Usage") || section === "Arguments:") continue;
    const m = OPTION_LINE.exec(line);
    if (!m || (!m[1] && !m[2])) continue;
    const takesValue = line.includes("<");
    options.push({
      long: m[2] ?? m[1]!,
      ...(m[1] ? { short: m[1] } : {}),
      takesValue,
      ...(m[4] ? { multiValue: true } : {}),
    });
  }
  return { options, commands };
}

/** `base` with `learned` laid over it by long name: the installed codex wins, base order first. */
function mergeOptions(base: readonly OptionSpec[], learned: readonly OptionSpec[]): OptionSpec[] {
  const byLong = new Map(learned.map((o) => [o.long, o]));
  const out = base.map((o) => byLong.get(o.long) ?? o);
  const known = new Set(base.map((o) => o.long));
  for (const o of learned) if (!known.has(o.long)) out.push(o);
  return out;
}

const isHelpOrVersion = (o: OptionSpec) => HELP_VERSION.some((h) => h.long === o.long);

function mergeCommands(base: readonly SubcommandSpec[], learned: readonly HelpCommand[]): SubcommandSpec[] {
  const byName = new Map(learned.map((c) => [c.name, c]));
  const out = base.map((s) => {
    const l = byName.get(s.name);
    return l ? { ...s, aliases: [...new Set([...s.aliases, ...l.aliases])] } : s;
  });
  const known = new Set(base.map((s) => s.name));
  // Only resume and fork open the TUI; anything new is passed through.
  for (const c of learned) if (!known.has(c.name)) out.push({ name: c.name, aliases: c.aliases, interactive: false });
  return out;
}

/** The help texts of the installed codex (a missing one leaves that part as shipped). */
export interface HelpTexts {
  root?: string;
  resume?: string;
  fork?: string;
  exec?: string;
  execResume?: string;
  execFork?: string;
}

export function grammarFromHelp(h: HelpTexts, base: Grammar = SHIPPED_GRAMMAR): Grammar {
  const root = h.root !== undefined ? parseHelp(h.root) : null;
  const rootOptions = root ? mergeOptions(base.rootOptions, root.options.filter((o) => !isHelpOrVersion(o))) : base.rootOptions;
  const rootNames = new Set(rootOptions.map((o) => o.long));
  const session = (text: string | undefined, shipped: readonly OptionSpec[]) =>
    text === undefined ? shipped : mergeOptions(shipped, parseHelp(text).options.filter((o) => !isHelpOrVersion(o) && !rootNames.has(o.long)));
  const exec = h.exec !== undefined ? parseHelp(h.exec) : null;
  const execPart = (text: string | undefined, shipped: readonly OptionSpec[]) => (text === undefined ? shipped : mergeOptions(shipped, parseHelp(text).options));
  return {
    rootOptions,
    subcommands: root ? mergeCommands(base.subcommands, root.commands) : base.subcommands,
    sessionOptions: { resume: session(h.resume, base.sessionOptions.resume), fork: session(h.fork, base.sessionOptions.fork) },
    exec: {
      options: exec ? mergeOptions(base.exec.options, exec.options) : base.exec.options,
      resume: execPart(h.execResume, base.exec.resume),
      fork: execPart(h.execFork, base.exec.fork),
      subcommands: exec ? [...new Set([...base.exec.subcommands, ...exec.commands.map((c) => c.name)])] : base.exec.subcommands,
    },
  };
}

/** What the installed codex knows beyond the shipped grammar (for `doctor` and the record of a session). */
export function grammarDifferences(g: Grammar, base: Grammar = SHIPPED_GRAMMAR): string[] {
  const out: string[] = [];
  const opts = (where: string, a: readonly OptionSpec[], b: readonly OptionSpec[]) => {
    const byLong = new Map(b.map((o) => [o.long, o]));
    for (const o of a) {
      const s = byLong.get(o.long);
      if (!s) out.push(`${where}--${o.long}${o.takesValue ? " <value>" : ""}`);
      else if (s.takesValue !== o.takesValue) out.push(`${where}--${o.long} ${o.takesValue ? "now takes a value" : "no longer takes a value"}`);
    }
  };
  opts("", g.rootOptions, base.rootOptions);
  const known = new Set(base.subcommands.map((s) => s.name));
  for (const s of g.subcommands) if (!known.has(s.name)) out.push(`command ${s.name}`);
  opts("resume ", g.sessionOptions.resume, base.sessionOptions.resume);
  opts("fork ", g.sessionOptions.fork, base.sessionOptions.fork);
  opts("exec ", g.exec.options, base.exec.options);
  opts("exec resume ", g.exec.resume, base.exec.resume);
  return out;
}
