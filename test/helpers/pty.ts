// Running a command with a terminal: the supervisor only runs for an interactive invocation on a tty
// (without one it passes through), so tests that mean "a user at a terminal" run it under util-linux
// `script`, which gives the command a pty and exits with its status (-e). stdout and stderr arrive
// merged, as on a screen, with CRLF line ends.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";

/** POSIX shell quoting of one word. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface PtyResult {
  status: number | null;
  /** What the command wrote to its terminal, CRLF turned into LF. */
  output: string;
  error?: Error;
}

export function spawnSyncInPty(command: string, args: readonly string[], o: Pick<SpawnSyncOptions, "env" | "cwd" | "timeout"> = {}): PtyResult {
  const r = spawnSync("script", ["-qefc", [command, ...args].map(quote).join(" "), "/dev/null"], { ...o, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}`.replace(/\r\n/g, "\n"), ...(r.error ? { error: r.error } : {}) };
}

/** The text a person would read: escape sequences (cursor shows, mode changes) taken out. */
export function visibleText(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g, "");
}
