// The grammar learned from the installed codex's own --help (lib/codex/help-grammar.ts, learned-grammar.ts):
// - from the pinned codex it is exactly the shipped table (the table is checked against the binary);
// - a stand-in "newer codex" — the pinned codex's real help plus a value-taking root option, an exec
//   option and a command we never shipped — routes `codex --that-option exec` under the supervisor as
//   an interactive session (exec is the option's value) whose resume argv keeps the option; learned once
//   per binary (cached in our home by its identity), learned again when the binary changes.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCodexArgv } from "../../lib/codex/classify.js";
import { SHIPPED_GRAMMAR } from "../../lib/codex/grammar.js";
import { grammarDifferences, grammarFromHelp, parseHelp, type HelpTexts } from "../../lib/codex/help-grammar.js";
import { grammarCacheFile, installedGrammar } from "../../lib/codex/learned-grammar.js";
import { launchSpec } from "../../lib/codex/native-launch.js";
import { buildExecResumeArgv, buildResumeArgv } from "../../lib/session/resume-argv.js";
import { runCliSync } from "../helpers/cli.js";
import { REAL_CODEX_NATIVE } from "../helpers/codex-home.js";
import { cleanEnv } from "../helpers/env.js";
import { spawnSyncInPty, visibleText } from "../helpers/pty.js";
import { ensureBundle, pathOf, readReport, removeDir, SHIM, SHIM_DIR, shimEnv, tempDir } from "../shim/shim-harness.js";

const ID = "01a1faff-286d-7cb3-b5d6-fad968b9095a";
const HELP_ARGS: Array<[keyof HelpTexts, string[]]> = [
  ["root", []],
  ["resume", ["resume"]],
  ["fork", ["fork"]],
  ["exec", ["exec"]],
  ["execResume", ["exec", "resume"]],
  ["execFork", ["exec", "fork"]],
];

function pinnedHelp(): HelpTexts {
  const out: HelpTexts = {};
  for (const [k, args] of HELP_ARGS) {
    const r = spawnSync(REAL_CODEX_NATIVE, [...args, "--help"], { encoding: "utf8", env: cleanEnv({ PATH: "/usr/bin:/bin", HOME: "/nonexistent" }) });
    expect(r.status).toBe(0);
    out[k] = r.stdout;
  }
  return out;
}

/** The pinned help with lines added after a section heading. */
function withLines(text: string, heading: string, lines: string[]): string {
  const i = text.indexOf(`\n${heading}\n`);
  expect(i).toBeGreaterThan(-1);
  const at = i + heading.length + 2;
  return text.slice(0, at) + lines.map((l) => `${l}\n`).join("") + text.slice(at);
}

/**
 * A codex installed the way npm installs it — `@openai/codex` (launcher) with the platform package
 * nested — whose native binary is `native` (any executable). The same platform names as the pinned install.
 */
function fakeInstall(root: string, native: string, version = "9.0.0"): { launcher: string; native: string } {
  const tripleDir = path.dirname(path.dirname(REAL_CODEX_NATIVE)); // .../vendor/<triple>
  const platformPkg = path.basename(path.dirname(path.dirname(tripleDir))); // codex-linux-x64 ...
  const pkg = path.join(root, "lib", "node_modules", "@openai", "codex");
  mkdirSync(path.join(pkg, "bin"), { recursive: true });
  writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "@openai/codex", version, type: "module" }));
  writeFileSync(path.join(pkg, "bin", "codex.js"), "// the launcher is not run: the shim starts the native binary\n", { mode: 0o755 });
  const plat = path.join(pkg, "node_modules", "@openai", platformPkg);
  const bin = path.join(plat, "vendor", path.basename(tripleDir), "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(plat, "package.json"), JSON.stringify({ name: `@openai/${platformPkg}`, version }));
  writeFileSync(path.join(plat, "vendor", path.basename(tripleDir), "codex-package.json"), JSON.stringify({ version }));
  writeFileSync(path.join(bin, "codex"), native, { mode: 0o755 });
  return { launcher: path.join(pkg, "bin", "codex.js"), native: path.join(bin, "codex") };
}

let dir: string;
let newer: string;
let newerNative: string;
let helpLog: string;
let newerHelp: HelpTexts;

