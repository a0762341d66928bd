// `codex-supervisor demo [--keep]`: see a supervised rotation and resume in a minute, with no account
// and no network (lib/demo/run-demo.ts does the work).
import { UsageError } from "../../errors.js";

const HELP = `Usage: codex-supervisor demo [--keep]

Runs the real Codex CLI under the session supervisor against a model server built into
codex-supervisor (127.0.0.1 only), with two throw-away demo accounts whose quota climbs with
each turn, so you can watch the supervisor switch accounts and resume the same session.
Your own ~/.codex, accounts and config are not used or changed.

Options:
  --keep      keep the temporary directory (rollout, job record, event log) and print its path
  -h, --help  show this help
`;

export async function run(args: string[]): Promise<number> {
  let keep = false;
  for (const a of args) {
    if (a === "-h" || a === "--help") {
      process.stdout.write(HELP);
      return 0;
    }
    if (a === "--keep") keep = true;
    else throw new UsageError(`demo: unknown ${a.startsWith("-") ? "option" : "argument"} '${a}' (see --help)`);
  }
  const { runDemo } = await import("../../demo/run-demo.js");
  return runDemo({ keep, env: process.env, out: (t) => void process.stdout.write(t) });
}
