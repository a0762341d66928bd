// The argv layer (lib/cli/argv.ts): one declaration per command gives the parser, the usage errors
// and --help. Pure tables here; the last block drives the compiled binary for the exit statuses.
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { command, parseCommand, parseGroup, renderHelp, type CommandSpec } from "../../lib/cli/argv.js";
import { runArgsOf, spec as runSpec } from "../../lib/cli/commands/run.js";
import { jobRefOf } from "../../lib/cli/job-args.js";
import { COMMANDS } from "../../lib/cli/main.js";
import { editDistance, suggest } from "../../lib/cli/suggest.js";
import { UsageError } from "../../lib/errors.js";
import { cliInHome } from "../helpers/cli.js";
import { tempHome } from "../jobs/helpers.js";

const demo = command({
  name: "demo-cmd",
  synopsis: "[--all] [--tag T]... <x>",
  options: {
    all: { type: "boolean", short: "a", help: "all" },
    json: { type: "boolean", help: "json" },
    timeout: { type: "string", value: "S", help: "seconds" },
    tag: { type: "string", short: "t", multiple: true, value: "T", help: "a tag" },
  },
  args: { name: "<x>", min: 0, max: 1 },
});

function parsed<O extends Parameters<typeof parseCommand>[0]["options"]>(spec: CommandSpec<O>, args: string[]) {
  const r = parseCommand(spec, args);
  if (r.help) throw new Error("unexpected help");
  return r;
}

const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("no UsageError");
};

