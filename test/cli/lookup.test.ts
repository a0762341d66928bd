// Finding a job: by id, by id without its date, by codex's session id (whole, start, or the end `ls`
// shows), by name — the rule as a table (lib/jobs/ref-match.ts), then through the binary.
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { matchById, matchByRecord } from "../../lib/jobs/ref-match.js";
import { createJob, updateJob } from "../../lib/jobs/records.js";
import { cliInHome } from "../helpers/cli.js";
import { refOf, tempHome } from "../jobs/helpers.js";

const IDS = ["s-20260501-1a2b3c4d", "s-20260501-1a2b9999", "j-20260430-9f8e7d6c"];
const CANDIDATES = [
  { id: IDS[0]!, sessionId: "019a3f2c-7d10-7aaa-8bbb-0000cd000001", name: null },
  { id: IDS[1]!, sessionId: "019a3f2c-7d10-7bbb-8ccc-0000ef000002", name: "web" },
  { id: IDS[2]!, sessionId: null, name: "nightly" },
];

describe("the matching rule (pure)", () => {
  it("ids: whole, by their start, without the date; ambiguity is reported, never guessed", () => {
    expect(matchById("s-20260501-1a2b3c4d", IDS)).toEqual({ kind: "one", id: IDS[0] });
    expect(matchById("j-", IDS)).toEqual({ kind: "one", id: IDS[2] });
    expect(matchById("s-1a2b3c4d", IDS)).toEqual({ kind: "one", id: IDS[0] });
    expect(matchById("9f8e7d6c", IDS)).toEqual({ kind: "one", id: IDS[2] });
    expect(matchById("9f8e", IDS)).toEqual({ kind: "one", id: IDS[2] });
    expect(matchById("1a2b", IDS)).toEqual({ kind: "many", ids: [IDS[0], IDS[1]], by: "id" });
    expect(matchById("s-2026", IDS)).toEqual({ kind: "many", ids: [IDS[0], IDS[1]], by: "id" });
    expect(matchById("9f8", IDS)).toEqual({ kind: "none" }); // a date-less reference needs 4 characters
    expect(matchById("zzzz", IDS)).toEqual({ kind: "none" });
  });

  it("session ids: whole (any case), start, end; then names", () => {
    expect(matchByRecord("019a3f2c-7d10-7aaa-8bbb-0000cd000001", CANDIDATES)).toEqual({ kind: "one", id: IDS[0] });
    expect(matchByRecord("019A3F2C-7D10-7AAA-8BBB-0000CD000001", CANDIDATES)).toEqual({ kind: "one", id: IDS[0] });
    expect(matchByRecord("cd000001", CANDIDATES)).toEqual({ kind: "one", id: IDS[0] }); // what `ls` shows
    expect(matchByRecord("019a3f2c-7d10-7b", CANDIDATES)).toEqual({ kind: "one", id: IDS[1] });
    expect(matchByRecord("019a3f2c", CANDIDATES)).toEqual({ kind: "many", ids: [IDS[0], IDS[1]], by: "session id" });
    expect(matchByRecord("nightly", CANDIDATES)).toEqual({ kind: "one", id: IDS[2] });
    expect(matchByRecord("001", CANDIDATES)).toEqual({ kind: "none" });
    expect(matchByRecord("dup", [{ id: "a", sessionId: null, name: "dup" }, { id: "b", sessionId: null, name: "dup" }])).toEqual({ kind: "many", ids: ["a", "b"], by: "name" });
  });
});

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe("through the binary", () => {
  function seed(): void {
    for (const c of CANDIDATES) {
      createJob(home, { id: c.id, kind: c.id.startsWith("s") ? "session" : "job", name: c.name, supervisor: refOf(), cwd: "/w", argv: ["exec", "x"] });
      updateJob(home, c.id, { status: "running", sessionId: c.sessionId });
    }
  }

  it("status finds a job by codex's session id, its start or the part ls shows, and by its id without the date", async () => {
    seed();
    for (const ref of ["019a3f2c-7d10-7aaa-8bbb-0000cd000001", "019a3f2c-7d10-7a", "cd000001", "s-1a2b3c4d", "1a2b3c", "s-20260501-1a2b3c"]) {
      const r = await cliInHome(home, ["status", ref, "--json"]);
      expect(r.code, `${ref}: ${r.stderr}`).toBe(0);
      expect((JSON.parse(r.stdout) as { id: string }).id, ref).toBe(IDS[0]);
    }
    const shown = (await cliInHome(home, ["ls"])).stdout;
    for (const part of ["s-1a2b3c4d", "cd000001", "j-9f8e7d6c"]) expect(shown).toContain(part);
  });

  it("an ambiguous or unknown reference: exit 2 naming the candidates", async () => {
    seed();
    const amb = await cliInHome(home, ["status", "019a3f2c"]);
    expect(amb.code).toBe(2);
    expect(amb.stderr).toBe(`codex-supervisor: session id '019a3f2c' matches 2 jobs: ${IDS[0]}, ${IDS[1]}; give more of it\n`);
    const none = await cliInHome(home, ["result", "abcdef"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no job matches 'abcdef' \(by id, session id or name\)/);
  });
});
