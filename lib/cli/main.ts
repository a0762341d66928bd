// `codex-supervisor <command>`: dispatch only. Each command lives in lib/cli/commands/<file>.ts and
// exports `run(args: string[]): Promise<number>` (the exit status). Commands are imported lazily so
// `codex-supervisor shellenv` (run at every shell start) loads nothing it does not need.
import { UsageError } from "../errors.js";
import { safeToEcho } from "../text/user-text.js";
import { errorReport } from "./error-table.js";

interface CommandEntry {
  module: string;
  summary: string;
  hidden?: boolean;
}

export const COMMANDS: Record<string, CommandEntry> = {
  shellenv: { module: "./commands/shellenv.js", summary: "print the PATH line that makes `codex` the shim" },
  accounts: { module: "./commands/accounts.js", summary: "add, list, use, remove, enable, disable accounts" },
  run: { module: "./commands/run.js", summary: "run codex as a supervised job (--detach for background)" },
  ls: { module: "./commands/ls.js", summary: "list sessions and jobs [--all] [--json]" },
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

export function usage(): string {
  const lines = ["Usage: codex-supervisor <command> [options]", "", "Commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) {
    if (!c.hidden) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  }
  lines.push("", "Options:", "  -h, --help     show this help", "  -V, --version  show the version");
  lines.push("", "Run `codex-supervisor <command> --help` for a command's options.");
  return lines.join("\n") + "\n";
}

async function version(): Promise<string> {
  const { readFileSync } = await import("node:fs");
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    // Asked for (--help): stdout, exit 0. Nothing given is a usage error: stderr, exit 2, so a script
    // that captures stdout never mistakes the help text for a command's output.
    if (first === undefined) {
      process.stderr.write(usage());
      return 2;
    }
    process.stdout.write(usage());
    return 0;
  }
  if (first === "-V" || first === "--version") {
    process.stdout.write(`codex-supervisor ${await version()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!entry) {
    throw new UsageError(
      first.startsWith("-") ? `unknown option ${safeToEcho(first)} (see --help)` : `unknown command ${safeToEcho(first)} (see --help)`,
    );
  }
  const mod = (await import(entry.module)) as { run: (args: string[]) => Promise<number> };
  return mod.run(rest);
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