describe("parseCommand", () => {
  it("types, short flags, groups, --x=v, repeated options and positionals", () => {
    const p = parsed(demo, ["-a", "--timeout", "5", "-t", "one", "--tag=two", "thing"]);
    expect(p.values).toEqual({ all: true, json: false, timeout: "5", tag: ["one", "two"] });
    expect(p.positionals).toEqual(["thing"]);
    expect(parsed(demo, ["-at", "x"]).values.tag).toEqual(["x"]);
    expect(parsed(demo, []).values).toEqual({ all: false, json: false, timeout: undefined, tag: [] });
    expect(parsed(demo, ["--", "--all"]).positionals).toEqual(["--all"]);
    expect(parsed(demo, ["-"]).positionals).toEqual(["-"]);
  });

  it("--help or -h anywhere wins over every other problem", () => {
    for (const args of [["--help"], ["-h"], ["--jsno", "--help"], ["a", "b", "c", "-h"], ["-ah"]]) expect(parseCommand(demo, args).help, args.join(" ")).toBe(true);
    expect(parsed(demo, ["--", "--help"]).positionals).toEqual(["--help"]);
  });

  it("usage errors: one line naming the flag, with a suggestion when there is a near one", () => {
    expect(usage(() => parseCommand(demo, ["--jsno"]))).toBe("demo-cmd: unknown option '--jsno'; did you mean '--json'? (see demo-cmd --help)");
    expect(usage(() => parseCommand(demo, ["--al"]))).toMatch(/unknown option '--al'; did you mean '--all'\?/);
    expect(usage(() => parseCommand(demo, ["--zzzzzz"]))).toBe("demo-cmd: unknown option '--zzzzzz' (see demo-cmd --help)");
    expect(usage(() => parseCommand(demo, ["-x"]))).toMatch(/unknown option '-x'/);
    expect(usage(() => parseCommand(demo, ["--json=yes"]))).toMatch(/--json takes no value/);
    expect(usage(() => parseCommand(demo, ["--timeout"]))).toBe("demo-cmd: --timeout needs a value (--timeout S) (see demo-cmd --help)");
    expect(usage(() => parseCommand(demo, ["--timeout", "--all"]))).toMatch(/--timeout needs a value \(--timeout S; a value starting with '-' is written --timeout=S\)/);
    expect(parsed(demo, ["--timeout=-1"]).values.timeout).toBe("-1");
    expect(usage(() => parseCommand(demo, ["--timeout", "1", "--timeout", "2"]))).toMatch(/--timeout given twice/);
    expect(usage(() => parseCommand(demo, ["a", "b"]))).toMatch(/expected one <x>, got 2 arguments/);
    const none = command({ name: "none", synopsis: "", options: {} });
    expect(usage(() => parseCommand(none, ["extra"]))).toBe("none: unexpected argument 'extra' (see none --help)");
    const need = command({ name: "need", synopsis: "<n>", options: {}, args: { name: "<n>", min: 1, max: 1 } });
    expect(usage(() => parseCommand(need, []))).toMatch(/need: missing <n>/);
    for (const msg of [usage(() => parseCommand(demo, ["--jsno"])), usage(() => parseCommand(demo, ["--timeout"]))]) expect(msg).not.toContain("\n");
  });

  it("quiet commands never echo what could be a key", () => {
    const q = command({ name: "q", synopsis: "", options: { "api-key-env": { type: "string", value: "V", help: "v" } }, quiet: true });
    for (const args of [["sk-SECRET-1"], ["--SK-SECRET-2"], ["--api-key=sk-SECRET-3"], ["-ksk-SECRET-4"], ["--api-key-env", "sk-SECRET-5", "sk-SECRET-6"]]) {
      expect(usage(() => parseCommand(q, args))).not.toMatch(/SECRET/);
    }
  });

  it("rest: our options end at `--` or the first other argument; the rest is untouched", () => {
    const p = parsed(runSpec, ["--detach", "--name", "n", "--", "exec", "-m", "o3", "--name", "x", "go"]);
    expect(runArgsOf(p)).toEqual({ detach: true, name: "n", codexArgs: ["exec", "-m", "o3", "--name", "x", "go"] });
    expect(runArgsOf(parsed(runSpec, ["exec", "--help"])).codexArgs).toEqual(["exec", "--help"]);
    expect(runArgsOf(parsed(runSpec, ["-d", "--name=x", "--", "e", "go"]))).toMatchObject({ detach: true, name: "x", codexArgs: ["e", "go"] });
    expect(usage(() => runArgsOf(parsed(runSpec, ["--detach"])))).toMatch(/no codex command given/);
    expect(usage(() => parseCommand(runSpec, ["--what", "--", "exec", "x"]))).toMatch(/unknown option '--what' \(codex's own options go after `--`\)/);
    expect(usage(() => parseCommand(runSpec, ["--detahc", "--", "exec", "x"]))).toMatch(/unknown option '--detahc'; did you mean '--detach'\?/);
    expect(usage(() => parseCommand(runSpec, ["--name"]))).toMatch(/--name needs a value/);
    expect(usage(() => runArgsOf(parsed(runSpec, ["--name=", "exec", "x"])))).toMatch(/--name needs a non-empty value/);
    expect(usage(() => runArgsOf(parsed(runSpec, ["--", "resume", "--last"])))).toMatch(/a job runs `codex exec`/);
  });

  it("job references: one id or --name", () => {
    const p = (positionals: string[], name?: string) => ({ values: { name }, positionals });
    expect(jobRefOf("logs", p(["j-2026"]))).toEqual({ ref: "j-2026", byName: false });
    expect(jobRefOf("stop", p([], "build"))).toEqual({ ref: "build", byName: true });
    expect(usage(() => jobRefOf("result", p([])))).toMatch(/which job\?/);
    expect(usage(() => jobRefOf("result", p(["a"], "b")))).toMatch(/give one job \(got 'a' and --name 'b'\)/);
  });
});

describe("parseGroup", () => {
  const group = { name: "accounts", commands: { add: { summary: "" }, list: { summary: "" }, remove: { summary: "" } }, quiet: true };
  it("help, missing, a command, an unknown one with a suggestion", () => {
    expect(parseGroup(group, [])).toEqual({ kind: "missing" });
    for (const h of ["help", "-h", "--help"]) expect(parseGroup(group, [h])).toEqual({ kind: "help" });
    expect(parseGroup(group, ["add", "x", "--y"])).toEqual({ kind: "command", name: "add", args: ["x", "--y"] });
    expect(usage(() => parseGroup(group, ["lst"]))).toBe("accounts: unknown command 'lst'; did you mean 'list'? (see accounts --help)");
    expect(usage(() => parseGroup(group, ["sk-SECRET-KEY"]))).toBe("accounts: unknown command (expected add, list or remove; see accounts --help)");
  });
});

describe("suggest", () => {
  it("typos, transpositions and unique prefixes; nothing for far words", () => {
    const cmds = Object.keys(COMMANDS).filter((c) => !COMMANDS[c]!.hidden);
    expect(suggest("lss", cmds)).toEqual(["ls"]);
    expect(suggest("acounts", cmds)).toEqual(["accounts"]);
    expect(suggest("stauts", cmds)).toEqual(["status"]);
    expect(suggest("restrat", cmds)).toEqual(["restart"]);
    expect(suggest("doc", cmds)).toEqual(["doctor"]);
    expect(suggest("--jsno", ["--json", "--all"])).toEqual(["--json"]);
    expect(suggest("--dry", ["--dry-run", "--json"])).toEqual(["--dry-run"]);
    expect(suggest("x", cmds)).toEqual([]);
    expect(suggest("frobnicate", cmds)).toEqual([]);
    expect(editDistance("abc", "acb")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "ab")).toBe(2);
  });
});

describe("every command's declaration", () => {
  it("documents every option it accepts in --help, and accepts every option it documents", async () => {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      const mod = (await import(new URL(entry.module.replace(/\.js$/, ".ts"), new URL("../../lib/cli/main.ts", import.meta.url)).href)) as { spec?: CommandSpec };
      if (!mod.spec) continue; // a group (accounts) declares per subcommand
      expect(mod.spec.name, name).toBe(name);
      const help = renderHelp(mod.spec);
      expect(help).toMatch(new RegExp(`^Usage: codex-supervisor ${name}`));
      for (const [opt, o] of Object.entries(mod.spec.options)) {
        expect(help, `${name} --${opt}`).toContain(`--${opt}`);
        if (o.short) expect(help, `${name} -${o.short}`).toContain(`-${o.short}, --${opt}`);
        const args = o.type === "boolean" ? [`--${opt}`] : [`--${opt}=v`];
        const min = mod.spec.args?.min ?? 0;
        const r = parseCommand(mod.spec, [...args, ...Array<string>(min).fill("x"), ...(mod.spec.rest ? ["exec", "x"] : [])]);
        expect(r.help, `${name} --${opt}`).toBe(false);
      }
    }
  });
});

