import { describe, expect, it } from "vitest";
import { parseCodexArgv } from "../../lib/codex/classify.js";
import { buildExecResumeArgv, buildResumeArgv, needsNoDaemon, parseExecParts, withNoDaemon } from "../../lib/session/resume-argv.js";

const ID = "01a1faff-286d-7cb3-b5d6-fad968b9095a";
const CONT = "Continue where you left off.";

function tui(argv: string[], opts = {}): string[] {
  const p = parseCodexArgv(argv);
  expect(p.kind, `${argv.join(" ")}: ${p.reason}`).not.toBe("passthrough");
  return buildResumeArgv(p, ID, opts);
}

describe("buildResumeArgv (TUI)", () => {
  const table: Array<[string, string[], string[], { sessionCwd?: string }?]> = [
    ["bare TUI", [], ["--no-daemon", "resume", ID]],
    ["TUI with a PROMPT: never re-sent", ["fix the bug"], ["--no-daemon", "resume", ID]],
    [
      "every root value option kept with exact tokens and order; images dropped",
      ["-m", "o3", "-c", "k=v", "--config=a.b=\"x y\"", "--enable", "feat", "-s", "workspace-write", "-a", "never", "--add-dir", "/x", "-C", "/w", "-p", "prof", "--image=a.png", "-i", "b.png", "c.png", "--", "the prompt"],
      ["--no-daemon", "-m", "o3", "-c", "k=v", "--config=a.b=\"x y\"", "--enable", "feat", "-s", "workspace-write", "-a", "never", "--add-dir", "/x", "-C", "/w", "-p", "prof", "resume", ID],
    ],
    ["attached short/long forms kept verbatim", ["-mo3", "-m=o4", "--model", "o5", "--disable=x"], ["--no-daemon", "-mo3", "-m=o4", "--model", "o5", "--disable=x", "resume", ID]],
    ["options after the PROMPT are root options too", ["hello", "-m", "o3", "--search"], ["--no-daemon", "-m", "o3", "--search", "resume", ID]],
    ["resume --last → resume <id>", ["resume", "--last"], ["--no-daemon", "resume", ID]],
    ["resume <old> <prompt> → resume <id> (no prompt)", ["resume", "5973b6c0-94b8-487b-a530-2aeb6098ae0e", "continue please"], ["--no-daemon", "resume", ID]],
    ["resume picker → resume <id>", ["resume"], ["--no-daemon", "resume", ID]],
    [
      "subcommand-level options kept after resume; picker options and images dropped",
      ["-c", "model=\"o3\"", "resume", "-m", "gpt", "--add-dir", "/a", "--enable", "f", "--all", "--include-non-interactive", "--image=x.png", "--last", "-c", "k=1"],
      ["--no-daemon", "-c", "model=\"o3\"", "resume", "-m", "gpt", "--add-dir", "/a", "--enable", "f", "-c", "k=1", ID],
    ],
    ["fork --last → resume the NEW id, root and fork options kept", ["-m", "o3", "fork", "--last", "-c", "x=1", "first fork prompt"], ["--no-daemon", "-m", "o3", "resume", "-c", "x=1", ID]],
    ["fork <parent id> → resume <new id>", ["fork", "5973b6c0-94b8-487b-a530-2aeb6098ae0e"], ["--no-daemon", "resume", ID]],
    ["--remote at the root: no --no-daemon", ["--remote", "ws://h:1", "resume", "--last"], ["--remote", "ws://h:1", "resume", ID]],
    ["--remote after resume: no --no-daemon", ["resume", "--remote=unix://", "--last"], ["resume", "--remote=unix://", ID]],
    ["--no-daemon already given: not doubled", ["--no-daemon", "p"], ["--no-daemon", "resume", ID]],
    ["--worktree with a known session cwd → -C <cwd>", ["--worktree", "-m", "o3", "p"], ["--no-daemon", "-C", "/wt/1", "-m", "o3", "resume", ID], { sessionCwd: "/wt/1" }],
    ["--worktree without a known cwd: kept", ["--worktree", "p"], ["--no-daemon", "--worktree", "resume", ID]],
  ];
  for (const [name, argv, want, opts] of table) {
    it(name, () => expect(tui(argv, opts)).toEqual(want));
  }
  it("an id that looks like an option goes after --", () => {
    expect(buildResumeArgv(parseCodexArgv([]), "-weird")).toEqual(["--no-daemon", "resume", "--", "-weird"]);
  });
});

