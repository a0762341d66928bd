// The argv layer of our CLI, on Node's `util.parseArgs`: every command declares its options (type,
// short flag, multiple) and arguments once, and this module turns that declaration into the parser,
// the usage errors (one line naming the flag, exit 2 through UsageError, with "did you mean"), and
// the `--help` text — so a flag cannot be accepted without being documented, or the reverse.
//
// parseArgs runs non-strict with tokens: its own strict errors are long multi-line texts without the
// flag's name as data, so the tokens are checked here and every message is ours.
import { safeToEcho } from "../text/user-text.js";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { didYouMean } from "./suggest.js";

export interface OptionSpec {
  type: "boolean" | "string";
  /** One letter: `-a` for `--all`. */
  short?: string;
  /** A string option that may be given several times (its value is an array). */
  multiple?: boolean;
  /** The value's placeholder in help and errors: `--timeout S`. */
  value?: string;
  /** What it does, for --help (may hold line breaks). */
  help: string;
}

type OptionsSpec = Record<string, OptionSpec>;

export interface CommandSpec<O extends OptionsSpec = OptionsSpec> {
  /** As the user types it: "ls", "accounts add". */
  name: string;
  /** What follows the name in the usage line: "[--all] [--json]". */
  synopsis: string;
  /** The paragraph(s) between the usage line and the options. */
  about?: string;
  options: O;
  /** Positional arguments: their name in messages ("<name>") and how many are allowed (default none). */
  args?: { name: string; min: number; max: number };
  /**
   * Our options end at `--` or at the first argument that is not one of them; that argument and
   * everything after it are returned untouched as `rest` (`run -- exec …` hands them to codex).
   */
  rest?: boolean;
  /** Never echo an argument or value in an error (a mistyped command line may hold a key). */
  quiet?: boolean;
  /** Extra words for an unknown option, e.g. where a key must come from instead. */
  unknownOptionHint?: (option: string) => string | null;
  /** Closing paragraph of --help (exit statuses). */
  footer?: string;
}

type ValueOf<S extends OptionSpec> = S["type"] extends "boolean" ? boolean : S["multiple"] extends true ? string[] : string | undefined;
export type Values<O extends OptionsSpec> = { [K in keyof O]: ValueOf<O[K]> };

export interface Parsed<O extends OptionsSpec = OptionsSpec> {
  help: false;
  values: Values<O>;
  positionals: string[];
  /** With `rest`: the arguments from the first one that is not ours (without a leading `--`). */
  rest: string[];
}

type ParseResult<O extends OptionsSpec> = { help: true } | Parsed<O>;

/** Declares a command (keeps the option names as literal types for `values`). */
export function command<const O extends OptionsSpec>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", help: "show this help" };

/** What may be shown of a word the user typed when the command is `quiet`: a plain lowercase name, never a key. */
function echoable(word: string): boolean {
  return /^-{0,2}[a-z][a-z-]{0,23}$/.test(word) && !/^-{0,2}sk-/.test(word);
}

function allOptions(spec: CommandSpec<OptionsSpec>): OptionsSpec {
  return { ...spec.options, help: HELP_OPTION };
}

function flagNames(options: OptionsSpec): string[] {
  return Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
}

function usageError(spec: CommandSpec<OptionsSpec>, what: string): UsageError {
  return new UsageError(`${spec.name}: ${what} (see ${spec.name} --help)`);
}

export function parseCommand<O extends OptionsSpec>(spec: CommandSpec<O>, args: string[]): ParseResult<O> {
  const options = allOptions(spec);
  const config = Object.fromEntries(
    Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
  const { tokens } = parseArgs({ args, options: config, strict: false, allowPositionals: true, tokens: true });

  // Where our part of argv ends (`rest` commands): at `--` or the first positional.
  let ours = tokens;
  let rest: string[] = [];
  if (spec.rest) {
    const end = tokens.findIndex((t) => t.kind === "positional" || t.kind === "option-terminator");
    if (end >= 0) {
      const t = tokens[end]!;
      ours = tokens.slice(0, end);
      rest = args.slice(t.kind === "option-terminator" ? t.index + 1 : t.index);
    }
  }
  // Asked for help: nothing else matters.
  if (ours.some((t) => t.kind === "option" && t.name === "help" && options[t.name] === HELP_OPTION)) return { help: true };

  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) values[name] = o.type === "boolean" ? false : o.multiple ? [] : undefined;
  const positionals: string[] = [];
  for (const t of ours) {
    if (t.kind === "positional") {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== "option") continue;
    const o = Object.hasOwn(options, t.name) && (t.rawName === `--${t.name}` || t.rawName === `-${options[t.name]!.short}`) ? options[t.name] : undefined;
    if (!o) {
      const shown = !spec.quiet || echoable(t.rawName) ? ` ${safeToEcho(t.rawName)}` : "";
      const hint = spec.unknownOptionHint?.(t.rawName) ?? (shown ? didYouMean(t.rawName, flagNames(options)) : "");
      throw usageError(spec, `unknown option${shown}${hint}`);
    }
    const placeholder = o.value ? ` ${o.value}` : "";
    if (o.type === "boolean") {
      if (t.value !== undefined) throw usageError(spec, `${t.rawName} takes no value`);
      values[t.name] = true;
      continue;
    }
    // A string option that swallowed the next flag (`--name --detach`) was given no value.
    const swallowed = t.value !== undefined && !t.inlineValue && t.value.startsWith("-") && t.value !== "-";
    if (t.value === undefined || swallowed) {
      const form = placeholder ? ` (${t.rawName}${placeholder}${swallowed ? `; a value starting with '-' is written ${t.rawName}=${o.value}` : ""})` : "";
      throw usageError(spec, `${t.rawName} needs a value${form}`);
    }
    if (o.multiple) (values[t.name] as string[]).push(t.value);
    else if (values[t.name] !== undefined) throw usageError(spec, `${t.rawName} given twice`);
    else values[t.name] = t.value;
  }

  const { name: argName, min, max } = spec.args ?? { name: "", min: 0, max: 0 };
  if (positionals.length < min) throw usageError(spec, `missing ${argName}`);
  if (positionals.length > max) {
    const first = positionals[max]!;
    if (max === 0) throw usageError(spec, `unexpected argument${!spec.quiet || echoable(first) ? ` ${safeToEcho(first)}` : ""}`);
    throw usageError(spec, `expected ${max === 1 ? "one" : `at most ${max}`} ${argName}, got ${positionals.length} arguments`);
  }
  return { help: false, values: values as Values<O>, positionals, rest };
}

