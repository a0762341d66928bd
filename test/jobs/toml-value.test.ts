// The TOML value tokenizer redaction relies on (pure): where each leaf sits, under which keys.
import { describe, expect, it } from "vitest";
import { tomlLeaves, TomlSyntaxError } from "../../lib/jobs/toml-value.js";

const leaves = (text: string) => tomlLeaves(text).map((l) => ({ path: l.path.join("."), text: text.slice(l.start, l.end) }));

describe("tomlLeaves", () => {
  it("scalars and strings of every kind are one leaf spanning the value", () => {
    for (const v of ['"a\\"b\\\\c\\u00e9\\U0001F600"', "'C:\\path'", '"""multi\nline""""', "'''it's ''got'' quotes'''''", "42", "-1.5e3", "true", "1979-05-27 07:32:00Z", "1979-05-27T07:32:00", "inf"]) {
      expect(leaves(v), v).toEqual([{ path: "", text: v }]);
    }
  });

  it("inline tables: bare, quoted and dotted keys; nesting; a trailing comma", () => {
    const v = `{ base_url = "http://x", "X-Api-Key" = 'k', a.b = 1, 'c.d' = { e = [ "f", { g = "h" } ] }, }`;
    expect(leaves(v)).toEqual([
      { path: "base_url", text: '"http://x"' },
      { path: "X-Api-Key", text: "'k'" },
      { path: "a.b", text: "1" },
      { path: "c.d.e", text: '"f"' },
      { path: "c.d.e.g", text: '"h"' },
    ]);
    expect(leaves("{}")).toEqual([]);
  });

  it("arrays: nesting, newlines, comments and a trailing comma; array elements add no key", () => {
    const v = `[\n  "a", # first\n  [1, 2,],\n  { k = "v" },\n]`;
    expect(leaves(v)).toEqual([
      { path: "", text: '"a"' },
      { path: "", text: "1" },
      { path: "", text: "2" },
      { path: "k", text: '"v"' },
    ]);
  });

  it("a string's content never ends the value early: braces, commas, quotes and '=' inside strings", () => {
    expect(leaves(`{a = "},{b=\\"x\\"", c = 'x = }'}`)).toEqual([
      { path: "a", text: `"},{b=\\"x\\""` },
      { path: "c", text: `'x = }'` },
    ]);
  });

  it("what is not one TOML value is a TomlSyntaxError", () => {
    for (const v of ['"unterminated', '"bad \\q escape"', "{a = 1", "[1, 2", "{a 1}", "{= 1}", '"a" b', "'x\ny'", '"\\ud800"', "", "{a = 1,, b = 2}"]) {
      expect(() => tomlLeaves(v), JSON.stringify(v)).toThrow(TomlSyntaxError);
    }
  });
});
