// `codex-supervisor doctor [--json]`: check the installation and the running state, one line per
// finding with its fix. Exit 0 when nothing is wrong, 1 when something is (warnings do not count),
// 2 for a usage error.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { command, type Parsed } from "../argv.js";
import { doctorExitStatus, renderFindings } from "../../doctor/finding.js";
import { runDoctor } from "../../doctor/run-doctor.js";

export const spec = command({
  name: "doctor",
  synopsis: "[--json]",
  about: `Checks PATH order (is \`codex\` the shim?), which real codex is used and how it was found, shim
recursion, the opt-in, config validity, the storage lock, orphaned processes, and permissions.`,
  options: { json: { type: "boolean", help: "the findings as a JSON array (id, level, message, fix)" } },
  footer: "Exit status: 0 all good (warnings allowed), 1 something is wrong, 2 usage error.",
});

/** shim/codex of this package, relative to dist/cli/commands/doctor.js. */
export function ourShimFile(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shim/codex");
}

export async function run(p: Parsed<typeof spec.options>): Promise<number> {
  const { json } = p.values;
  const findings = runDoctor({ env: process.env, shimFile: ourShimFile() });
  process.stdout.write(json ? JSON.stringify(findings, null, 2) + "\n" : renderFindings(findings));
  return doctorExitStatus(findings);
}
