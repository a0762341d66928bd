// `logs` for people (lib/cli/event-view.ts): times of day, account names, durations in words — no
// epoch milliseconds, no "600000 ms"; `--raw` keeps the JSON lines.
import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clockTime, formatEvent, formatEventLine } from "../../lib/cli/event-view.js";
import { humaniseText } from "../../lib/terminal/duration.js";
import { appendEvent } from "../../lib/jobs/event-log.js";
import { createJob, updateJob } from "../../lib/jobs/records.js";
import { jobLogFile } from "../../lib/paths.js";
import { cliInHome } from "../helpers/cli.js";
import { refOf, tempHome } from "../jobs/helpers.js";

const NOW = new Date(2026, 4, 1, 14, 0, 0).getTime(); // local time
const plain = { now: NOW, paint: (_f: unknown, t: string) => t };
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
const line = (minutes: number, ev: Record<string, unknown>) => JSON.stringify({ ts: at(minutes), ...ev });
const view = (minutes: number, ev: Record<string, unknown>) => formatEventLine(line(minutes, ev), plain);

describe("one event line (pure)", () => {
  it("times of day (the date only for another day); a line that is not an event passes through", () => {
    expect(clockTime(NOW - 5_000, NOW)).toBe("13:59:55");
    expect(clockTime(NOW - 86_400_000, NOW)).toBe("2026-04-30 14:00:00");
    expect(formatEventLine("not json", plain)).toBe("not json");
    expect(formatEventLine('{"type":"spawn"}', plain)).toBe('{"type":"spawn"}');
    expect(formatEvent({ ts: at(0), type: "bind", sessionId: "x" }, plain)).toBe("14:00:00  bind          session x");
    expect(formatEvent({ type: "bind" }, plain)).toBeNull();
  });

  it("the supervisor's events in sentences, with account names and no epoch ms", () => {
    expect(view(-3, { type: "spawn", pid: 4242, argv: ["--no-daemon"], account: "work" })).toBe("13:57:00  spawn         codex started (pid 4242) on work");
    expect(view(-2, { type: "bind", sessionId: "019a-x" })).toBe("13:58:00  bind          session 019a-x");
    const quota = view(-1, { type: "quota", account: "work", primary: { usedPercent: 96.4, windowMinutes: 300, resetsAt: NOW + 65 * 60_000 }, secondary: { usedPercent: 12, windowMinutes: 10080, resetsAt: null } });
    expect(quota).toBe("13:59:00  quota         work: 5h 96% (resets 15:05:00 (in 1h 05m)), 7d 12%");
    expect(quota).not.toMatch(/\d{12}/);
    expect(view(0, { type: "quota", action: "rotate", reason: "5h window 96% used (4% left)", to: "personal" })).toBe("14:00:00  quota         rotating to personal: 5h window 96% used (4% left)");
    expect(view(0, { type: "quota", action: "wait", until: at(12) })).toBe("14:00:00  quota         waiting for the quota reset at 14:12:00 (in 12m)");
    expect(view(1, { type: "rotate", from: "work", to: "personal", reason: "5h window 96% used", sessionId: "s" })).toBe("14:01:00  rotate        work → personal (5h window 96% used)");
    expect(view(2, { type: "exit", status: "failed", code: 1, signal: null, reason: "crash restart cap reached (5 in 600000 ms): exit code 1" })).toBe(
      "14:02:00  exit          failed, exit code 1: crash restart cap reached (5 in 10m): exit code 1",
    );
    expect(view(3, { type: "rotate-failed", where: "switch", from: "work", to: "personal", error: "lock timed out", retryAt: at(8) })).toBe(
      "14:03:00  rotate-failed could not switch work → personal (switch): lock timed out; next try 14:08:00 (in 8m)",
    );
  });

  it("an event it does not know: key=value, durations and times humanised", () => {
    expect(view(0, { type: "brand-new", delayMs: 90_000, until: NOW + 3_600_000, note: "x" })).toBe("14:00:00  brand-new     delay=1m 30s until=15:00:00 (in 1h 00m) note=x");
    expect(humaniseText("waited 1500 ms, then 30000ms")).toBe("waited 1s, then 30s");
  });

  it("colour only through the painter it is given", () => {
    const painted = formatEventLine(line(0, { type: "crash", exit: "exit code 1", restart: true }), { now: NOW, paint: (f, t) => `<${String(f)}>${t}</>` });
    expect(painted).toBe("14:00:00  <red>crash        </> exit code 1; restarting");
  });
});

let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe("codex-supervisor logs", () => {
  it("human by default, --raw for the JSON lines as stored", async () => {
    const id = "j-20260501-000000e1";
    createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "x"] });
    appendEvent(home, id, { type: "quota", account: "work", primary: { usedPercent: 50, windowMinutes: 300, resetsAt: Date.now() + 3_600_000 }, secondary: null });
    appendEvent(home, id, { type: "exit", status: "exited", code: 0, signal: null, reason: "codex exited" });
    updateJob(home, id, { status: "exited", exitCode: 0, endedAt: new Date().toISOString() });
    const human = await cliInHome(home, ["logs", id]);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d {2}quota {9}work: 5h 50% \(resets \d\d:\d\d:\d\d \(in (59m|1h 00m)\)\)$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d {2}exit {10}exited, exit code 0: codex exited$/);
    expect(human.stdout).not.toMatch(/"ts"|\d{13}/);
    const raw = await cliInHome(home, ["logs", id, "--raw"]);
    expect(raw.stdout).toBe(fs.readFileSync(jobLogFile(home, id), "utf8"));
  });
});