describe("withNoDaemon / needsNoDaemon (first launch)", () => {
  it("prepends --no-daemon to interactive argvs only", () => {
    expect(withNoDaemon(parseCodexArgv(["hello"]))).toEqual(["--no-daemon", "hello"]);
    expect(withNoDaemon(parseCodexArgv(["-i", "a.png", "b.png"]))).toEqual(["--no-daemon", "-i", "a.png", "b.png"]);
    expect(withNoDaemon(parseCodexArgv(["resume", "--last"]))).toEqual(["--no-daemon", "resume", "--last"]);
    expect(withNoDaemon(parseCodexArgv(["--remote", "ws://x", "p"]))).toEqual(["--remote", "ws://x", "p"]);
    expect(withNoDaemon(parseCodexArgv(["fork", "--remote", "ws://x"]))).toEqual(["fork", "--remote", "ws://x"]);
    expect(withNoDaemon(parseCodexArgv(["--no-daemon"]))).toEqual(["--no-daemon"]);
    expect(withNoDaemon(parseCodexArgv(["exec", "p"]))).toEqual(["exec", "p"]);
    expect(needsNoDaemon(parseCodexArgv(["--help"]))).toBe(false);
  });
  it("never mutates the parsed argv", () => {
    const p = parseCodexArgv(["hello"]);
    withNoDaemon(p);
    buildResumeArgv(p, ID);
    expect(p.argv).toEqual(["hello"]);
  });
});

describe("buildExecResumeArgv (background exec jobs)", () => {
  const ex = (argv: string[], opts = {}, cont = CONT) => buildExecResumeArgv(parseCodexArgv(argv), ID, cont, opts);
  const table: Array<[string, string[], string[], { sessionCwd?: string }?]> = [
    ["plain exec: prompt dropped, continue prompt sent", ["exec", "fix the tests"], ["exec", "resume", ID, CONT]],
    [
      "exec-level options stay before resume (where exec resume rejects -s/-C/--add-dir); images dropped",
      ["exec", "--skip-git-repo-check", "-i", "a.png", "b.png", "-s", "read-only", "-C", "/w", "--add-dir", "/a", "-m", "o3", "-c", "k=v", "--json", "-o", "out.txt", "--color", "never", "fix"],
      ["exec", "--skip-git-repo-check", "-s", "read-only", "-C", "/w", "--add-dir", "/a", "-m", "o3", "-c", "k=v", "--json", "-o", "out.txt", "--color", "never", "resume", ID, CONT],
    ],
    ["root options before exec kept; exec resume --last → id", ["-c", "a=b", "exec", "resume", "--last", "--skip-git-repo-check", "-m", "o3", "more"], ["-c", "a=b", "exec", "resume", "--skip-git-repo-check", "-m", "o3", ID, CONT]],
    ["alias e, fork → resume the new id", ["e", "-s", "read-only", "fork", "5973b6c0-94b8-487b-a530-2aeb6098ae0e", "-c", "x=1", "p"], ["exec", "-s", "read-only", "resume", "-c", "x=1", ID, CONT]],
    ["exec resume <old> -i img <prompt>: image and prompt dropped", ["exec", "resume", "5973b6c0-94b8-487b-a530-2aeb6098ae0e", "-i", "a.png", "p"], ["exec", "resume", ID, CONT]],
    ["options after the prompt", ["exec", "p", "--json"], ["exec", "--json", "resume", ID, CONT]],
    ["--worktree at exec level → -C <cwd>", ["exec", "--worktree", "p"], ["exec", "-C", "/wt", "resume", ID, CONT], { sessionCwd: "/wt" }],
    ["--worktree after resume → -C <cwd> before resume", ["exec", "resume", "--worktree", "--last"], ["exec", "-C", "/wt", "resume", ID, CONT], { sessionCwd: "/wt" }],
    ["stdin prompt '-' is dropped", ["exec", "--json", "-"], ["exec", "--json", "resume", ID, CONT]],
  ];
  for (const [name, argv, want, opts] of table) it(name, () => expect(ex(argv, opts)).toEqual(want));
  it("a continue prompt starting with '-' goes after --", () => {
    expect(ex(["exec", "p"], {}, "-look")).toEqual(["exec", "resume", "--", ID, "-look"]);
  });
  it("parseExecParts splits exec-level and resume-level options", () => {
    const parts = parseExecParts(parseCodexArgv(["exec", "-m", "a", "resume", "-m", "b", "--last"]));
    expect(parts.execOptions.map((o) => o.tokens)).toEqual([["-m", "a"]]);
    expect(parts.subcommand).toBe("resume");
    expect(parts.subcommandOptions.map((o) => o.name)).toEqual(["model", "last"]);
  });
});