beforeAll(async () => {
  await ensureBundle();
  dir = tempDir("learned-grammar-");
  const pinned = pinnedHelp();
  newerHelp = {
    ...pinned,
    root: withLines(withLines(pinned.root!, "Options:", ["      --that-option <VALUE>", "          An option this release of codex-supervisor never shipped"]), "Commands:", ["  newcmd      A command we never shipped"]),
    exec: withLines(pinned.exec!, "Options:", ["      --exec-new <VALUE>", "          New in exec"]),
  };
  // The stand-in, installed as npm installs codex (launcher package + platform package whose "native
  // binary" it is): answers `[...] --help` with those texts (logging each), otherwise reports argv and env.
  helpLog = path.join(dir, "help-calls.log");
  const texts = Object.fromEntries(HELP_ARGS.map(([k, args]) => [[...args, "--help"].join(" "), newerHelp[k]]));
  const install = fakeInstall(
    path.join(dir, "newer"),
    `#!${process.execPath}
import { appendFileSync, writeFileSync } from "node:fs";
const texts = ${JSON.stringify(texts)};
const args = process.argv.slice(2).join(" ");
if (args in texts) {
  appendFileSync(${JSON.stringify(helpLog)}, args + "\\n");
  process.stdout.write(texts[args]);
  process.exit(0);
}
if (process.env.FAKE_CODEX_REPORT) writeFileSync(process.env.FAKE_CODEX_REPORT, JSON.stringify({ argv: process.argv.slice(2), env: process.env, pid: process.pid, ppid: process.ppid }));
`,
  );
  newer = install.launcher;
  newerNative = install.native;
});
afterAll(() => removeDir(dir));

describe("grammar from --help", () => {
  it("from the pinned codex: exactly the shipped table", () => {
    const g = grammarFromHelp(pinnedHelp());
    expect(grammarDifferences(g)).toEqual([]);
    expect(g).toEqual(SHIPPED_GRAMMAR);
  });

  it("parseHelp reads clap's option and command lines (values, multi-values, optional values, short-only, aliases)", () => {
    const text = [
      "Usage: codex [OPTIONS]",
      "",
      "Commands:",
      "  exec        Run non-interactively [aliases: e]",
      "  two         Two aliases [aliases: t, tw]",
      "",
      "Options:",
      "  -c, --config <key=value>",
      "          Override",
      "      --flag",
      "  -i, --image <FILE>...",
      "      --maybe[=<WHEN>]",
      "  -x <X>",
      "  -q, --quick <Q>  Short help puts the text here",
      "",
      "Arguments:",
      "  [PROMPT]",
    ].join("\n");
    expect(parseHelp(text)).toEqual({
      options: [
        { long: "config", short: "c", takesValue: true },
        { long: "flag", takesValue: false },
        { long: "image", short: "i", takesValue: true, multiValue: true },
        { long: "maybe", takesValue: true },
        { long: "x", short: "x", takesValue: true },
        { long: "quick", short: "q", takesValue: true },
      ],
      commands: [
        { name: "exec", aliases: ["e"] },
        { name: "two", aliases: ["t", "tw"] },
      ],
    });
  });

  it("a newer codex's value option routes `--that-option exec` as interactive, and resume argv keeps it with its value", () => {
    const g = grammarFromHelp(newerHelp);
    expect(grammarDifferences(g)).toEqual(["--that-option <value>", "command newcmd", "exec --exec-new <value>"]);
    const argv = ["--that-option", "exec"];
    // The shipped table does not know the option: it would pass through (codex's own error or behaviour).
    expect(parseCodexArgv(argv).kind).toBe("passthrough");
    const parsed = parseCodexArgv(argv, g);
    expect(parsed.kind).toBe("interactive");
    expect(parsed.subcommand).toBeNull();
    expect(parsed.rootOptions).toEqual([{ name: "that-option", tokens: ["--that-option", "exec"], values: ["exec"] }]);
    expect(buildResumeArgv(parsed, ID)).toEqual(["--no-daemon", "--that-option", "exec", "resume", ID]);
    // A new command is passed through; exec's new option keeps its value across an exec resume.
    expect(parseCodexArgv(["newcmd"], g)).toMatchObject({ kind: "passthrough", subcommand: "newcmd" });
    const job = parseCodexArgv(["exec", "--exec-new", "v", "fix it"], g);
    expect(buildExecResumeArgv(job, ID, "go on", { grammar: g })).toEqual(["exec", "--exec-new", "v", "resume", ID, "go on"]);
  });
});

