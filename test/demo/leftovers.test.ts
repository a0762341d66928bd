// The demo's clean-up: leftovers are found by their identity and signalled only through it (never a
// bare pid), and its throw-away homes live in the user's cache dir, not the temp dir codex refuses.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { demoCacheBase, makeDemoRoot } from "../../lib/demo/demo-dir.js";
import { endLeftovers, findProcessesWithEnv } from "../../lib/demo/leftovers.js";
import { isAlive, readIdentity } from "../../lib/process/identity.js";
import { cleanEnv } from "../helpers/env.js";

const started: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A `sleep` carrying CODEX_HOME=<value>, resolved once it runs. */
async function sleeper(value: string): Promise<ChildProcess> {
  const c = spawn("sleep", ["60"], { env: cleanEnv({ CODEX_HOME: value }), stdio: "ignore" });
  started.push(c);
  await new Promise<void>((resolve, reject) => {
    c.once("spawn", resolve);
    c.once("error", reject);
  });
  return c;
}

describe.runIf(process.platform === "linux")("demo leftovers", () => {
  it("are found with the identity read at scan time and ended through it; a reused pid is not signalled", async () => {
    const value = `/demo-leftovers-test/${process.pid}-${Date.now()}`;
    const c = await sleeper(value);
    const found = findProcessesWithEnv("CODEX_HOME", value);
    expect(found).toEqual([readIdentity(c.pid!)]);

    // The same pid, but a different process (another start time): nothing is sent.
    const stale = { ...found[0]!, startTicks: found[0]!.startTicks + 1 };
    const notOurs = await endLeftovers([stale], { sigintWaitMs: 50, sigtermWaitMs: 50, sigkillWaitMs: 50 });
    expect(notOurs.signalled).toEqual([]);
    expect(isAlive(found[0]!)).toBe(true);

    const exited = new Promise((r) => c.once("exit", r));
    const report = await endLeftovers(found);
    expect(report.signalled.map((s) => s.pid)).toContain(c.pid);
    expect(report.left).toEqual([]);
    await exited;
    expect(findProcessesWithEnv("CODEX_HOME", value)).toEqual([]);
  });
});

describe("demo home", () => {
  it("is under ${XDG_CACHE_HOME:-~/.cache}/codex-supervisor, never the temp dir", () => {
    expect(demoCacheBase({ XDG_CACHE_HOME: "/x/cache" }, "/home/u")).toBe("/x/cache/codex-supervisor");
    expect(demoCacheBase({}, "/home/u")).toBe("/home/u/.cache/codex-supervisor");
    expect(demoCacheBase({ XDG_CACHE_HOME: "relative/cache" }, "/home/u")).toBe("/home/u/.cache/codex-supervisor");

    // A fake home (inside the temp dir only because a test must not touch the real one).
    const home = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "cxs-demo-dir-")));
    dirs.push(home);
    const root = makeDemoRoot({}, home);
    expect(path.dirname(root)).toBe(path.join(home, ".cache", "codex-supervisor"));
    expect(path.basename(root)).toMatch(/^demo-\w{6}$/);
    expect(fs.statSync(root).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.dirname(root)).mode & 0o777).toBe(0o700);
    expect(makeDemoRoot({}, home)).not.toBe(root);
  });
});
