// Text users give us (job names, account names, references) and what of it we may echo back.
// One rule for every command: a name is printable, bounded and not a credential; an echo never
// shows a secret-shaped value, a control character or a screenful of text.
import { UsageError } from "../errors.js";
import { looksLikeSecret } from "./secrets.js";

const MAX_NAME_LENGTH = 64;
const MAX_ECHO = 60;

/** C0/C1 controls, DEL, and the invisible formatting characters that can reorder or hide text. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u206f\ufeff\ufff9-\ufffb]/u;

/**
 * How to show a user-given value in a message (pure): quoted and escaped, cut to a few dozen
 * characters; a secret-shaped value is described, never shown.
 */
export function safeToEcho(value: string): string {
  if (looksLikeSecret(value)) return `<a value that looks like a secret (${value.length} characters), not shown>`;
  const cut = [...value];
  const short = cut.length > MAX_ECHO ? `${cut.slice(0, MAX_ECHO).join("")}…` : value;
  // JSON escaping shows \n, \u001b and friends instead of letting them act on the terminal.
  let shown = JSON.stringify(short).slice(1, -1).replace(/'/g, "\\'");
  shown = shown.replace(new RegExp(UNPRINTABLE.source, "gu"), (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`);
  return `'${shown}'${cut.length > MAX_ECHO ? ` (${cut.length} characters)` : ""}`;
}

/** Why `name` is not acceptable as a name we store and print, or null (pure). */
export function nameProblem(name: string, maxLength: number = MAX_NAME_LENGTH): string | null {
  if (name.trim() === "") return "it is empty";
  if (name !== name.trim()) return "it starts or ends with white space";
  if (UNPRINTABLE.test(name)) return "it contains a control or invisible formatting character";
  if ([...name].length > maxLength) return `it is longer than ${maxLength} characters`;
  if (name.startsWith("-")) return "it starts with '-' (it would read as an option)";
  if (looksLikeSecret(name)) return "it looks like a secret (names are shown by ls, status and logs)";
  return null;
}

/** A name we may store and print; else a UsageError naming `what` (the value is shown only if safe). */
export function checkName(what: string, name: string, maxLength?: number): string {
  const problem = nameProblem(name, maxLength);
  if (problem === null) return name;
  const shown = problem.startsWith("it looks like a secret") || problem.startsWith("it contains") ? "" : ` ${safeToEcho(name)}`;
  throw new UsageError(`${what}${shown}: ${problem}`);
}
