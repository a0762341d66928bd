// `codex-supervisor demo [--keep]`: see a supervised rotation and resume in a minute, with no account
// and no network (lib/demo/run-demo.ts does the work).
import { command, type Parsed } from "../argv.js";

export const spec = command({
  name: "demo",
  synopsis: "[--keep]",
  about: `Runs the real Codex CLI under the session supervisor against a model server built into
codex-supervisor (127.0.0.1 only), with two throw-away demo accounts whose quota climbs with
each turn, so you can watch the supervisor switch accounts and resume the same session.
Your own ~/.codex, accounts and config are not used or changed.`,
  options: { keep: { type: "boolean", help: "keep the temporary directory (rollout, job record, event log) and print its path" } },
});

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const { keep } = p.values;
  const { runDemo } = await import("../../demo/run-demo.js");
  return runDemo({ keep, env: process.env, out: (t) => void process.stdout.write(t) });
}