describe("learned from the installed codex, once per binary", () => {
  const spec = () => launchSpec({ path: newer, how: "env", searched: [] }, [], shimEnv({ PATH: "/usr/bin:/bin" }));
  const helpCalls = () => {
    try {
      return readFileSync(helpLog, "utf8").split("\n").filter(Boolean).length;
    } catch {
      return 0;
    }
  };

  it("asks codex's --help the first time, reads the cache after, asks again when the binary changes", async () => {
    const home = path.join(dir, "home-cache");
    rmSync(helpLog, { force: true });
    const first = await installedGrammar(spec(), home);
    expect(first.source).toBe("help");
    expect(helpCalls()).toBe(HELP_ARGS.length);
    expect(grammarDifferences(first.grammar)).toContain("--that-option <value>");
    const st = statSync(grammarCacheFile(home));
    expect(st.mode & 0o777).toBe(0o600);
    const second = await installedGrammar(spec(), home);
    expect(second.source).toBe("cache");
    expect(second.grammar).toEqual(first.grammar);
    expect(helpCalls()).toBe(HELP_ARGS.length);
    // Same path, a new mtime: another binary as far as we can tell.
    const t = new Date(Date.now() - 5_000);
    utimesSync(newerNative, t, t);
    expect((await installedGrammar(spec(), home)).source).toBe("help");
    expect(helpCalls()).toBe(2 * HELP_ARGS.length);
  });

  it("a cache file that is not private to us is not believed", async () => {
    const home = path.join(dir, "home-open");
    await installedGrammar(spec(), home);
    chmodSync(grammarCacheFile(home), 0o666);
    expect((await installedGrammar(spec(), home)).source).toBe("help");
  });

  it("a codex that cannot print its help leaves the shipped grammar, and is not asked again", async () => {
    const broken = fakeInstall(path.join(dir, "broken"), "#!/bin/sh\nexit 3\n");
    const home = path.join(dir, "home-broken");
    const brokenSpec = () => launchSpec({ path: broken.launcher, how: "env", searched: [] }, [], shimEnv());
    expect(brokenSpec().native).toBe(true);
    const r = await installedGrammar(brokenSpec(), home);
    expect(r.source).toBe("shipped");
    expect(r.grammar).toBe(SHIPPED_GRAMMAR);
    // Remembered for that binary: not asked again on every launch.
    const again = await installedGrammar(brokenSpec(), home);
    expect(again.source).toBe("cache");
    expect(again.grammar).toEqual(SHIPPED_GRAMMAR);
  });

  it("a script codex (a wrapper, a stand-in) is never run for its help: the shipped grammar", async () => {
    const script = path.join(dir, "wrapper-codex");
    const ran = path.join(dir, "wrapper-ran");
    writeFileSync(script, `#!/bin/sh\necho "$*" >> '${ran}'\n`, { mode: 0o755 });
    const r = await installedGrammar({ command: script, args: [], env: shimEnv(), native: false }, path.join(dir, "home-script"));
    expect(r).toMatchObject({ source: "shipped", reason: `${script} is a script` });
    expect(existsSync(ran)).toBe(false);
  });

  it("through the shim, opted in: `codex --that-option exec` is a supervised interactive session", () => {
    const report = path.join(dir, "report.json");
    const env = shimEnv({
      PATH: pathOf(SHIM_DIR),
      CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1",
      CODEX_AUTH_REAL_CODEX_BIN: newer,
      CODEX_AUTH_SUPERVISOR_HOME: path.join(dir, "home-shim"),
      CODEX_HOME: path.join(dir, "codex-home"),
      HOME: dir,
      FAKE_CODEX_REPORT: report,
    });
    // In a terminal: the supervisor takes over only an interactive codex that has one.
    const r = spawnSyncInPty(SHIM, ["--that-option", "exec"], { env, timeout: 30_000 });
    expect(visibleText(r.output)).toBe("");
    expect(r.status).toBe(0);
    // Supervised (not passed through): the supervisor starts the TUI embedded, --no-daemon first.
    expect(readReport(report)!.argv).toEqual(["--no-daemon", "--that-option", "exec"]);
    // Its record: a supervised interactive session of that argv.
    const jobs = path.join(dir, "home-shim", "jobs");
    const records = readdirSync(jobs).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(readFileSync(path.join(jobs, f), "utf8")) as { kind: string; argv: string[] });
    expect(records.map((x) => [x.kind, x.argv])).toEqual([["session", ["--that-option", "exec"]]]);
  });

  it("a job, too: `run -- --that-option v exec …` is read by the installed codex's grammar and runs", () => {
    const report = path.join(dir, "report-job.json");
    const env = shimEnv({
      PATH: pathOf(SHIM_DIR),
      CODEX_AUTH_REAL_CODEX_BIN: newer,
      CODEX_AUTH_SUPERVISOR_HOME: path.join(dir, "home-job"),
      CODEX_HOME: path.join(dir, "codex-home-job"),
      HOME: dir,
      FAKE_CODEX_REPORT: report,
    });
    mkdirSync(path.join(dir, "codex-home-job"), { recursive: true });
    const r = runCliSync(["run", "--", "--that-option", "v", "exec", "--exec-new", "x", "do it"], env);
    expect(r.stderr).not.toMatch(/a job runs `codex exec`/);
    expect(r.code, r.stderr).toBe(0);
    expect(readReport(report)!.argv).toEqual(["--that-option", "v", "exec", "--exec-new", "x", "do it"]);
  });
});
