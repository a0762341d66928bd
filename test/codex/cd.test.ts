// codex's -C/--cd: which directory a session or an exec job works in.
import { describe, expect, it } from "vitest";
import { execCdOptions, sessionCwd } from "../../lib/codex/cd.js";
import { parseCodexArgv } from "../../lib/codex/classify.js";

describe("-C/--cd", () => {
  it("sessionCwd: the last -C wins, relative to the launch dir", () => {
    expect(sessionCwd([], "/w")).toBe("/w");
    expect(sessionCwd([{ name: "cd", values: ["a"] }, { name: "model", values: ["m"] }, { name: "cd", values: ["/x/b"] }], "/w")).toBe("/x/b");
    expect(sessionCwd([{ name: "cd", values: ["sub"] }], "/w")).toBe("/w/sub");
  });
  it("execCdOptions collects root and exec -C/--cd options, exec's last", () => {
    const parsed = parseCodexArgv(["-C", "/a", "exec", "--cd", "/b", "go"]);
    expect(execCdOptions(parsed).map((o) => o.values[0])).toEqual(["/a", "/b"]);
    expect(execCdOptions(parseCodexArgv(["exec", "go", "--", "-C", "x"]))).toEqual([]);
  });
});
