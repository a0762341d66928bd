// Colour for people, off for machines: on when the stream is a terminal, and the usual variables
// decide over that — FORCE_COLOR (anything but "0"/"false" forces it on, "0"/"false" off) first,
// then NO_COLOR (set and non-empty: off), then TERM=dumb (off). The escape codes come from Node's
// util.styleText (Node ≥ 20.12); without it, no colour.
import util from "node:util";

type StyleFormat = Parameters<typeof util.styleText>[0];

export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export type Paint = (format: StyleFormat, text: string) => string;

const plain: Paint = (_format, text) => text;

/** A painter for one output: the identity when colour is off. */
export function painter(enabled: boolean): Paint {
  if (!enabled || typeof util.styleText !== "function") return plain;
  // validateStream: false — whether to colour was decided above, by the rule in the header.
  return (format, text) => (text === "" ? text : util.styleText(format, text, { validateStream: false }));
}
