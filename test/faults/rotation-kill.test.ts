// Fault suite: the supervisor SIGKILLed at each step of a quota rotation. Accounts A and B
// (API keys) in the store, A active; the model answers A with the hard usage limit (exec jobs) or 96 %
// used (the TUI), so the supervisor rotates A → B. A test preload (fixtures/kill-at.mjs, through
// NODE_OPTIONS) makes the supervisor SIGKILL itself at one step:
//   during-escalation (TUI: the first signal to codex's tree has gone out),
//   before-sync-back, after-activation, before-resume (exec jobs, `run --detach`).
// Afterwards, for every step:
//   - the record is reconciled to `lost` with the reason (never `running`) by `status <id> --json`;
//   - `reap` ends every process carrying the job's marker (none left afterwards);
//   - the store is intact: accounts.json and CODEX_HOME/auth.json parse, auth.json holds the active
//     account's key, both accounts keep their credentials;
//   - the session resumes by hand with the real codex (`codex exec resume <id>`) and the model sees
//     the earlier turn (its prompt once, in the history).
// Real processes and the real pinned codex against the loopback model; uses the compiled dist/.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { ModelServer } from "../testbed/model-server.js";
import { runCodex } from "../helpers/codex-home.js";
import { pollUntil } from "../helpers/poll.js";
import { expectNoLeftovers, findMarkedProcesses, isStillRunning } from "../helpers/processes.js";
import { makeWorld, readRecordRaw, trackedOf, type World, disposeWorld } from "../helpers/job-world.js";
import { cli as bedCli, startBed, waitForJob, type Bed } from "../e2e/harness.js";

const KEY_A = "sk-rotkill-A-SECRETSECRET";
const KEY_B = "sk-rotkill-B-SECRETSECRET";
const EXEC = ["exec", "--skip-git-repo-check"];
const KILL_PRELOAD = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "kill-at.mjs")).href;
/** The environment that makes a supervisor SIGKILL itself at `step`. */
const killAt = (step: string): NodeJS.ProcessEnv => ({ ROTKILL_AT: step, NODE_OPTIONS: `--import=${KILL_PRELOAD}` });

interface CliOut {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What the checks need from either harness. */
interface Ctx {
  home: string;
  authPath: string;
  server: ModelServer;
  codexEnv: NodeJS.ProcessEnv;
  workDir: string;
  cli: (args: string[]) => Promise<CliOut>;
}

let keyDir: string | null = null;
afterEach(() => {
  if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
  keyDir = null;
});

async function addAccounts(ctx: Ctx): Promise<void> {
  keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "rotkill-keys-"));
  for (const [name, key] of [["A", KEY_A], ["B", KEY_B]] as const) {
    const file = path.join(keyDir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify({ OPENAI_API_KEY: key }), { mode: 0o600 });
    const r = await ctx.cli(["accounts", "add", name, "--from-file", file]);
    expect(r.code, r.stderr).toBe(0);
  }
  // The world's placeholder login is no part of the scenario (use --force would keep it as an account).
  fs.rmSync(ctx.authPath, { force: true });
  const use = await ctx.cli(["accounts", "use", "A"]);
  expect(use.code, use.stderr).toBe(0);
  expect(JSON.parse(fs.readFileSync(ctx.authPath, "utf8")).OPENAI_API_KEY).toBe(KEY_A);
}

interface StoreView {
  active: string | null;
  keys: Record<string, string | null>;
  codexKey: string | null;
}

/** Both files parse; returns what they say. */
function readStore(ctx: Ctx): StoreView {
  const store = JSON.parse(fs.readFileSync(path.join(ctx.home, "accounts.json"), "utf8")) as { active: string | null; accounts: Array<{ name: string; auth: { OPENAI_API_KEY?: string | null } }> };
  const auth = JSON.parse(fs.readFileSync(ctx.authPath, "utf8")) as { OPENAI_API_KEY?: string | null };
  const keys: Record<string, string | null> = {};
  for (const a of store.accounts) keys[a.name] = a.auth.OPENAI_API_KEY ?? null;
  return { active: store.active, keys, codexKey: auth.OPENAI_API_KEY ?? null };
}

function eventTypes(home: string, id: string): string[] {
  return fs
    .readFileSync(path.join(home, "jobs", `${id}.log`), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { type: string }).type);
}

