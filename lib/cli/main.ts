// `codex-supervisor <command>`: dispatch only. Each command lives in lib/cli/commands/<file>.ts and
// exports its argv declaration `spec` and `run(parsed)` (the exit status); the argv layer (argv.ts)
// parses, answers --help and reports usage errors for all of them. A command with subcommands
// (`accounts`) exports `run(args)` and uses the same layer itself. Commands are imported lazily so
// `codex-supervisor shellenv` (run at every shell start) loads nothing it does not need.
import { errorReport } from "./error-table.js";
import { parseCommand, parseGroup, renderGroupHelp, renderHelp, type CommandSpec, type GroupSpec, type Parsed } from "./argv.js";

interface CommandEntry {
  module: string;
  summary: string;
  hidden?: boolean;
}

export const COMMANDS: Record<string, CommandEntry> = {
  shellenv: { module: "./commands/shellenv.js", summary: "print the PATH line that makes `codex` the shim" },
  accounts: { module: "./commands/accounts.js", summary: "add, list, use, remove, enable, disable accounts" },
  usage: { module: "./commands/usage.js", summary: "every account's 5h / 7d use, when it resets, when it was seen" },
  statusline: { module: "./commands/statusline.js", summary: "one line for tmux or a prompt: account, 5h / 7d use, reset" },
  run: { module: "./commands/run.js", summary: "run codex as a supervised job (--detach for background)" },
  ls: { module: "./commands/ls.js", summary: "list sessions and jobs [--all] [--wide] [--json]" },
  status: { module: "./commands/status.js", summary: "status of a job [--json] [--wait] [--timeout S]" },
  result: { module: "./commands/result.js", summary: "final status, exit code and last message of a job" },
  logs: { module: "./commands/logs.js", summary: "event log of a job [-f] [--output]" },
  stop: { module: "./commands/stop.js", summary: "stop a job's whole process tree (session stays resumable)" },
  restart: { module: "./commands/restart.js", summary: "restart a session's codex and resume it by id" },
  reap: { module: "./commands/reap.js", summary: "kill processes of ours whose job is over [--dry-run]" },
  prune: { module: "./commands/prune.js", summary: "remove finished records older than --older-than" },
  doctor: { module: "./commands/doctor.js", summary: "check PATH, the real codex, config, lock, orphans" },
  demo: { module: "./commands/demo.js", summary: "see a supervised rotation against a built-in loopback model" },
  // Internal: the detached job supervisor re-executes itself through this.
  "__supervise-job": { module: "./commands/supervise-job.js", summary: "internal", hidden: true },
};

const TOP: GroupSpec = {
  name: "",
  commands: COMMANDS,
  footer: ["Options:", "  -h, --help     show this help", "  -V, --version  show the version"].join("\n"),
  flags: ["--version"],
};

export function usage(): string {
  return renderGroupHelp(TOP);
}

type CommandModule =
  | { spec: CommandSpec; run: (parsed: Parsed) => Promise<number> }
  | { spec?: undefined; run: (args: string[]) => Promise<number> };

async function version(): Promise<string> {
  const { readFileSync } = await import("node:fs");
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "-V" || argv[0] === "--version") {
    process.stdout.write(`codex-supervisor ${await version()}\n`);
    return 0;
  }
  const top = parseGroup(TOP, argv);
  // Asked for (--help): stdout, exit 0. Nothing given is a usage error: stderr, exit 2, so a script
  // that captures stdout never mistakes the help text for a command's output.
  if (top.kind === "missing") {
    process.stderr.write(usage());
    return 2;
  }
  if (top.kind === "help") {
    process.stdout.write(usage());
    return 0;
  }
  const mod = (await import(COMMANDS[top.name]!.module)) as CommandModule;
  if (!mod.spec) return mod.run(top.args);
  const parsed = parseCommand(mod.spec, top.args);
  if (parsed.help) {
    process.stdout.write(renderHelp(mod.spec));
    return 0;
  }
  return mod.run(parsed);
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    const report = errorReport(err);
    process.stderr.write(report.text);
    process.exitCode = report.status;
  }
}
