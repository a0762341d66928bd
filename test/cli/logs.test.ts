// `logs` prints a log of any size in full (the reading engine, lib/jobs/log-reader.ts, is tested in
// test/jobs/log-reader.test.ts).
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobLogFile } from "../../lib/paths.js";
import { createJob, updateJob } from "../../lib/jobs/records.js";
import { cliInHome } from "../helpers/cli.js";
import { refOf, tempHome } from "../jobs/helpers.js";

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe("codex-supervisor logs", () => {
  it("prints an event log larger than 16 MiB in full", async () => {
    const id = "j-20250109-000000c1";
    createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "x"] });
    updateJob(home, id, { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
    const line = (i: number) => JSON.stringify({ ts: "2025-01-09T10:00:00.000Z", type: "notice", i, pad: "p".repeat(200) });
    const count = Math.ceil((17 * 1024 * 1024) / (line(0).length + 1));
    const fd = fs.openSync(jobLogFile(home, id), "w");
    const batch: string[] = [];
    for (let i = 0; i < count; i++) {
      batch.push(line(i));
      if (batch.length === 10_000 || i === count - 1) fs.writeSync(fd, batch.splice(0).join("\n") + "\n");
    }
    fs.closeSync(fd);
    expect(fs.statSync(jobLogFile(home, id)).size).toBeGreaterThan(16 * 1024 * 1024);
    const r = await cliInHome(home, ["logs", id, "--raw"]);
    expect(r.code).toBe(0);
    const out = r.stdout.split("\n");
    expect(out.pop()).toBe("");
    expect(out).toHaveLength(count);
    expect(out.at(-1)).toBe(line(count - 1));
  }, 60_000);
});
