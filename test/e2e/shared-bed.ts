// Several supervised terminals on one CODEX_HOME logged in with ChatGPT (test bed logins that the
// real codex refreshes against the loopback token endpoint), for the shared-login tests.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { readAccounts } from "../../lib/accounts/store.js";
import type { JobRecord } from "../../lib/jobs/record.js";
import { runCliSync, type CliResult } from "../helpers/cli.js";
import { makeChatgptCodexHome, type ChatgptCodexHome } from "../helpers/codex-home.js";
import { pollUntil } from "../helpers/poll.js";
import { expectNoLeftovers } from "../helpers/processes.js";
import { CODEX_COMPOSER_READY, startShell, type TmuxSession } from "../helpers/tmux.js";
import { startModelServer, type ModelServer } from "../testbed/model-server.js";
import { expectSupervisorsGone, jobIds, PROMPT, supervisedShellEnv } from "./harness.js";

export const SIGN_IN_AGAIN = /sign in again|signed in to another account|refresh token was already used/i;
/** Refreshes and reuses over every shared bed of a test file (its report's figures). */
export const tally = { refreshes: 0, reuses: 0 };

export interface Shared {
  server: ModelServer;
  h: ChatgptCodexHome;
  home: string;
  env: NodeJS.ProcessEnv;
  terminals: TmuxSession[];
  cli(args: string[]): CliResult;
  /** Start `codex [args]` (supervised) in terminal i; resolves with its job id once its record exists. */
  codex(i: number, args?: string): Promise<string>;
  /** Start `codex` in several terminals at the same moment; their job ids (in no particular order). */
  codexAtOnce(terminals: number[]): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * n terminals on one CODEX_HOME, logged in as alpha (its access token due for a refresh), accounts
 * alpha (imported from auth.json) and beta (a login of its own) in the store.
 */
export async function sharedBed(n: number, o: { alphaRefreshedTtlSec?: number } = {}): Promise<Shared> {
  const server = await startModelServer();
  server.chatgpt.addAccount({ name: "alpha", ...(o.alphaRefreshedTtlSec ? { refreshedAccessTtlSec: o.alphaRefreshedTtlSec } : {}) });
  server.chatgpt.addAccount({ name: "beta" });
  server.chatgpt.rejectStaleAccessTokens(true);
  // Due (≤ 300 s left): the first codex that makes a request refreshes it.
  const h = makeChatgptCodexHome({ server, auth: server.chatgpt.login("alpha", { accessTtlSec: 120 }) });
  const home = path.join(h.home, "supervisor");
  const env = supervisedShellEnv(h);
  const cli = (args: string[]) => runCliSync(args, env, { cwd: h.workDir });
  const imp = cli(["accounts", "import", "alpha"]);
  if (imp.code !== 0) throw new Error(`accounts import: ${imp.stderr}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-beta-"));
  try {
    const file = path.join(dir, "beta.json");
    fs.writeFileSync(file, JSON.stringify(server.chatgpt.login("beta")), { mode: 0o600 });
    const add = cli(["accounts", "add", "beta", "--from-file", file]);
    if (add.code !== 0) throw new Error(`accounts add: ${add.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const terminals: TmuxSession[] = [];
  for (let i = 0; i < n; i++) {
    const t = startShell({ env, cwd: h.workDir, prompt: PROMPT, cols: 120, rows: 40 });
    terminals.push(t);
    await t.waitFor((s) => s.includes(PROMPT), 10_000);
  }
  const seen = new Set<string>();
  return {
    server,
    h,
    home,
    env,
    terminals,
    cli,
    async codex(i, args = "") {
      const before = new Set(jobIds(home));
      const t = terminals[i]!;
      t.sendText(`codex ${args}`.trimEnd());
      t.sendKeys("Enter");
      const id = await pollUntil(
        () => {
          const fresh = jobIds(home).filter((j) => !before.has(j));
          return fresh.length === 1 ? fresh[0] : undefined;
        },
        15_000,
        () => `a job record for terminal ${i}; screen:\n${t.capture()}`,
      );
      seen.add(id);
      await t.waitFor(CODEX_COMPOSER_READY, 30_000);
      return id;
    },
    async codexAtOnce(which) {
      const before = new Set(jobIds(home));
      for (const i of which) terminals[i]!.sendText("codex");
      for (const i of which) terminals[i]!.sendKeys("Enter");
      let fresh: string[] = [];
      await pollUntil(() => (fresh = jobIds(home).filter((id) => !before.has(id))).length >= which.length, 30_000, () => `${which.length} job records (${fresh.length} appeared)`);
      for (const id of fresh) seen.add(id);
      for (const i of which) await terminals[i]!.waitFor(CODEX_COMPOSER_READY, 40_000);
      return fresh;
    },
    async close() {
      for (const id of jobIds(home)) seen.add(id);
      tally.refreshes += server.chatgpt.refreshCount;
      tally.reuses += server.chatgpt.reuseCount;
      for (const t of terminals) t.kill();
      try {
        for (const m of seen) await expectNoLeftovers({ marker: m }, 8000);
        await expectSupervisorsGone(home, [...seen]);
      } finally {
        await server.close();
        h.cleanup();
      }
    },
  };
}

export const rec = (b: Shared, id: string): JobRecord => JSON.parse(fs.readFileSync(path.join(b.home, "jobs", `${id}.json`), "utf8")) as JobRecord;

/** The model call that carried `prompt`, and how its bearer was judged by the authority. */
export async function answeredWith(b: Shared, prompt: string) {
  const [req] = await b.server.waitForRequests(1, 40_000, (r) => r.kind === "turn" && r.prompt === prompt);
  const auth = b.server.chatgpt.modelAuths.find((m) => m.seq === req!.seq)!;
  return { req: req!, auth };
}

/** What must hold at the end of every scenario. */
export function expectNobodyLoggedOut(b: Shared): void {
  expect(b.server.chatgpt.reuseCount, JSON.stringify(b.server.chatgpt.tokenRequests)).toBe(0);
  const store = readAccounts(b.home);
  for (const name of ["alpha", "beta"]) {
    const stored = store.accounts.find((a) => a.name === name)!.auth.tokens!.refresh_token;
    expect(stored, `the store holds ${name}'s newest refresh token`).toBe(b.server.chatgpt.latestRefreshToken(name));
  }
  for (const t of b.terminals) expect(t.captureHistory()).not.toMatch(SIGN_IN_AGAIN);
}