/** Until the job's (recorded) supervisor is gone: the test-only kill went off. */
async function waitForSupervisorDeath(home: string, id: string, timeoutMs: number): Promise<void> {
  let rec: ReturnType<typeof readRecordRaw> = null;
  await pollUntil(
    () => {
      rec = readRecordRaw(home, id);
      // The record names the real supervisor once it has claimed the job (it writes `running` then).
      return rec !== null && rec.status !== "starting" && !isStillRunning(trackedOf(rec.supervisor));
    },
    timeoutMs,
    () => {
      let log = "(none)";
      try {
        log = fs.readFileSync(path.join(home, "jobs", `${id}.log`), "utf8").slice(-3000);
      } catch {
        /* no log */
      }
      return `the supervisor of ${id} to die at the kill step; record: ${JSON.stringify(rec)}\nevents: ${log}`;
    },
  );
}

/**
 * The checks shared by every step. `expectActive`: the account the store and auth.json must agree on
 * (A before the switch, B after the activation). Returns the record as reconciled.
 */
async function checkAftermath(ctx: Ctx, id: string, o: { expectActive: "A" | "B"; sessionId: string; firstPrompt: string }): Promise<void> {
  // 1. The record says what happened: reconciled to lost, with the reason — never still "running".
  //    (Checked after reap as well: while a codex of the job outlived its supervisor, reconciliation
  //    rightly keeps it active; reap ends those processes and reconciles the record.)
  const before = await ctx.cli(["status", id, "--json"]);
  expect(before.code, before.stderr).toBe(0);
  const st0 = JSON.parse(before.stdout) as { status: string; reason: string | null };
  if (st0.status !== "lost") {
    // Only acceptable when the recorded codex is verifiably still running without its supervisor.
    expect(before.stderr, `status ${st0.status} before reap`).toMatch(/is still running without it/);
  }

  // 2. reap ends every process carrying the marker.
  const reaped = await ctx.cli(["reap"]);
  expect(reaped.code, reaped.stdout + reaped.stderr).toBe(0);
  await expectNoLeftovers({ marker: id }, 3000);
  expect(findMarkedProcesses(id)).toEqual([]);

  const after = await ctx.cli(["status", id, "--json"]);
  expect(after.code, after.stderr).toBe(0);
  const st = JSON.parse(after.stdout) as { status: string; reason: string | null; sessionId: string | null };
  expect(st.status).toBe("lost");
  expect(st.reason).toMatch(/supervisor pid \d+ is gone/);
  // The record names the session to resume at every step (bound before the sync-back, core.ts).
  expect(st.sessionId).toBe(o.sessionId);
  console.log(`[rotation-kill] ${id}: status before reap ${st0.status}; reap: ${reaped.stdout.trim().replace(/\n/g, " | ")}; after: ${st.status} (${st.reason}); record session ${st.sessionId ?? "none"}`);

  // 3. The store is intact and agrees with CODEX_HOME/auth.json; no credential lost.
  const s = readStore(ctx);
  // (`accounts use A --force` kept the unrelated login it replaced as an account of its own.)
  expect(s.keys).toMatchObject({ A: KEY_A, B: KEY_B });
  expect(s.active).toBe(o.expectActive);
  expect(s.codexKey).toBe(s.keys[s.active!]);

  // 4. The session resumes by hand with the real codex; the model sees the earlier turn.
  ctx.server.setUsageLimitReached(KEY_A, null);
  ctx.server.setQuota(KEY_A, null);
  ctx.server.setDelay(0);
  ctx.server.setResponder(() => ({ text: "RESUMED-BY-HAND" }));
  const resumed = await runCodex([...EXEC, "resume", o.sessionId, "picking up by hand"], { env: ctx.codexEnv, cwd: ctx.workDir, timeoutMs: 60_000 });
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(resumed.stdout).toContain("RESUMED-BY-HAND");
  const last = ctx.server.turnRequests.at(-1)!;
  expect(last.prompt).toBe("picking up by hand");
  expect(last.sessionId).toBe(o.sessionId);
  expect(last.userTexts.filter((t) => t === o.firstPrompt)).toHaveLength(1);
  expect(last.bearerKey).toBe(s.codexKey);
}

