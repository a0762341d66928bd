// Fault test of the login watcher beside the real pinned codex refreshing a ChatGPT login against
// the test bed: the process running the watcher is SIGKILLed right after codex's refresh landed in
// auth.json, while codex is still in its turn (so no exit-time sync can help). The store must hold the
// refresh token codex was just issued — and a later rotation away and back must refresh with it
// without a reuse.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activate } from "../../lib/accounts/activate.js";
import { emptyAccountsFile } from "../../lib/accounts/schema.js";
import { findAccount, readAccounts } from "../../lib/accounts/store.js";
import { startModelServer, type ModelServer } from "../testbed/model-server.js";
import { makeChatgptCodexHome, REAL_CODEX_NATIVE, runCodexExec, type ChatgptCodexHome } from "../helpers/codex-home.js";
import { pollUntil } from "../helpers/poll.js";
import { expectNoLeftovers, track, type TrackedProcess } from "../helpers/processes.js";
import { cleanEnv } from "../helpers/env.js";
import { account } from "./fixtures.js";
import { writeStoreRaw } from "./helpers.js";

const DRIVER = path.join(import.meta.dirname, "login-watch-driver.mjs");

interface Driver {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe("login watcher: SIGKILL right after codex refreshed", () => {
  let server: ModelServer;
  let h: ChatgptCodexHome;
  let supHome: string;
  const children: ChildProcess[] = [];
  const tracked: TrackedProcess[] = [];

  beforeEach(async () => {
    server = await startModelServer();
    server.chatgpt.addAccount({ name: "alpha" });
    server.chatgpt.addAccount({ name: "beta" });
    // Alpha's access token is due: codex refreshes before its first request.
    const alpha = server.chatgpt.login("alpha", { accessTtlSec: 60 });
    h = makeChatgptCodexHome({ server, auth: alpha });
    supHome = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-watch-sup-"));
    writeStoreRaw(supHome, {
      ...emptyAccountsFile(),
      active: "alpha",
      accounts: [account("alpha", { kind: "chatgpt", auth: alpha }), account("beta", { kind: "chatgpt", auth: server.chatgpt.login("beta") })],
    });
    // A turn that stays open: codex is alive (mid-turn) when the watcher dies.
    server.setResponder((req) => ({ text: `reply ${req.countForKey}`, delayMs: req.prompt === "slow turn" ? 60_000 : 0 }));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await expectNoLeftovers(tracked.splice(0));
    await server.close();
    h.cleanup();
    fs.rmSync(supHome, { recursive: true, force: true });
  });

  function startDriver(): Driver {
    const child = spawn(process.execPath, [DRIVER, supHome, h.home], { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv() });
    children.push(child);
    tracked.push(track(child.pid!)!);
    const lines: Array<Record<string, unknown>> = [];
    let buf = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
      }
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
    return { child, lines, exited };
  }

  function startSlowCodex(): ChildProcess {
    const c = spawn(REAL_CODEX_NATIVE, ["exec", "--skip-git-repo-check", "slow turn"], { cwd: h.workDir, env: h.env, stdio: "ignore" });
    children.push(c);
    tracked.push(track(c.pid!)!);
    return c;
  }

  const storedAlphaRt = () => findAccount(readAccounts(supHome), "alpha")!.auth.tokens!.refresh_token;

  /** Rotate away and back (another terminal), then make codex refresh alpha with what the store holds. */
  async function rotateBackAndRefresh(): Promise<void> {
    await activate({ home: supHome, codexHome: h.home, name: "beta" });
    await activate({ home: supHome, codexHome: h.home, name: "alpha" });
    server.chatgpt.expireAccessTokens("alpha");
    const r = await runCodexExec(h, "after the crash");
    expect(r.code, r.stderr).toBe(0);
    expect(server.chatgpt.tokenRequests.map((t) => [t.account, t.outcome])).toEqual([
      ["alpha", "refreshed"],
      ["alpha", "refreshed"],
    ]);
    expect(server.chatgpt.reuseCount).toBe(0);
  }

  it("killed after it reported the refresh: the store already holds the new refresh token, codex still mid-turn", async () => {
    const d = startDriver();
    await pollUntil(() => (d.lines.length > 0 ? true : undefined), 10_000, "the watcher's first report");
    expect(d.lines[0]).toMatchObject({ kind: "account", account: "alpha" });
    const codex = startSlowCodex();
    await server.waitForRequests(1, 30_000); // the turn is open: codex refreshed before it
    expect(server.chatgpt.refreshCount).toBe(1);
    const issued = server.chatgpt.latestRefreshToken("alpha");
    await pollUntil(() => (d.lines.some((l) => l.sync === "synced" && l.account === "alpha") ? true : undefined), 5000, "the watcher to store the refresh");
    expect(codex.exitCode).toBeNull();
    d.child.kill("SIGKILL");
    expect(await d.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(storedAlphaRt()).toBe(issued);
    expect(h.readAuth().tokens!.refresh_token).toBe(issued);
    // Same login throughout: the fingerprint did not change on the refresh.
    expect(new Set(d.lines.map((l) => l.fingerprint)).size).toBe(1);
    codex.kill("SIGKILL");
    await rotateBackAndRefresh();
  });

  it("killed the moment the refresh landed (before it could store it): a watcher started again stores it first thing", async () => {
    const d = startDriver();
    await pollUntil(() => (d.lines.length > 0 ? true : undefined), 10_000, "the watcher's first report");
    const before = fs.statSync(h.authPath).ino;
    const codex = startSlowCodex();
    await pollUntil(() => (fs.statSync(h.authPath).ino !== before ? true : undefined), 30_000, "codex's refresh to land in auth.json", 2);
    d.child.kill("SIGKILL");
    expect((await d.exited).signal).toBe("SIGKILL");
    const issued = server.chatgpt.latestRefreshToken("alpha");
    expect(h.readAuth().tokens!.refresh_token).toBe(issued);
    const again = startDriver();
    await pollUntil(() => (again.lines.length > 0 ? true : undefined), 10_000, "the restarted watcher's first report");
    expect(storedAlphaRt()).toBe(issued);
    expect(codex.exitCode).toBeNull();
    again.child.kill("SIGTERM");
    expect((await again.exited).code).toBe(0);
    codex.kill("SIGKILL");
    await rotateBackAndRefresh();
  });
});
