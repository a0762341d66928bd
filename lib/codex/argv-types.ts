// The pieces of a codex argv that routing, resume and the supervisor share.
// Produced by lib/codex/classify.ts (pure); consumed by lib/session/resume-argv.ts and the supervisor.

/** One root option occurrence, kept exactly as the user wrote it so it can be replayed byte-for-byte. */
export interface RootOption {
  /** Canonical long name without dashes, e.g. "config", "model", "no-daemon". */
  name: string;
  /** The argv tokens exactly as given: ["-c", "k=v"], ["--config=k=v"], ["--no-daemon"], ["-i", "a.png", "b.png"]. */
  tokens: string[];
  /** The value(s), when the option takes any. */
  values: string[];
}

type ArgvKind =
  /** No subcommand: the TUI, with or without a PROMPT. */
  | "interactive"
  /** `resume` or `fork` (also interactive TUIs). */
  | "interactive-subcommand"
  /** help/version flags, any other subcommand, or anything we do not understand. */
  | "passthrough";

export interface ParsedArgv {
  kind: ArgvKind;
  /** The original argv, untouched. */
  argv: string[];
  /**
   * Root-level options in order: those before the subcommand, and for a root interactive invocation also
   * those after the PROMPT (clap accepts options on both sides). Excludes images (see `images`) and help/version.
   */
  rootOptions: RootOption[];
  /** Canonical subcommand name ("exec" for "e", "apply" for "a"), or null. */
  subcommand: string | null;
  /** The token the user typed for the subcommand ("e" or "exec"), or null. */
  subcommandToken: string | null;
  /** Tokens after the subcommand token, untouched. */
  subcommandArgs: string[];
  /** The initial PROMPT of a root interactive invocation (never re-sent on resume), or null. */
  prompt: string | null;
  /** Images attached to the initial prompt via -i/--image (never re-sent on resume). */
  images: string[];
  /** True when `--` appeared at the root. */
  sawDoubleDash: boolean;
  /** True when -h/--help/-V/--version appeared at the root or in resume/fork's own args (always passthrough). */
  helpOrVersion: boolean;
  /** Why the argv was classified passthrough, for `doctor`/debugging ("help", "subcommand:login", "unknown-option:--x"...). */
  reason: string;
  /** For `resume`/`fork` (kind "interactive-subcommand"): their own arguments, parsed. Absent otherwise. */
  session?: SessionArgs;
}

/** The parsed arguments of `codex [root options] resume|fork [OPTIONS] [SESSION_ID] [PROMPT]`. */
export interface SessionArgs {
  /** Options after the subcommand token, in order (root-style options and --last/--all/...). Excludes images. */
  options: RootOption[];
  /** SESSION_ID (a UUID or a session name), or null (picker, or --last). */
  sessionId: string | null;
  /** PROMPT given to resume/fork (never re-sent on a later resume), or null. */
  prompt: string | null;
  /** Images attached via -i/--image after the subcommand (never re-sent). */
  images: string[];
  /** `--last` was given. */
  last: boolean;
  /** `--` appeared after the subcommand. */
  sawDoubleDash: boolean;
}