/** Two-column list with the second column aligned; continuation lines of a cell indented to it. */
function columns(rows: [string, string][], indent = 2): string[] {
  const w = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.flatMap(([left, right]) => {
    const [first, ...more] = right.split("\n");
    return [`${" ".repeat(indent)}${left.padEnd(w)}${first}`.trimEnd(), ...more.map((m) => `${" ".repeat(indent + w)}${m}`)];
  });
}

export function renderHelp(spec: CommandSpec<OptionsSpec>): string {
  const parts = [`Usage: codex-supervisor ${spec.name}${spec.synopsis ? ` ${spec.synopsis}` : ""}`];
  if (spec.about) parts.push(spec.about.trimEnd());
  const rows: [string, string][] = Object.entries(allOptions(spec)).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : "    "}--${name}${o.type === "string" && o.value ? ` ${o.value}` : ""}`,
    o.help + (o.multiple ? " (repeatable)" : ""),
  ]);
  parts.push(["Options:", ...columns(rows)].join("\n"));
  if (spec.footer) parts.push(spec.footer.trimEnd());
  return parts.join("\n\n") + "\n";
}

// ---- commands with subcommands (`accounts add`, and the top level itself) ----

export interface GroupSpec {
  /** "accounts"; "" for the top level. */
  name: string;
  about?: string;
  commands: Record<string, { summary: string; usage?: string; hidden?: boolean }>;
  /** Extra lines under the command list (the top level's own options). */
  footer?: string;
  /** Options accepted in place of a command (`--version`): what a mistyped one is compared with. */
  flags?: string[];
  quiet?: boolean;
}

type GroupResult = { kind: "help" } | { kind: "missing" } | { kind: "command"; name: string; args: string[] };

/**
 * The subcommand of `args`: `--help`/`-h`/`help` first → help (stdout, exit 0); nothing → missing
 * (the caller prints the help to stderr, exit 2); an unknown one → UsageError with a suggestion.
 */
export function parseGroup(group: GroupSpec, args: string[]): GroupResult {
  const [first, ...rest] = args;
  if (first === undefined) return { kind: "missing" };
  if (first === "-h" || first === "--help" || first === "help") return { kind: "help" };
  if (Object.hasOwn(group.commands, first)) return { kind: "command", name: first, args: rest };
  const where = group.name ? `${group.name}: ` : "";
  const see = `see ${group.name ? `${group.name} ` : ""}--help`;
  const isOption = first.startsWith("-");
  const shown = !group.quiet || echoable(first.split("=")[0]!) ? first.split("=")[0]! : null;
  const visible = Object.entries(group.commands).filter(([, c]) => !c.hidden).map(([n]) => n);
  if (shown === null) {
    const list = `${visible.slice(0, -1).join(", ")} or ${visible[visible.length - 1]}`;
    throw new UsageError(`${where}unknown ${isOption ? "option" : "command"} (expected ${list}; ${see})`);
  }
  throw new UsageError(`${where}unknown ${isOption ? "option" : "command"} ${safeToEcho(shown)}${didYouMean(shown, isOption ? ["--help", ...(group.flags ?? [])] : visible)} (${see})`);
}

export function renderGroupHelp(group: GroupSpec): string {
  const name = group.name ? ` ${group.name}` : "";
  const parts = [`Usage: codex-supervisor${name} <command> [options]`];
  if (group.about) parts.push(group.about.trimEnd());
  const rows: [string, string][] = Object.entries(group.commands)
    .filter(([, c]) => !c.hidden)
    .map(([n, c]) => [c.usage ? `${n} ${c.usage}` : n, c.summary]);
  parts.push(["Commands:", ...columns(rows)].join("\n"));
  if (group.footer) parts.push(group.footer.trimEnd());
  parts.push(`Run \`codex-supervisor${name} <command> --help\` for a command's options.`);
  return parts.join("\n\n") + "\n";
}
