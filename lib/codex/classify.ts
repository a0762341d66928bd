// parseCodexArgv: classify a codex argv by codex's real grammar (grammar.ts). Pure, never throws.
// Whatever codex itself would reject (unknown option, missing value, extra positional) is classified
// "passthrough" with a reason, so codex prints its own error and exit status.
import {
  HELP_VERSION,
  IMAGE_OPTION,
  ROOT_MAX_POSITIONALS,
  ROOT_OPTIONS,
  SESSION_MAX_POSITIONALS,
  SESSION_SUBCOMMAND_OPTIONS,
  SUBCOMMANDS,
  type OptionSpec,
  type SubcommandSpec,
} from "./grammar.js";
import type { ParsedArgv, RootOption, SessionArgs } from "./argv-types.js";

interface OptionTable {
  byLong: Map<string, OptionSpec>;
  byShort: Map<string, OptionSpec>;
}

function table(specs: readonly OptionSpec[]): OptionTable {
  const byLong = new Map<string, OptionSpec>();
  const byShort = new Map<string, OptionSpec>();
  for (const s of [...HELP_VERSION, ...specs]) {
    byLong.set(s.long, s);
    if (s.short) byShort.set(s.short, s);
  }
  return { byLong, byShort };
}

const ROOT_TABLE = table(ROOT_OPTIONS);
const RESUME_TABLE = table([...ROOT_OPTIONS, ...SESSION_SUBCOMMAND_OPTIONS.resume]);
const FORK_TABLE = table([...ROOT_OPTIONS, ...SESSION_SUBCOMMAND_OPTIONS.fork]);

const SUBCOMMAND_BY_TOKEN = new Map<string, SubcommandSpec>();
for (const s of SUBCOMMANDS) {
  SUBCOMMAND_BY_TOKEN.set(s.name, s);
  for (const a of s.aliases) SUBCOMMAND_BY_TOKEN.set(a, s);
}

interface LevelResult {
  options: RootOption[];
  images: string[];
  positionals: string[];
  /** The subcommand token and its index in argv, when one was found. */
  subcommand: { spec: SubcommandSpec; token: string; index: number } | null;
  sawDoubleDash: boolean;
  /** "help" or "version" when clap would print it and exit. */
  helpOrVersion: "help" | "version" | null;
  /** Why clap would reject this argv, or null. */
  problem: string | null;
}

/** clap treats a token as an option (not a value) when it starts with `-` and is not a lone `-`. */
function looksLikeOption(token: string): boolean {
  return token.length > 1 && token.startsWith("-");
}

/**
 * One level of clap parsing from argv[start]: options of `opts`, positionals up to `maxPositionals`,
 * and (when `subcommands`) a subcommand at any positional slot before `--`.
 */
