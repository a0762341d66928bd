// `codex-supervisor statusline [--json]`: one line for tmux, starship or a shell prompt — the active
// account, its 5 h / 7 d use, the time to its earliest reset, and a marker while a session of this
// home waits for a reset or restarts. It runs every few seconds, so it reads two things and writes
// none: accounts.json without zod (accounts-peek.ts) and the active set's records (live-sessions.ts);
// no lock, no reconciliation. `npm run bench` compares its wall time with `--version`.
import { supervisorHome } from "../../paths.js";
import { peekAccounts } from "../accounts-peek.js";
import { command, type Parsed } from "../argv.js";
import { liveSessions } from "../live-sessions.js";
import { statusLineOf } from "../usage-view.js";

export const spec = command({
  name: "statusline",
  synopsis: "[--json]",
  about: `Prints one line for a status bar or a prompt, e.g. \`work 5h:42% 7d:13% reset:1h05m\`: the active
account, the last seen use of its 5-hour and 7-day windows, the time to the earliest reset, and
[waiting 12m] / [restarting] while a supervised session of this home waits for a reset or switches
account. Reads only; fast enough to run every few seconds.`,
  options: {
    json: {
      type: "boolean",
      help: "one JSON object: account, primaryUsedPercent, primaryResetsAt, secondaryUsedPercent,\nsecondaryResetsAt, observedAt, nextResetAt, state, waitUntil, sessions, text",
    },
  },
  footer: "Exit status: 0 printed; 2 the accounts store is unreadable (named on stderr).",
});

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const home = supervisorHome(process.env);
  const view = statusLineOf(peekAccounts(home), liveSessions(home), Date.now());
  process.stdout.write(p.values.json ? `${JSON.stringify(view)}\n` : `${view.text}\n`);
  return 0;
}