describe("supervisor SIGKILLed during a rotation: exec jobs (run --detach)", () => {
  let w: World | null = null;
  afterEach(async () => {
    if (!w) return;
    await disposeWorld(w);
    w = null;
  });

  const cases = [
    // The usage-limited child has ended; auth.json not synced back: nothing switched yet.
    { step: "before-sync-back", active: "A", events: { rotate: false } },
    // B is active in the store and auth.json; the record was not told yet (it still says A).
    { step: "after-activation", active: "B", events: { rotate: false } },
    // The rotation is complete and logged; the resumed codex was never spawned.
    { step: "before-resume", active: "B", events: { rotate: true } },
  ] as const;

  for (const c of cases) {
    it(`killed ${c.step}: record lost, reap cleans, store intact (active ${c.active}), session resumes by hand`, async () => {
      w = await makeWorld();
      const world = w;
      const ctx: Ctx = {
        home: world.home,
        authPath: world.codex.authPath,
        server: world.server,
        codexEnv: world.codex.env,
        workDir: world.codex.workDir,
        cli: (args) => world.cli(args),
      };
      await addAccounts(ctx);
      world.server.setUsageLimitReached(KEY_A, Math.floor(Date.now() / 1000) + 1800);
      const first = `rotation kill ${c.step}`;
      const r = await world.cli(["run", "--detach", "--", ...EXEC, first], { env: { ...world.env, ...killAt(c.step) } });
      expect(r.code, r.stderr).toBe(0);
      const id = r.stdout.split("\n")[0]!;
      expect(id).toMatch(/^j-\d{8}-[0-9a-f]{8}$/);
      world.jobs.add(id);
      await waitForSupervisorDeath(world.home, id, 60_000);

      const limited = world.server.turnRequests.filter((q) => q.bearerKey === KEY_A);
      expect(limited.length).toBeGreaterThan(0);
      const sessionId = limited[0]!.sessionId!;
      // Died where it was told to: one codex spawned, no resume; the rotation logged only when complete.
      const types = eventTypes(world.home, id);
      expect(types.filter((t) => t === "spawn")).toHaveLength(1);
      expect(types.includes("rotate"), types.join(",")).toBe(c.events.rotate);
      expect(types).not.toContain("exit");
      expect(world.server.turnRequests.filter((q) => q.bearerKey === KEY_B)).toHaveLength(0);

      await checkAftermath(ctx, id, { expectActive: c.active, sessionId, firstPrompt: first });
    }, 150_000);
  }
});

describe("supervisor SIGKILLed during a rotation: the TUI", () => {
  let bed: Bed | null = null;
  afterEach(async () => {
    await bed?.close();
    bed = null;
  });

  it("killed during the escalation: record lost, reap cleans, store intact (active A), session resumes by hand", async () => {
    bed = await startBed({ apiKey: "sk-rotkill-unrelated-login", env: killAt("during-escalation") });
    const b = bed;
    const ctx: Ctx = {
      home: b.home,
      authPath: b.h.authPath,
      server: b.server,
      codexEnv: b.h.env,
      workDir: b.h.workDir,
      cli: async (args) => bedCli(b, args),
    };
    await addAccounts(ctx);
    const resetAt = Math.floor(Date.now() / 1000) + 3600;
    b.server.setQuota(KEY_A, { primaryUsedPercent: 96, primaryWindowMinutes: 300, primaryResetAt: resetAt, secondaryUsedPercent: 20, secondaryWindowMinutes: 10080 });
    b.server.setQuota(KEY_B, { primaryUsedPercent: 10, primaryWindowMinutes: 300, secondaryUsedPercent: 5, secondaryWindowMinutes: 10080 });

    const first = "rotation kill during escalation";
    b.shell.sendText(`codex "${first}"`);
    b.shell.sendKeys("Enter");
    const [turn1] = await b.server.waitForRequests(1, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\nscreen:\n${b.shell.capture()}`);
    });
    expect(turn1!.bearerKey).toBe(KEY_A);
    const sessionId = turn1!.sessionId!;
    const id = await waitForJob(b.home);
    await waitForSupervisorDeath(b.home, id, 60_000);
    // The shell got its prompt back (the supervisor was the `codex` it ran).
    await b.shell.waitFor(/Killed/, 10_000, { history: true });

    const types = eventTypes(b.home, id);
    expect(types.filter((t) => t === "spawn")).toHaveLength(1);
    expect(types).toContain("signal");
    expect(types).not.toContain("rotate");
    expect(types).not.toContain("exit");
    await checkAftermath(ctx, id, { expectActive: "A", sessionId, firstPrompt: first });
  }, 180_000);
});
