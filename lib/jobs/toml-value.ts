// A small TOML value tokenizer (pure), for redaction: it finds where each leaf value of a
// `-c key=value` override sits in the text and under which keys, so a secret inside an inline table
// or an array is replaced without touching the rest. It reads basic strings (with escapes), literal
// strings, their multi-line forms, inline tables (dotted and quoted keys), arrays (nesting, trailing
// commas, comments, newlines) and bare scalars; it does not check what a scalar means.

interface TomlLeaf {
  /** Keys from the value's root down to this leaf (array elements add no key). */
  path: string[];
  start: number;
  end: number;
}

export class TomlSyntaxError extends Error {}

const BARE_KEY = /[A-Za-z0-9_-]/;
const SCALAR_STOP = /[\s,\]}#=]/;

/** Every leaf value of `text` (a whole TOML value) with its span; TomlSyntaxError if it is not one. */
export function tomlLeaves(text: string): TomlLeaf[] {
  const leaves: TomlLeaf[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new TomlSyntaxError(`${why} at offset ${i}`);
  };
  const skip = (newlines: boolean) => {
    for (;;) {
      const c = text[i];
      if (c === " " || c === "\t") i++;
      else if (newlines && (c === "\n" || c === "\r")) i++;
      else if (newlines && c === "#") {
        while (i < text.length && text[i] !== "\n") i++;
      } else return;
    }
  };

  const basicString = (): string => {
    const multi = text.startsWith('"""', i);
    i += multi ? 3 : 1;
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i]!;
      if (multi && text.startsWith('"""', i)) {
        // One or two quotes may sit just inside the closing delimiter: """a""""" is `a""`.
        let n = 3;
        while (text[i + n] === '"' && n < 5) n++;
        i += n;
        return out + '"'.repeat(n - 3);
      }
      if (!multi && c === '"') {
        i++;
        return out;
      }
      if (!multi && (c === "\n" || c === "\r")) fail("newline in a string");
      if (c === "\\") {
        const e = text[i + 1];
        const simple: Record<string, string> = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", e: "\x1b", '"': '"', "\\": "\\" };
        if (e !== undefined && Object.hasOwn(simple, e)) {
          out += simple[e];
          i += 2;
        } else if (e === "u" || e === "U" || e === "x") {
          const n = e === "u" ? 4 : e === "U" ? 8 : 2;
          const hex = text.slice(i + 2, i + 2 + n);
          if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(hex)) fail("bad escape");
          const cp = parseInt(hex, 16);
          if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail("bad escape");
          out += String.fromCodePoint(cp);
          i += 2 + n;
        } else if (multi && (e === "\n" || e === "\r" || e === " " || e === "\t")) {
          // Line-ending backslash: swallow white space up to the next non-blank.
          i++;
          while (i < text.length && /\s/.test(text[i]!)) i++;
        } else fail("bad escape");
        continue;
      }
      out += c;
      i++;
    }
  };

  const literalString = (): string => {
    const multi = text.startsWith("'''", i);
    i += multi ? 3 : 1;
    const close = multi ? "'''" : "'";
    const end = text.indexOf(close, i);
    if (end < 0) fail("unterminated literal string");
    let stop = end;
    if (multi) while (text[stop + 3] === "'" && stop - end < 2) stop++;
    const out = text.slice(i, stop);
    if (!multi && /[\r\n]/.test(out)) fail("newline in a literal string");
    i = stop + close.length;
    return out;
  };

  const key = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skip(false);
      const c = text[i];
      if (c === '"') parts.push(basicString());
      else if (c === "'") parts.push(literalString());
      else {
        const from = i;
        while (i < text.length && BARE_KEY.test(text[i]!)) i++;
        if (i === from) fail("expected a key");
        parts.push(text.slice(from, i));
      }
      skip(false);
      if (text[i] !== ".") return parts;
      i++;
    }
  };

  const value = (path: string[]): void => {
    const c = text[i];
    const start = i;
    if (c === '"') basicString();
    else if (c === "'") literalString();
    else if (c === "{") {
      i++;
      skip(false);
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        const k = key();
        if (text[i] !== "=") fail("expected '='");
        i++;
        skip(false);
        value([...path, ...k]);
        skip(false);
        if (text[i] === ",") {
          i++;
          skip(false);
          if (text[i] === "}") {
            i++; // a trailing comma (TOML 1.1)
            return;
          }
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail("expected ',' or '}'");
      }
    } else if (c === "[") {
      i++;
      for (;;) {
        skip(true);
        if (text[i] === "]") {
          i++;
          return;
        }
        value(path);
        skip(true);
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail("expected ',' or ']'");
      }
    } else {
      while (i < text.length && !SCALAR_STOP.test(text[i]!)) i++;
      // A local date-time may be written with a space: 1979-05-27 07:32:00.
      if (/^\d{4}-\d{2}-\d{2}$/.test(text.slice(start, i)) && / \d{2}:/.test(text.slice(i, i + 4))) {
        i++;
        while (i < text.length && !SCALAR_STOP.test(text[i]!)) i++;
      }
      if (i === start) fail("expected a value");
    }
    leaves.push({ path, start, end: i });
  };

  skip(true);
  value([]);
  skip(true);
  if (i !== text.length) fail("unexpected text after the value");
  return leaves;
}
