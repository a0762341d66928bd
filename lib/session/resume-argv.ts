// The argv that resumes the bound session after a restart (rotation, crash, `restart`). Pure, never throws.
//
// TUI: `[--no-daemon] [root options exactly as given] resume [resume/fork options kept] <session-id>`.
//   - The initial PROMPT and images (root -i, or resume/fork's own PROMPT and -i) are never sent again:
//     codex already recorded that turn; re-sending it would run it twice.
//   - `resume --last` / the picker / `resume <id> <prompt>` → `resume <id>`; `--last`, `--all` and
//     `--include-non-interactive` only choose a session, and `--last` would turn <id> into a prompt.
//   - `fork …`: once the fork started, the running session is the NEW id (its own rollout), so that id
//     is resumed with `resume <id>`; the fork's selection options are dropped like resume's.
//   - Every other option, root or after the subcommand, is kept with its exact tokens and order: the
//     TUI on resume restores only model/provider/effort from the thread (measured), so -c, -s, -a,
//     --add-dir, --enable… must be given again.
//   - `--worktree` would create yet another worktree; when the session's cwd is known it is replaced by
//     `-C <that cwd>` (the worktree the session lives in).
// exec jobs: `[root options] exec [exec options] resume [exec-resume options] <id> <continue prompt>`.
//   Verified on codex 0.169.0: options of `exec` given before `resume` are accepted and applied on
//   resume (`codex exec -s danger-full-access -C dir resume <id> p` ran in dir with that sandbox), while
//   `-s`, `-C`, `--add-dir`, `-p`, `--oss`, `--local-provider`, `--color`, `--approve-for-me` are
//   rejected after `resume` (exit 2). So exec-level options stay before `resume`, and only what the user
//   put after `resume`/`fork` (which `exec resume` accepts: same flattened set) goes after it.
import type { ParsedArgv, RootOption } from "../codex/argv-types.js";
import { SHIPPED_GRAMMAR, type Grammar, type OptionSpec } from "../codex/grammar.js";

/** Options that only pick which session to resume/fork: dropped, the id is given explicitly. */
const SELECTION_OPTIONS = new Set(["last", "all", "include-non-interactive"]);

interface ResumeArgvOptions {
  /** The bound session's cwd (session_meta.cwd); lets `--worktree` be replaced by `-C <cwd>`. */
  sessionCwd?: string | null;
  /** codex's grammar (the installed codex's, when learned: lib/codex/learned-grammar.ts); default the shipped one. */
  grammar?: Grammar;
}

function has(options: readonly RootOption[], name: string): boolean {
  return options.some((o) => o.name === name);
}

function allOptions(parsed: ParsedArgv): RootOption[] {
  return [...parsed.rootOptions, ...(parsed.session?.options ?? [])];
}

/** Supervised TUIs run embedded (--no-daemon) unless the user chose a remote app server or said so already. */
export function needsNoDaemon(parsed: ParsedArgv): boolean {
  if (parsed.kind === "passthrough") return false;
  const opts = allOptions(parsed);
  return !has(opts, "remote") && !has(opts, "no-daemon");
}

/** The launch argv with `--no-daemon` first when needsNoDaemon (a root flag: valid before anything). */
export function withNoDaemon(parsed: ParsedArgv): string[] {
  return needsNoDaemon(parsed) ? ["--no-daemon", ...parsed.argv] : [...parsed.argv];
}

function tokensOf(options: readonly RootOption[], o: ResumeArgvOptions): string[] {
  const out: string[] = [];
  for (const opt of options) {
    if (opt.name === "worktree" && o.sessionCwd) {
      out.push("-C", o.sessionCwd);
      continue;
    }
    out.push(...opt.tokens);
  }
  return out;
}

/** Positionals that could be read as options go after `--`. */
function positionals(values: string[]): string[] {
  return values.some((v) => v.startsWith("-") && v !== "-") ? ["--", ...values] : values;
}

/**
 * `[--no-daemon] [root options] resume [kept resume/fork options] <sessionId> [prompt]` for the TUI.
 * `prompt` is ours (the continue prompt after a cut turn), never the user's initial one.
 */
export function buildResumeArgv(parsed: ParsedArgv, sessionId: string, o: ResumeArgvOptions = {}, prompt: string | null = null): string[] {
  const root = tokensOf(parsed.rootOptions, o);
  const sub = tokensOf(
    (parsed.session?.options ?? []).filter((x) => !SELECTION_OPTIONS.has(x.name)),
    o,
  );
  const all = allOptions(parsed);
  const noDaemon = !has(all, "remote") && !has(all, "no-daemon");
  return [...(noDaemon ? ["--no-daemon"] : []), ...root, "resume", ...sub, ...positionals(prompt === null ? [sessionId] : [sessionId, prompt])];
}

