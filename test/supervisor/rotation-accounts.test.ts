// The rotation step at the I/O level (issue #4 item 6 + sync-back "Done when"): with A active and
// codex having refreshed A's tokens in CODEX_HOME/auth.json, rotating plans B, then — after the child
// is gone — stores A's refreshed tokens, marks A cooling down, and puts B into CODEX_HOME/auth.json.
// Nothing the supervisor logs carries a token.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activate } from "../../lib/accounts/activate.js";
import { findAccount, readAccounts, updateAccounts } from "../../lib/accounts/store.js";
import { defaultConfig } from "../../lib/config/schema.js";
import { realAccountPorts } from "../../lib/supervisor/account-ports.js";
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
    const ports = realAccountPorts({ home, codexHome, config: defaultConfig() }, async (type, data) => void events.push({ type, ...data }));
    expect(await ports.active()).toBe("A");
    const plan = await ports.plan("A");
    expect(plan).toEqual({ kind: "switch", from: "A", to: "B" });

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
    const next = await ports.plan("B", until + 60_000);
    expect(next).toEqual({ kind: "none", earliest: { account: "A", resetsAt: until } });

    const logged = JSON.stringify(events);
    for (const m of SECRET_MARKERS) expect(logged).not.toContain(m);
  });

  it("syncBack after a plain child exit keeps the refreshed tokens of the active account", async () => {
    await seed("A", "B");
    fs.writeFileSync(path.join(codexHome, "auth.json"), JSON.stringify(chatgptAuth("A", 3)));
    const ports = realAccountPorts({ home, codexHome, config: defaultConfig() }, async () => {});
    await ports.syncBack();
    expect(findAccount(readAccounts(home), "A")!.auth.tokens?.refresh_token).toBe("SECRET-REFRESH-A-3");
  });
  it("a login made by hand (auth.json owned by no stored account) is never replaced: no active account, plan and switchTo say foreign", async () => {
    await seed("A", "B");
    const authPath = path.join(codexHome, "auth.json");
    const handLogin = JSON.stringify(chatgptAuth("someone-else", 1));
    fs.writeFileSync(authPath, handLogin);
    const ports = realAccountPorts({ home, codexHome, config: defaultConfig() }, async () => {});
    expect(await ports.active()).toBeNull();
    const plan = await ports.plan("A");
    expect(plan).toMatchObject({ kind: "foreign", detail: expect.stringContaining("holds a login that is in no stored account") });
    // The race: the plan saw A's own login, the user logged in by hand before the switch.
    const r = await ports.switchTo("B", "A", null);
    expect(r).toMatchObject({ kind: "foreign" });
    expect(fs.readFileSync(authPath, "utf8")).toBe(handLogin);
    expect(readAccounts(home).active).toBe("A");
    for (const m of SECRET_MARKERS) expect(JSON.stringify([plan, r])).not.toContain(m);
  });
});
