// Errors that carry their exit status. Everything user-facing throws one of these; the CLI prints
// `codex-supervisor: <message>` once and exits with `exitCode`. Never put a secret in a message.

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = 1) {
    super(message);
    this.name = "CliError";
  }
}

/** Bad flag, bad argument, bad config field: exit 2. The message names the flag, field or file. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}
