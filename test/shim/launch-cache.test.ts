// The pure parts of the launch record (lib/shim/launch-cache.ts): what the sh is told to exec, when
// that cannot be written down for it, and absent paths shortened to their missing ancestors.
import { describe, expect, it } from "vitest";
import { absentRoots, execLines, recordOf } from "../../lib/shim/launch-cache.js";

describe("launch record", () => {
  it("recordOf: the command, the arguments before the user's, and the env as a difference", () => {
    const base = { PATH: "/bin", CODEX_MANAGED_BY_BUN: "1", KEEP: "x" };
    const spec = { command: "/n/codex", args: ["a", "b"], env: { PATH: "/bin", KEEP: "x", CODEX_MANAGED_BY_NPM: "1", CODEX_MANAGED_PACKAGE_ROOT: "/p" }, native: true };
    expect(recordOf(spec, 2, base, false)).toEqual({
      command: "/n/codex",
      prefix: [],
      unset: ["CODEX_MANAGED_BY_BUN"],
      set: [["CODEX_MANAGED_BY_NPM", "1"], ["CODEX_MANAGED_PACKAGE_ROOT", "/p"]],
      configOptIn: false,
    });
    // The launcher started through node: one argument before the user's; a bare name gets ./ (exec would search PATH).
    expect(recordOf({ command: "node", args: ["/l/codex.js"], env: base, native: false }, 0, base, true)).toMatchObject({ command: "./node", prefix: ["/l/codex.js"], configOptIn: true });
  });

  it("execLines: null when sh could not reproduce it exactly", () => {
    const r = { command: "/c", prefix: [], unset: [], set: [] as [string, string][], configOptIn: false };
    expect(execLines(r)).toEqual(["O0", "C/c"]);
    expect(execLines({ ...r, set: [["A", "x\ny"]] })).toBeNull();
    expect(execLines({ ...r, command: "/c\n" })).toBeNull();
    expect(execLines({ ...r, set: [["NOT-A-NAME", "1"]] })).toBeNull();
    expect(execLines({ ...r, prefix: ["a", "b"] })).toBeNull();
  });

  it("absentRoots: the shortest missing ancestor of each, once, none inside another", () => {
    const present = new Set(["/", "/a", "/a/b"]);
    const exists = (p: string) => present.has(p);
    expect(absentRoots(["/a/b/c/d/e.json", "/a/b/c/x", "/a/b/f", "/z/y", "/z"], exists)).toEqual(["/a/b/c", "/a/b/f", "/z"]);
  });
});