// ---- property-style: random argv shapes ----

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}
const VALUE_OPTS: Array<[string, string | null]> = [
  ["--config", "-c"],
  ["--enable", null],
  ["--disable", null],
  ["--model", "-m"],
  ["--profile", "-p"],
  ["--sandbox", "-s"],
  ["--cd", "-C"],
  ["--add-dir", null],
  ["--ask-for-approval", "-a"],
  ["--local-provider", null],
  ["--remote-auth-token-env", null],
];
const FLAGS = ["--oss", "--search", "--no-alt-screen", "--strict-config", "--dangerously-bypass-approvals-and-sandbox", "--approve-for-me"];

function randomOption(r: (n: number) => number, i: number): string[] {
  if (r(4) === 0) return [FLAGS[r(FLAGS.length)]!];
  const [long, short] = VALUE_OPTS[r(VALUE_OPTS.length)]!;
  const v = ["k=v", "a.b=\"x y\"", "/some dir", "o3", `val${i}`, "="][r(6)]!;
  switch (r(4)) {
    case 0:
      return [long, v];
    case 1:
      return [`${long}=${v}`];
    case 2:
      return short ? [short, v] : [long, v];
    default:
      return short ? [`${short}${v}`] : [`${long}=${v}`];
  }
}

describe("property: random argv shapes", () => {
  it("the prompt and images never appear; root option tokens appear once, in order; ends with resume … <id>", () => {
    const r = rng(20261120);
    let checked = 0;
    for (let n = 0; n < 3000; n++) {
      const root: string[][] = [];
      for (let i = 0, k = r(5); i < k; i++) root.push(randomOption(r, i));
      const prompt = `PROMPT-${n}-secret`;
      const image = `IMG-${n}.png`;
      const argv: string[] = root.flat();
      const shape = r(4);
      if (r(2) === 0) argv.push(`--image=${image}`);
      const subOpts: string[][] = [];
      if (shape === 0) {
        if (r(2) === 0) argv.push(prompt);
      } else {
        argv.push(shape === 3 ? "fork" : "resume");
        for (let i = 0, k = r(3); i < k; i++) subOpts.push(randomOption(r, 100 + i));
        argv.push(...subOpts.flat());
        if (r(2) === 0) argv.push("--last");
        if (r(2) === 0) argv.push(`--image=${image}`);
        if (r(2) === 0) argv.push("5973b6c0-94b8-487b-a530-2aeb6098ae0e", prompt);
      }
      const p = parseCodexArgv(argv);
      if (p.kind === "passthrough") continue; // codex itself would reject it; the supervisor never sees it
      checked++;
      const out = buildResumeArgv(p, ID);
      const joined = out.join("\u0000");
      expect(joined.includes(prompt)).toBe(false);
      expect(joined.includes(image)).toBe(false);
      expect(out.includes("--last")).toBe(false);
      // Root tokens: one contiguous block, in order, right before `resume` (after --no-daemon if added).
      const rootTokens = root.flat();
      const at = out.indexOf("resume");
      const start = out[0] === "--no-daemon" ? 1 : 0;
      expect(out.slice(start, at)).toEqual(rootTokens);
      // Subcommand options (minus --last) right after `resume`, then the id, last.
      expect(out.slice(at + 1, -1)).toEqual(subOpts.flat());
      expect(out.at(-1)).toBe(ID);
      expect(out.filter((t) => t === "--no-daemon").length).toBe(1);
      // And the result is itself a valid interactive resume of exactly that id.
      const again = parseCodexArgv(out);
      expect(again.kind).toBe("interactive-subcommand");
      expect(again.session?.sessionId).toBe(ID);
      expect(again.session?.prompt).toBeNull();
      expect(again.images).toEqual([]);
    }
    expect(checked).toBeGreaterThan(1500);
  });
});
