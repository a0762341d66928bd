// parseCodexArgv against a table of argv shapes; the expectations follow what the pinned native codex
// (clap) was observed to do (see lib/codex/grammar.ts header).
import { describe, expect, it } from "vitest";
import { parseCodexArgv } from "../../lib/codex/classify.js";

type Row = [argv: string[], kind: string, extra?: Record<string, unknown>];

const rows: Row[] = [
  [[], "interactive", { prompt: null, subcommand: null }],
  [["fix the tests"], "interactive", { prompt: "fix the tests" }],
  [["exec now please"], "interactive", { prompt: "exec now please" }],
  [["EXEC"], "interactive", { prompt: "EXEC" }],
  [["--", "exec"], "interactive", { prompt: "exec", sawDoubleDash: true, subcommand: null }],
  [["--", "--help"], "interactive", { prompt: "--help" }],
  [["-m", "o3", "hi"], "interactive", { prompt: "hi" }],
  [["-mo3", "hi"], "interactive", { prompt: "hi" }],
  [["-m=o3"], "interactive", { prompt: null }],
  [["--model=o3", "--no-daemon", "hi", "-s", "read-only"], "interactive", { prompt: "hi" }],
  [["-c", "a=b", "--config=x=y", "-ck=v"], "interactive"],
  [["-i", "a.png", "b.png", "hello"], "interactive", { images: ["a.png", "b.png", "hello"], prompt: null }],
  [["-i", "a.png", "exec"], "interactive", { images: ["a.png", "exec"], subcommand: null }],
  [["-i", "a.png", "--", "exec"], "interactive", { images: ["a.png"], prompt: "exec" }],
  [["-ia.png", "hello"], "interactive", { images: ["a.png"], prompt: "hello" }],
  [["--image=a.png", "exec"], "passthrough", { subcommand: "exec", reason: "subcommand:exec" }],
  [["-i", "-"], "interactive", { images: ["-"] }],
  [["resume"], "interactive-subcommand", { subcommand: "resume" }],
  [["resume", "--last"], "interactive-subcommand"],
  [["-m", "o3", "resume", "abc", "go on"], "interactive-subcommand", { subcommandArgs: ["abc", "go on"] }],
  [["fork", "--last", "-i", "x.png"], "interactive-subcommand"],
  [["resume", "--help"], "passthrough", { reason: "resume:help", helpOrVersion: true }],
  [["resume", "--bogus"], "passthrough", { reason: "resume:unknown-option:--bogus" }],
  [["resume", "a", "b", "c"], "passthrough", { reason: "resume:unexpected-argument:c" }],
  [["fork", "--include-non-interactive"], "passthrough"],
  [["exec", "hi"], "passthrough", { subcommand: "exec", reason: "subcommand:exec" }],
  [["e", "hi"], "passthrough", { subcommand: "exec", subcommandToken: "e" }],
  [["a"], "passthrough", { subcommand: "apply" }],
  [["hello", "features", "list"], "passthrough", { subcommand: "features", prompt: null }],
  [["hello", "resume"], "interactive-subcommand", { subcommand: "resume", prompt: null }],
  [["login", "--help"], "passthrough", { reason: "subcommand:login" }],
  [["mcp-server"], "interactive", { prompt: "mcp-server" }],
  [["tcp-tunnel", "/x"], "passthrough", { subcommand: "tcp-tunnel" }],
  // A hidden command that 0.171.0 dropped: now a PROMPT, and a second positional is clap's error.
  [["stdio-to-uds"], "interactive", { prompt: "stdio-to-uds" }],
  [["stdio-to-uds", "/x"], "passthrough", { subcommand: null, reason: "unexpected-argument:/x" }],
  [["help"], "passthrough", { subcommand: "help" }],
  [["--help"], "passthrough", { reason: "help", helpOrVersion: true }],
  [["-h"], "passthrough", { reason: "help" }],
  [["-V"], "passthrough", { reason: "version" }],
  [["--version"], "passthrough", { reason: "version" }],
  [["-hV"], "passthrough", { reason: "help" }],
  [["-m", "x", "--version"], "passthrough", { reason: "version" }],
  [["--definitely-not-a-flag"], "passthrough", { reason: "unknown-option:--definitely-not-a-flag" }],
  [["--vers"], "passthrough", { reason: "unknown-option:--vers" }],
  [["-m"], "passthrough", { reason: "missing-value:-m" }],
  [["-m", "--help"], "passthrough", { reason: "missing-value:-m" }],
  [["--no-daemon=1"], "passthrough", { reason: "unexpected-value:--no-daemon" }],
  [["hello", "world"], "passthrough", { reason: "unexpected-argument:world" }],
  [["hello", "--", "world"], "passthrough", { reason: "unexpected-argument:world" }],
  [["-x"], "passthrough", { reason: "unknown-option:-x" }],
];

describe("parseCodexArgv", () => {
  it.each(rows)("%j → %s", (argv, kind, extra) => {
    const p = parseCodexArgv(argv);
    expect(p.kind).toBe(kind);
    expect(p.argv).toEqual(argv);
    for (const [k, v] of Object.entries(extra ?? {})) expect((p as unknown as Record<string, unknown>)[k]).toEqual(v);
  });

  it("keeps every root option's tokens exactly, images apart", () => {
    const p = parseCodexArgv(["-c", "a=b", "--model=o3", "-i", "x.png", "y.png", "--add-dir", "/tmp", "-sread-only", "--search", "prompt"]);
    expect(p.rootOptions).toEqual([
      { name: "config", tokens: ["-c", "a=b"], values: ["a=b"] },
      { name: "model", tokens: ["--model=o3"], values: ["o3"] },
      { name: "add-dir", tokens: ["--add-dir", "/tmp"], values: ["/tmp"] },
      { name: "sandbox", tokens: ["-sread-only"], values: ["read-only"] },
      { name: "search", tokens: ["--search"], values: [] },
    ]);
    expect(p.images).toEqual(["x.png", "y.png"]);
    expect(p.prompt).toBe("prompt");
  });

  it("parses resume/fork arguments for the resume rewriter", () => {
    const p = parseCodexArgv(["--no-daemon", "resume", "-m", "o3", "abc-id", "continue", "-i", "a.png"]);
    expect(p.session).toEqual({
      options: [{ name: "model", tokens: ["-m", "o3"], values: ["o3"] }],
      sessionId: "abc-id",
      prompt: "continue",
      images: ["a.png"],
      last: false,
      sawDoubleDash: false,
    });
    expect(parseCodexArgv(["fork", "--last"]).session?.last).toBe(true);
  });

  it("never throws on odd input", () => {
    for (const argv of [["-"], ["--"], ["--="], ["-="], [""], ["--", ""], ["-\u00e9"], ["--model="]]) {
      expect(() => parseCodexArgv(argv)).not.toThrow();
    }
  });
});
