// `codex-supervisor usage [--json]`: every account with the last seen use of its 5 h and 7 d windows,
// when they reset, when that was seen, and its state. Reads accounts.json without zod or lock, like
// `statusline`.
import { supervisorHome } from "../../paths.js";
import { colourEnabled, painter } from "../../terminal/style.js";
import { outputWidth } from "../../terminal/table.js";
import { addAccountHint } from "../../terminal/notify-text.js";
import { peekAccounts } from "../accounts-peek.js";
import { command, type Parsed } from "../argv.js";
import { renderUsageTable, usageRows } from "../usage-view.js";

export const spec = command({
  name: "usage",
  synopsis: "[--json]",
  about: `Lists every account with the last seen use of its 5-hour and 7-day windows and when they reset,
when that use was seen (it is read from what codex reports after each response: an account not used
for a while shows an old reading), and whether it is active (*), disabled or cooling down.`,
  options: {
    json: {
      type: "boolean",
      help: "an array: name, active, enabled, kind, primaryUsedPercent, primaryWindowMinutes,\nprimaryResetsAt, secondaryUsedPercent, secondaryWindowMinutes, secondaryResetsAt,\nobservedAt, nextResetAt, coolingDownUntil (null when unknown; times ISO 8601)",
    },
  },
  footer: "Exit status: 0 listed; 2 the accounts store is unreadable (named on stderr).",
});

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const store = peekAccounts(supervisorHome(process.env));
  const now = Date.now();
  if (p.values.json) {
    process.stdout.write(`${JSON.stringify(usageRows(store, now), null, 2)}\n`);
    return 0;
  }
  const paint = painter(colourEnabled(process.stdout, process.env));
  process.stdout.write(renderUsageTable(store, now, outputWidth(process.stdout, process.env), paint));
  const hint = addAccountHint(usageRows(store, now), now);
  if (hint) process.stderr.write(`codex-supervisor: ${hint}\n`);
  return 0;
}
