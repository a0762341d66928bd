// The accounts side of the loop at the I/O level (account-ports.ts): with A active and codex having
// refreshed A's tokens in CODEX_HOME/auth.json, the snapshot names A as the login's owner and the plan
// (rotation-policy.ts) picks B; the switch stores A's refreshed tokens, cools A down, and puts B into
// CODEX_HOME/auth.json. Nothing the supervisor logs carries a token.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activate } from "../../lib/accounts/activate.js";
import { findAccount, readAccounts, updateAccounts } from "../../lib/accounts/store.js";
import { defaultConfig } from "../../lib/config/schema.js";
import { realAccountPorts } from "../../lib/supervisor/account-ports.js";
import { planRotation } from "../../lib/supervisor/rotation-policy.js";

const due = (coolDownUntil: number | null = null) => ({ kind: "rotate" as const, reason: "test", trigger: "threshold" as const, coolDownUntil });
import { account, chatgptAuth, SECRET_MARKERS } from "../accounts/fixtures.js";

let dir: string;
let home: string;
let codexHome: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-rot-"));
  home = path.join(dir, "sup");
  codexHome = path.join(dir, "codex");
  fs.mkdirSync(codexHome, { mode: 0o700 });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function seed(...names: string[]) {
  await updateAccounts(home, (draft) => {
    for (const n of names) draft.accounts.push(account(n, { kind: "chatgpt", auth: chatgptAuth(n, 1) }));
  });
  await activate({ home, codexHome, name: names[0]! });
}

describe("rotation through the real account ports", () => {
  it("syncs A's refreshed tokens back, cools A down, activates B", async () => {
    await seed("A", "B");
    // Codex refreshed A's tokens and rewrote auth.json in place (truncate + write, not a rename).
    fs.writeFileSync(path.join(codexHome, "auth.json"), JSON.stringify(chatgptAuth("A", 2)));

    const events: unknown[] = [];
    const ports = realAccountPorts({ home, codexHome, config: defaultConfig() }, (type, data) => void events.push({ type, ...data }));
    const snap = await ports.snapshot();
    expect(snap.login).toMatchObject({ kind: "ok", owner: "A" });
    const plan = planRotation({ snapshot: snap, leaving: "A", due: due(), now: Date.now(), rotateAtRemainingPercent: 5, whenAllExhausted: "wait" });
    expect(plan).toMatchObject({ kind: "switch", to: "B" });

    const until = Date.now() + 3_600_000;
    await ports.switchTo("B", "A", until);

    const store = readAccounts(home);
    expect(store.active).toBe("B");
    const a = findAccount(store, "A")!;
    expect(a.auth.tokens?.refresh_token).toBe("SECRET-REFRESH-A-2");
    expect(a.auth.tokens?.access_token).toBe("SECRET-ACCESS-A-2");
    expect(Date.parse(a.coolingDownUntil!)).toBe(until);
    const live = JSON.parse(fs.readFileSync(path.join(codexHome, "auth.json"), "utf8"));
    expect(live.tokens.refresh_token).toBe("SECRET-REFRESH-B-1");
    expect((fs.statSync(path.join(codexHome, "auth.json")).mode & 0o777).toString(8)).toBe("600");

    // A is cooling down now: leaving B (itself busy for longer), nobody has room until A's cool-down ends.
    const next = planRotation({ snapshot: await ports.snapshot(), leaving: "B", due: due(until + 60_000), now: Date.now(), rotateAtRemainingPercent: 5, whenAllExhausted: "wait" });
    expect(next).toEqual({ kind: "wait", account: "A", until });

    const logged = JSON.stringify(events);
    for (const m of SECRET_MARKERS) expect(logged).not.toContain(m);
  });

  it("syncBack after a plain child exit keeps the refreshed tokens of the active account", async () => {
    await seed("A", "B");
    fs.writeFileSync(path.join(codexHome, "auth.json"), JSON.stringify(chatgptAuth("A", 3)));
    const ports = realAccountPorts({ home, codexHome, config: defaultConfig() }, () => {});
    await ports.syncBack();
    expect(findAccount(readAccounts(home), "A")!.auth.tokens?.refresh_token).toBe("SECRET-REFRESH-A-3");
  });
  it("a login made by hand (auth.json owned by no stored account) is never replaced: owner null, plan and switchTo say foreign", async () => {
    await seed("A", "B");
    const authPath = path.join(codexHome, "auth.json");
    const handLogin = JSON.stringify(chatgptAuth("someone-else", 1));
    fs.writeFileSync(authPath, handLogin);
    const ports = realAccountPorts({ home, codexHome, config: defaultConfig() }, () => {});
    const snap = await ports.snapshot();
    expect(snap.login).toMatchObject({ kind: "ok", owner: null });
    const plan = planRotation({ snapshot: snap, leaving: "A", due: due(), now: Date.now(), rotateAtRemainingPercent: 5, whenAllExhausted: "wait" });
    expect(plan).toEqual({ kind: "foreign" });
    // The race: the plan saw A's own login, the user logged in by hand before the switch.
    const r = await ports.switchTo("B", "A", null);
    expect(r).toMatchObject({ kind: "foreign" });
    expect(fs.readFileSync(authPath, "utf8")).toBe(handLogin);
    expect(readAccounts(home).active).toBe("A");
    for (const m of SECRET_MARKERS) expect(JSON.stringify([plan, r])).not.toContain(m);
  });

  it("a fresh reading that shows room ends the cool-down; one without room keeps it", async () => {
    await seed("A", "B");
    const ports = realAccountPorts({ home, codexHome, config: defaultConfig() }, () => {});
    await ports.switchTo("B", "A", Date.now() + 3_600_000);
    const rl = (used: number) => ({ primary: { usedPercent: used, windowMinutes: 300, resetsAt: Date.now() + 3_600_000 }, secondary: null });
    await ports.recordUsage("A", rl(97), Date.now());
    expect(findAccount(readAccounts(home), "A")!.coolingDownUntil).toBeDefined();
    await ports.recordUsage("A", rl(40), Date.now() + 1);
    expect(findAccount(readAccounts(home), "A")!.coolingDownUntil).toBeUndefined();
  });
});
