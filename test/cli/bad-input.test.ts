// Bad input through the compiled binary (build first: npx tsc -p .): the promise of "a clear error naming the
// thing, exit 2". A corrupt job record is bad input for every command that reads it, and the file is
// never rewritten; `codex-supervisor` with no command is a usage error whose help goes to stderr.
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobRecordFile } from "../../lib/paths.js";
import { createJob, updateJob } from "../../lib/jobs/records.js";
import { cliInHome } from "../helpers/cli.js";
import { refOf, tempHome } from "../jobs/helpers.js";

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const BROKEN_ID = "j-20250109-0000000b";
const GOOD_ID = "j-20250109-0000000a";

function seedCorrupt(content: string): string {
  createJob(home, { id: GOOD_ID, kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "fine"] });
  updateJob(home, GOOD_ID, { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
  createJob(home, { id: BROKEN_ID, kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "x"] });
  const file = jobRecordFile(home, BROKEN_ID);
  fs.writeFileSync(file, content);
  return file;
}

describe("a corrupt job record", () => {
  // Both kinds of damage: not JSON at all, and JSON with a wrong field.
  const contents = ['{ "schemaVersion": 1, "rev": 3, "id": "j-2025', JSON.stringify({ schemaVersion: 1, rev: 0, id: BROKEN_ID, kind: "job", status: "flying" }) + "\n"];
  for (const [i, content] of contents.entries()) {
    it(`status, result, logs, stop, restart: exit 2 naming the file, kept byte for byte (case ${i + 1})`, async () => {
      const file = seedCorrupt(content);
      for (const args of [["status", BROKEN_ID], ["status", BROKEN_ID, "--json"], ["result", BROKEN_ID], ["logs", BROKEN_ID, "-f"], ["stop", BROKEN_ID, "--timeout", "1"], ["restart", BROKEN_ID, "--timeout", "1"]]) {
        const r = await cliInHome(home, args);
        expect(r.code, args.join(" ")).toBe(2);
        expect(r.stderr, args.join(" ")).toContain(`job record ${file} is unreadable`);
        expect(r.stderr).not.toMatch(/internal error/);
        expect(fs.readFileSync(file, "utf8"), args.join(" ")).toBe(content);
      }
    });
  }

  it("ls keeps listing the others and names the corrupt one (exit 0)", async () => {
    const file = seedCorrupt("{ broken");
    const r = await cliInHome(home, ["ls", "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id)).toEqual([GOOD_ID]);
    expect(r.stderr).toContain(`skipped unreadable record ${file}`);
    expect(fs.readFileSync(file, "utf8")).toBe("{ broken");
  });
});

describe("codex-supervisor without a command", () => {
  it("prints the usage to stderr and exits 2; --help prints it to stdout and exits 0", async () => {
    const none = await cliInHome(home, []);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe("");
    expect(none.stderr).toMatch(/^Usage: codex-supervisor <command> \[options\]$/m);
    expect(none.stderr).toMatch(/^ {2}status /m);
    for (const flag of ["--help", "-h", "help"]) {
      const help = await cliInHome(home, [flag]);
      expect(help.code, flag).toBe(0);
      expect(help.stderr, flag).toBe("");
      expect(help.stdout, flag).toBe(none.stderr);
    }
  });
});