describe("through the binary", () => {
  const home = tempHome();
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it("a mistyped command or flag: exit 2, one line with the suggestion, nothing on stdout", async () => {
    const cases: [string[], string][] = [
      [["lss"], "unknown command 'lss'; did you mean 'ls'?"],
      [["acounts", "list"], "unknown command 'acounts'; did you mean 'accounts'?"],
      [["stauts", "s-1"], "unknown command 'stauts'; did you mean 'status'?"],
      [["ls", "--jsno"], "ls: unknown option '--jsno'; did you mean '--json'?"],
      [["accounts", "lisst"], "accounts: unknown command 'lisst'; did you mean 'list'?"],
      [["--versoin"], "unknown option '--versoin'; did you mean '--version'?"],
    ];
    for (const [args, text] of cases) {
      const r = await cliInHome(home, args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trimEnd().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).toContain(text);
    }
  });

  it("--help of a command: stdout, exit 0", async () => {
    for (const c of ["ls", "status", "run", "prune", "reap", "logs", "stop", "restart", "result", "doctor", "demo", "shellenv"]) {
      const r = await cliInHome(home, [c, "--help"]);
      expect(r.code, c).toBe(0);
      expect(r.stderr, c).toBe("");
      expect(r.stdout, c).toMatch(new RegExp(`^Usage: codex-supervisor ${c}`));
    }
  });
});
