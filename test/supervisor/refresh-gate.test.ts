// The refresh gate (refresh-gate.ts): one codex at a time starts on a due ChatGPT login. Real files,
// real processes for the holder's liveness.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readIdentity } from "../../lib/process/identity.js";
import { enterRefreshGate, loginDue, refreshGateDir } from "../../lib/supervisor/refresh-gate.js";
import { apiKeyAuth, chatgptAuth, fakeJwt } from "../accounts/fixtures.js";

let dir: string;
let home: string;
let codexHome: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-gate-"));
  home = path.join(dir, "sup");
  codexHome = path.join(dir, "codex");
  fs.mkdirSync(home, { mode: 0o700 });
  fs.mkdirSync(codexHome, { mode: 0o700 });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** auth.json with an access token that expires `inSec` from now. */
function login(inSec: number): void {
  const a = chatgptAuth("amy", 1);
  a.tokens!.access_token = fakeJwt({ exp: Math.floor(Date.now() / 1000) + inSec });
  fs.writeFileSync(path.join(codexHome, "auth.json"), JSON.stringify(a), { mode: 0o600 });
}

describe("loginDue", () => {
  it.each([
    { name: "a token 10 min from expiry", inSec: 600, due: false },
    { name: "a token 4 min from expiry (codex refreshes at 5)", inSec: 240, due: true },
    { name: "an expired token", inSec: -60, due: true },
  ])("$name → $due", async ({ inSec, due }) => {
    login(inSec);
    expect(await loginDue(codexHome, Date.now())).toBe(due);
  });
  it("an API key, a missing or unreadable auth.json are never due", async () => {
    expect(await loginDue(codexHome, Date.now())).toBe(false);
    fs.writeFileSync(path.join(codexHome, "auth.json"), JSON.stringify(apiKeyAuth("kay")));
    expect(await loginDue(codexHome, Date.now())).toBe(false);
    fs.writeFileSync(path.join(codexHome, "auth.json"), "{");
    expect(await loginDue(codexHome, Date.now())).toBe(false);
  });
});

describe("enterRefreshGate", () => {
  it("not due: nothing held, no gate made", async () => {
    login(3600);
    const g = await enterRefreshGate({ home, codexHome });
    expect(g.held).toBe(false);
    expect(fs.existsSync(refreshGateDir(home))).toBe(false);
  });

  it("due: the first holds it; the next waits until the login is refreshed, then starts without it", async () => {
    login(60);
    const first = await enterRefreshGate({ home, codexHome, pollMs: 10 });
    expect(first.held).toBe(true);
    let secondDone = false;
    const second = enterRefreshGate({ home, codexHome, pollMs: 10 }).then((g) => ((secondDone = true), g));
    await new Promise((r) => setTimeout(r, 100));
    expect(secondDone).toBe(false);
    // The first codex refreshed: auth.json now holds a token far from expiry.
    const childExit = new Promise(() => {});
    const leaving = first.leaveWhenRefreshed(childExit);
    login(3600);
    expect((await second).held).toBe(false);
    await leaving;
    expect(fs.existsSync(refreshGateDir(home))).toBe(false);
  });

  it("the holder's codex exits before refreshing: the gate is left at once", async () => {
    login(60);
    const g = await enterRefreshGate({ home, codexHome, pollMs: 10 });
    await g.leaveWhenRefreshed(Promise.resolve());
    expect(fs.existsSync(refreshGateDir(home))).toBe(false);
  });

  it("a gate whose holder died is taken over", async () => {
    login(60);
    const p = spawn("sleep", ["30"]);
    const dead = readIdentity(p.pid!)!;
    p.kill("SIGKILL");
    await new Promise((r) => p.once("exit", r));
    fs.mkdirSync(refreshGateDir(home));
    fs.writeFileSync(path.join(refreshGateDir(home), "holder.json"), JSON.stringify({ identity: dead, since: Date.now() }));
    const g = await enterRefreshGate({ home, codexHome, pollMs: 10 });
    expect(g.held).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(refreshGateDir(home), "holder.json"), "utf8")).identity.pid).toBe(process.pid);
  });

  it("a live holder that never lets go: the waiter starts anyway after its bound", async () => {
    login(60);
    const holder = await enterRefreshGate({ home, codexHome });
    expect(holder.held).toBe(true);
    const t0 = Date.now();
    const g = await enterRefreshGate({ home, codexHome, pollMs: 10, waitMaxMs: 200 });
    expect(g.held).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
  });
});