function parseLevel(
  argv: readonly string[],
  start: number,
  opts: OptionTable,
  subcommands: Map<string, SubcommandSpec> | null,
  maxPositionals: number,
): LevelResult {
  const r: LevelResult = {
    options: [],
    images: [],
    positionals: [],
    subcommand: null,
    sawDoubleDash: false,
    helpOrVersion: null,
    problem: null,
  };
  const record = (spec: OptionSpec, tokens: string[], values: string[]) => {
    if (spec.long === IMAGE_OPTION) r.images.push(...values);
    else r.options.push({ name: spec.long, tokens, values });
  };

  let i = start;
  while (i < argv.length) {
    const t = argv[i]!;
    if (r.sawDoubleDash || !looksLikeOption(t)) {
      if (!r.sawDoubleDash && subcommands) {
        const sub = subcommands.get(t);
        if (sub) {
          r.subcommand = { spec: sub, token: t, index: i };
          return r;
        }
      }
      if (r.positionals.length >= maxPositionals) {
        r.problem = `unexpected-argument:${t}`;
        return r;
      }
      r.positionals.push(t);
      i++;
      continue;
    }
    if (t === "--") {
      r.sawDoubleDash = true;
      i++;
      continue;
    }

    let spec: OptionSpec | undefined;
    let attached: string | null = null; // value given in the same token
    let shown: string; // how to name the option in a reason
    if (t.startsWith("--")) {
      const eq = t.indexOf("=");
      const name = eq === -1 ? t.slice(2) : t.slice(2, eq);
      if (eq !== -1) attached = t.slice(eq + 1);
      shown = `--${name}`;
      spec = opts.byLong.get(name);
    } else {
      const ch = t[1]!;
      shown = `-${ch}`;
      spec = opts.byShort.get(ch);
      if (t.length > 2) {
        // `-mv` / `-m=v` for a value option (clap drops one `=`); a flag followed by more
        // characters would be a cluster of short flags, which only -h/-V could form here.
        attached = t[2] === "=" ? t.slice(3) : t.slice(2);
        if (spec && !spec.takesValue && HELP_VERSION.indexOf(spec) === -1) {
          r.problem = `short-flag-cluster:${t}`;
          return r;
        }
      }
    }

    if (!spec) {
      r.problem = `unknown-option:${shown}`;
      return r;
    }
    if (spec.long === "help" || spec.long === "version") {
      // clap acts on the first of them it meets; with a value (`--help=x`) it is an error. Both pass through.
      r.helpOrVersion = spec.long;
      return r;
    }
    if (!spec.takesValue) {
      if (attached !== null) {
        r.problem = `unexpected-value:${shown}`;
        return r;
      }
      record(spec, [t], []);
      i++;
      continue;
    }
    if (attached !== null) {
      record(spec, [t], [attached]);
      i++;
      continue;
    }
    const first = argv[i + 1];
    if (first === undefined || looksLikeOption(first)) {
      r.problem = `missing-value:${shown}`;
      return r;
    }
    let end = i + 2;
    if (spec.multiValue) {
      while (end < argv.length && !looksLikeOption(argv[end]!)) end++;
    }
    record(spec, argv.slice(i, end), argv.slice(i + 1, end));
    i = end;
  }
  return r;
}

function passthrough(base: ParsedArgv, reason: string): ParsedArgv {
  return { ...base, kind: "passthrough", reason };
}

export function parseCodexArgv(argv: string[]): ParsedArgv {
  const original = argv.slice();
  const root = parseLevel(original, 0, ROOT_TABLE, SUBCOMMAND_BY_TOKEN, ROOT_MAX_POSITIONALS);
  const sub = root.subcommand;
  const base: ParsedArgv = {
    kind: "passthrough",
    argv: original,
    rootOptions: root.options,
    subcommand: sub ? sub.spec.name : null,
    subcommandToken: sub ? sub.token : null,
    subcommandArgs: sub ? original.slice(sub.index + 1) : [],
    // With a subcommand, a PROMPT typed before it is dropped by codex; it is not the TUI's prompt.
    prompt: sub ? null : (root.positionals[0] ?? null),
    images: root.images,
    sawDoubleDash: root.sawDoubleDash,
    helpOrVersion: root.helpOrVersion !== null,
    reason: "",
  };
  if (root.helpOrVersion) return passthrough(base, root.helpOrVersion);
  if (root.problem) return passthrough(base, root.problem);
  if (!sub) return { ...base, kind: "interactive", reason: "interactive" };
  if (!sub.spec.interactive) return passthrough(base, `subcommand:${sub.spec.name}`);

  const name = sub.spec.name as "resume" | "fork";
  const level = parseLevel(
    original,
    sub.index + 1,
    name === "resume" ? RESUME_TABLE : FORK_TABLE,
    null,
    SESSION_MAX_POSITIONALS,
  );
  const session: SessionArgs = {
    options: level.options,
    sessionId: level.positionals[0] ?? null,
    prompt: level.positionals[1] ?? null,
    images: level.images,
    last: level.options.some((o) => o.name === "last"),
    sawDoubleDash: level.sawDoubleDash,
  };
  const withSession: ParsedArgv = { ...base, session };
  if (level.helpOrVersion) return { ...passthrough(withSession, `${name}:${level.helpOrVersion}`), helpOrVersion: true };
  if (level.problem) return passthrough(withSession, `${name}:${level.problem}`);
  return { ...withSession, kind: "interactive-subcommand", reason: `interactive:${name}` };
}
