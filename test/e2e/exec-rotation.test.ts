// Background exec jobs and account rotation, end to end with the real pinned codex against the
// loopback model (compiled dist/):
//   - A's first turn gets a 429 usage_limit_reached: codex exec exits 1, and that exit is a rotation
//     (not crash bookkeeping): `exec resume <id>` on B, the job ends exited 0 with B's answer, same session.
//   - the same with the storage lock held by someone else the whole time: the switch times out
//     (LockTimeoutError) — the supervisor does not die and the record is not left `restarting`: one
//     notice + a `rotate-failed` event naming the error, the session resumed by id on the current
//     login (A), and the job ends with a final status of its own.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { usageLimitBody } from "../testbed/model-server.js";
import { acquireStorageLock } from "../../lib/lock/storage-lock.js";
import { makeWorld, type World, disposeWorld } from "../helpers/job-world.js";

const KEY_A = "sk-execrot-A-SECRETSECRET";
const KEY_B = "sk-execrot-B-SECRETSECRET";
const EXEC = ["exec", "--skip-git-repo-check"];

let w: World | null = null;
let keyDir: string | null = null;
afterEach(async () => {
  if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
  keyDir = null;
  if (!w) return;
  await disposeWorld(w);
  w = null;
});

async function worldWithAccounts(): Promise<World> {
  const world = await makeWorld();
  w = world;
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "execrot-keys-"));
  for (const [name, key] of [["A", KEY_A], ["B", KEY_B]] as const) {
    const file = path.join(keyDir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify({ OPENAI_API_KEY: key }), { mode: 0o600 });
    const r = await world.cli(["accounts", "add", name, "--from-file", file]);
    expect(r.code, r.stderr).toBe(0);
  }
  const use = await world.cli(["accounts", "use", "A", "--force"]);
  expect(use.code, use.stderr).toBe(0);
  world.server.setResponder((req) => ({ text: `ANSWER-FROM-${req.bearerKey === KEY_B ? "B" : req.bearerKey === KEY_A ? "A" : "?"}` }));
  world.server.setUsageLimitReached(KEY_A, Math.floor(Date.now() / 1000) + 1800);
  return world;
}

function events(home: string, id: string): Array<{ type: string } & Record<string, unknown>> {
  return fs
    .readFileSync(path.join(home, "jobs", `${id}.log`), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
}

async function startJob(world: World, prompt: string, env: NodeJS.ProcessEnv = world.env): Promise<string> {
  const r = await world.cli(["run", "--detach", "--", ...EXEC, prompt], { env });
  expect(r.code, r.stderr).toBe(0);
  const id = r.stdout.split("\n")[0]!;
  world.jobs.add(id);
  return id;
}

async function waitEnded(world: World, id: string, env: NodeJS.ProcessEnv = world.env): Promise<{ status: string; exitCode: number | null; sessionId: string | null; reason: string | null; account: string | null }> {
  const st = await world.cli(["status", id, "--wait", "--timeout", "120", "--json"], { env, timeoutMs: 130_000 });
  expect(st.code, st.stderr).toBe(0);
  return JSON.parse(st.stdout);
}

describe("exec jobs: a usage-limited turn rotates to the next account", () => {
  it("A answers 429 usage_limit_reached, B answers: exited 0 with B's answer, same session id", async () => {
    const world = await worldWithAccounts();
    const id = await startJob(world, "exec rotation e2e");
    const st = await waitEnded(world, id);
    expect(st).toMatchObject({ status: "exited", exitCode: 0, account: "B" });

    const turns = world.server.turnRequests;
    const a = turns.filter((t) => t.bearerKey === KEY_A);
    const b = turns.filter((t) => t.bearerKey === KEY_B);
    expect(a.length).toBeGreaterThan(0);
    expect(b).toHaveLength(1);
    expect(b[0]!.sessionId).toBe(a[0]!.sessionId);
    expect(st.sessionId).toBe(a[0]!.sessionId);
    // The first prompt is in B's history once (resumed, not re-sent).
    expect(b[0]!.userTexts.filter((t) => t === "exec rotation e2e")).toHaveLength(1);

    const result = await world.cli(["result", id]);
    expect(result.stdout).toContain("ANSWER-FROM-B");
    const ev = events(world.home, id);
    expect(ev.filter((e) => e.type === "spawn")).toHaveLength(2);
    expect(ev.some((e) => e.type === "crash")).toBe(false);
    expect(ev.find((e) => e.type === "rotate")).toMatchObject({ from: "A", to: "B" });
    const store = JSON.parse(fs.readFileSync(path.join(world.home, "accounts.json"), "utf8")) as { active: string };
    expect(store.active).toBe("B");
    expect(JSON.parse(fs.readFileSync(world.codex.authPath, "utf8")).OPENAI_API_KEY).toBe(KEY_B);
  }, 150_000);

  it("the storage lock held elsewhere: the switch fails, the session is resumed on A, the job still ends on its own", async () => {
    const world = await worldWithAccounts();
    const env = { ...world.env, CODEX_AUTH_LOCK_STALE_MS: "2000", CODEX_AUTH_LOCK_UPDATE_MS: "1000", CODEX_AUTH_CRASH_RESTART_MAX: "0" };
    // `run` itself takes the lock (name check + record), so the hold starts after it returned, and the
    // model gives A its 429 only once the lock is held. A live hold of another process (heartbeat
    // running): every locked write of the supervisor from then on times out.
    world.server.setUsageLimitReached(KEY_A, null);
    let lockHeld!: () => void;
    const heldNow = new Promise<void>((r) => (lockHeld = r));
    world.server.setResponder(async (req) => {
      if (req.bearerKey !== KEY_A) return { text: "ANSWER-FROM-B" };
      await heldNow;
      return { status: 429, body: usageLimitBody(Math.floor(Date.now() / 1000) + 1800) };
    });
    const id = await startJob(world, "exec rotation lock held", env);
    const held = await acquireStorageLock(world.home, { staleMs: 2000, updateMs: 1000 });
    lockHeld();
    try {
      const st = await waitEnded(world, id, env);
      // A is still usage-limited, so the resumed run fails as well; no rotation is tried again before
      // the back-off, and a usage-limit end is not a crash: the job fails with that reason.
      expect(st.status).toBe("failed");
      expect(st.reason).toMatch(/the turn hit the usage limit/);
      const ev = events(world.home, id);
      const failed = ev.filter((e) => e.type === "rotate-failed");
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ where: "switch", from: "A", to: "B", error: expect.stringMatching(/^LockTimeoutError: /) });
      const spawns = ev.filter((e) => e.type === "spawn");
      expect(spawns).toHaveLength(2);
      const sessionId = world.server.turnRequests[0]!.sessionId!;
      expect(spawns[1]!.argv).toEqual(expect.arrayContaining(["resume", sessionId]));
      expect(world.server.turnRequests.every((t) => t.bearerKey === KEY_A)).toBe(true);
      expect(JSON.parse(fs.readFileSync(world.codex.authPath, "utf8")).OPENAI_API_KEY).toBe(KEY_A);
      const out = fs.readFileSync(path.join(world.home, "jobs", `${id}.out`), "utf8");
      expect(out).toMatch(/could not switch account A → B: LockTimeoutError: .*resuming session .* on the current login/);
      for (const text of [out, JSON.stringify(ev)]) {
        expect(text).not.toContain(KEY_A);
        expect(text).not.toContain(KEY_B);
      }
    } finally {
      await held.release();
    }
  }, 150_000);
});
