// Codex's real command-line grammar (pinned @openai/codex 0.171.0), as data. The parser in classify.ts
// walks these tables; test/codex/grammar-vs-real-codex.test.ts compares them with the pinned binary's
// `--help` and `completion bash` output so an upgrade that adds or drops an option or command fails loudly.
//
// Facts verified against the native binary (clap), encoded below and in classify.ts:
// - A value option takes `-m v`, `-mv`, `-m=v` (clap drops one leading `=`), `--model v`, `--model=v`.
// - A separate value must not start with `-` (except a lone `-`): `codex -m --help` is clap's
//   "a value is required" error, exit 2.
// - `-i/--image <FILE>...` has num_args(1..): in the separate form it swallows every following token
//   up to the next one starting with `-`, even a command word: `codex -i a.png exec --help` prints the
//   ROOT help (exec became an image). The attached forms (`-ia.png`, `-i=a.png`, `--image=a.png`)
//   take exactly one value.
// - Subcommand names are matched exactly (case-sensitive, no prefix inference) at every positional
//   slot, even after a PROMPT: `codex hello features list` runs `features list`. After `--` nothing is
//   a subcommand: `codex -- exec` opens the TUI with the prompt "exec".
// - A second positional that is not a subcommand is clap's "unexpected argument" error.
// - Long names are not abbreviated (`--vers` is an error); a flag given a value (`--no-daemon=1`) is an error.

export interface OptionSpec {
  /** Long name without dashes; also the canonical name recorded in RootOption.name. */
  long: string;
  /** Single-character short name, if any. */
  short?: string;
  /** Takes a value (`<X>`); false = a flag. */
  takesValue: boolean;
  /** num_args(1..) in the separate form (only -i/--image). */
  multiValue?: boolean;
}

/** -h/--help and -V/--version: clap handles these itself; always passthrough. */
export const HELP_VERSION: readonly OptionSpec[] = [
  { long: "help", short: "h", takesValue: false },
  { long: "version", short: "V", takesValue: false },
];

/** Root options of `codex [OPTIONS] [PROMPT]` other than help/version. */
export const ROOT_OPTIONS: readonly OptionSpec[] = [
  { long: "config", short: "c", takesValue: true },
  { long: "enable", takesValue: true },
  { long: "disable", takesValue: true },
  { long: "remote", takesValue: true },
  { long: "remote-auth-token-env", takesValue: true },
  { long: "strict-config", takesValue: false },
  { long: "image", short: "i", takesValue: true, multiValue: true },
  { long: "model", short: "m", takesValue: true },
  { long: "oss", takesValue: false },
  { long: "local-provider", takesValue: true },
  { long: "profile", short: "p", takesValue: true },
  { long: "sandbox", short: "s", takesValue: true },
  { long: "approve-for-me", takesValue: false },
  { long: "dangerously-bypass-approvals-and-sandbox", takesValue: false },
  { long: "dangerously-bypass-hook-trust", takesValue: false },
  { long: "cd", short: "C", takesValue: true },
  { long: "worktree", takesValue: false },
  { long: "add-dir", takesValue: true },
  { long: "ask-for-approval", short: "a", takesValue: true },
  { long: "search", takesValue: false },
  { long: "no-alt-screen", takesValue: false },
  { long: "no-daemon", takesValue: false },
];

/** The option that carries images for the initial prompt (kept out of rootOptions, see ParsedArgv.images). */
export const IMAGE_OPTION = "image";

export interface SubcommandSpec {
  name: string;
  aliases: readonly string[];
  /** Opens the interactive TUI (routed to the supervisor when opted in). */
  interactive: boolean;
  /** Hidden from `--help` (listed only by `codex completion bash`). */
  hidden?: boolean;
}

/** Every root subcommand, visible and hidden, with its aliases. */
export const SUBCOMMANDS: readonly SubcommandSpec[] = [
  { name: "agents", aliases: [], interactive: false },
  { name: "tcp-tunnel", aliases: [], interactive: false, hidden: true },
  { name: "exec", aliases: ["e"], interactive: false },
  { name: "review", aliases: [], interactive: false },
  { name: "login", aliases: [], interactive: false },
  { name: "git-credential", aliases: [], interactive: false, hidden: true },
  { name: "logout", aliases: [], interactive: false },
  { name: "mcp", aliases: [], interactive: false },
  { name: "plugin", aliases: [], interactive: false },
  { name: "app-server", aliases: [], interactive: false },
  { name: "remote-control", aliases: [], interactive: false },
  { name: "completion", aliases: [], interactive: false },
  { name: "update", aliases: [], interactive: false },
  { name: "doctor", aliases: [], interactive: false },
  { name: "sandbox", aliases: [], interactive: false },
  { name: "debug", aliases: [], interactive: false },
  { name: "execpolicy", aliases: [], interactive: false, hidden: true },
  { name: "apply", aliases: ["a"], interactive: false },
  { name: "resume", aliases: [], interactive: true },
  { name: "queue", aliases: [], interactive: false },
  { name: "archive", aliases: [], interactive: false },
  { name: "delete", aliases: [], interactive: false },
  { name: "migrate-rollouts", aliases: [], interactive: false },
  { name: "migrate-nfs-db", aliases: [], interactive: false },
  { name: "unarchive", aliases: [], interactive: false },
  { name: "fork", aliases: [], interactive: true },
  { name: "cloud", aliases: [], interactive: false },
  { name: "responses-api-proxy", aliases: [], interactive: false, hidden: true },
  { name: "exec-server", aliases: [], interactive: false },
  { name: "features", aliases: [], interactive: false },
  { name: "help", aliases: [], interactive: false },
];

/**
 * `codex resume|fork [OPTIONS] [SESSION_ID] [PROMPT]`: the root options (flattened into the
 * subcommand by codex) plus these, and no subcommands of their own.
 */
export const SESSION_SUBCOMMAND_OPTIONS: Readonly<Record<"resume" | "fork", readonly OptionSpec[]>> = {
  resume: [
    { long: "last", takesValue: false },
    { long: "all", takesValue: false },
    { long: "include-non-interactive", takesValue: false },
  ],
  fork: [
    { long: "last", takesValue: false },
    { long: "all", takesValue: false },
  ],
};

/** Positional slots: root has PROMPT; resume/fork have SESSION_ID then PROMPT. */
export const ROOT_MAX_POSITIONALS = 1;
export const SESSION_MAX_POSITIONALS = 2;