// ---------------------------------------------------------------------------------------------------
// `codex exec`: its grammar (lib/codex/grammar.ts; the installed codex's, when learned) walked clap-style.

interface Level {
  options: RootOption[];
  positionals: string[];
  subcommand: { name: string; index: number } | null;
}

/** clap-style parse of one level. Unknown options are kept as single-token flags (never thrown on). */
function parseLevel(argv: readonly string[], start: number, specs: readonly OptionSpec[], subcommands: readonly string[]): Level {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const r: Level = { options: [], positionals: [], subcommand: null };
  let dashdash = false;
  for (let i = start; i < argv.length; ) {
    const t = argv[i]!;
    const isOpt = !dashdash && t.length > 1 && t.startsWith("-");
    if (!isOpt) {
      if (!dashdash && r.positionals.length === 0 && subcommands.includes(t)) {
        r.subcommand = { name: t, index: i };
        return r;
      }
      r.positionals.push(t);
      i++;
      continue;
    }
    if (t === "--") {
      dashdash = true;
      i++;
      continue;
    }
    let spec: OptionSpec | undefined;
    let attached = false;
    if (t.startsWith("--")) {
      const eq = t.indexOf("=");
      spec = byLong.get(eq === -1 ? t.slice(2) : t.slice(2, eq));
      attached = eq !== -1;
    } else {
      spec = byShort.get(t[1]!);
      attached = t.length > 2;
    }
    if (!spec) {
      r.options.push({ name: `unknown:${t}`, tokens: [t], values: [] });
      i++;
      continue;
    }
    if (!spec.takesValue || attached) {
      r.options.push({ name: spec.long, tokens: [t], values: [] });
      i++;
      continue;
    }
    let end = i + 1;
    if (end < argv.length && !(argv[end]!.length > 1 && argv[end]!.startsWith("-"))) end++;
    if (spec.multiValue) while (end < argv.length && !(argv[end]!.length > 1 && argv[end]!.startsWith("-"))) end++;
    r.options.push({ name: spec.long, tokens: argv.slice(i, end), values: argv.slice(i + 1, end) });
    i = end;
  }
  return r;
}

/** Parsed `exec` part of an argv: exec-level options, and the options given after resume/fork/review. */
interface ExecParts {
  execOptions: RootOption[];
  /** "resume" | "fork" | "review" | null (a plain `exec PROMPT`). */
  subcommand: string | null;
  subcommandOptions: RootOption[];
}

export function parseExecParts(parsed: ParsedArgv, grammar: Grammar = SHIPPED_GRAMMAR): ExecParts {
  if (parsed.subcommand !== "exec") return { execOptions: [], subcommand: null, subcommandOptions: [] };
  const args = parsed.subcommandArgs;
  const g = grammar.exec;
  const top = parseLevel(args, 0, g.options, g.subcommands);
  if (!top.subcommand || top.subcommand.name === "help") return { execOptions: top.options, subcommand: null, subcommandOptions: [] };
  const name = top.subcommand.name;
  const specs = name === "resume" ? g.resume : name === "fork" ? g.fork : g.options;
  const sub = parseLevel(args, top.subcommand.index + 1, specs, []);
  return { execOptions: top.options, subcommand: name, subcommandOptions: sub.options };
}

/**
 * `[root options] exec [exec options] resume [exec-resume options] <id> <continuePrompt>` for a
 * background `exec` job. Images and the original prompt are dropped; so are --last/--all.
 */
export function buildExecResumeArgv(parsed: ParsedArgv, sessionId: string, continuePrompt: string, o: ResumeArgvOptions = {}): string[] {
  const { execOptions, subcommandOptions } = parseExecParts(parsed, o.grammar);
  const keep = (opts: RootOption[]) => opts.filter((x) => x.name !== "image" && !SELECTION_OPTIONS.has(x.name) && x.name !== "help" && x.name !== "version");
  // `-C` is only accepted before `resume`: a --worktree given after it becomes `-C <cwd>` at exec level.
  const subKept = keep(subcommandOptions);
  const movedWorktree = o.sessionCwd ? subKept.some((x) => x.name === "worktree") : false;
  return [
    ...tokensOf(parsed.rootOptions, o),
    "exec",
    ...tokensOf(keep(execOptions), o),
    ...(movedWorktree ? ["-C", o.sessionCwd!] : []),
    "resume",
    ...tokensOf(movedWorktree ? subKept.filter((x) => x.name !== "worktree") : subKept, o),
    ...positionals([sessionId, continuePrompt]),
  ];
}
