// doctor's accounts check: opted in with fewer than two enabled accounts is a warning (rotation has
// nowhere to go); an unreadable store is a failure naming it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyAccountsFile } from "../../lib/accounts/schema.js";
import { checkAccounts } from "../../lib/doctor/accounts-check.js";
import { loadConfigDetailed } from "../../lib/config/load.js";
import { account } from "../accounts/fixtures.js";
import { writeStoreRaw } from "../accounts/helpers.js";
import { cliInHome } from "../helpers/cli.js";

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-doctor-acc-"));
  fs.chmodSync(home, 0o700);
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

const ON = { CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1" };
const check = (env: NodeJS.ProcessEnv) => {
  const e = { ...env, CODEX_AUTH_SUPERVISOR_HOME: home };
  return checkAccounts(e, home, loadConfigDetailed(e, home));
};

describe("doctor: accounts", () => {
  it("opted in with one enabled account (another disabled): warn, with both fixes", () => {
    writeStoreRaw(home, { ...emptyAccountsFile(), active: "a", accounts: [account("a"), account("b", { enabled: false })] });
    expect(check(ON)).toEqual([
      {
        check: "accounts",
        level: "warn",
        message: "supervisor on with only 1 enabled account (2 account(s), 1 enabled): rotation needs at least two, so a session at its limit cannot move on",
        fix: "add one with `codex-supervisor accounts add <name>` or `codex-supervisor accounts enable <name>`",
      },
    ]);
  });

  it("opted in with none: warn; not opted in: fine either way; two enabled: fine", () => {
    expect(check(ON)[0]).toMatchObject({ level: "warn", message: expect.stringContaining("supervisor on with no accounts") });
    expect(check({})[0]).toMatchObject({ level: "ok", message: expect.stringContaining("no accounts") });
    writeStoreRaw(home, { ...emptyAccountsFile(), active: "a", accounts: [account("a"), account("b")] });
    expect(check(ON)[0]).toEqual({ check: "accounts", level: "ok", message: "2 account(s), 2 enabled, active: a" });
    fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ codexCliSessionSupervisor: true }));
    writeStoreRaw(home, { ...emptyAccountsFile(), active: "a", accounts: [account("a")] });
    expect(check({})[0]!.level).toBe("warn"); // opted in through config.json counts too
  });

  it("an unreadable store fails naming the file; through the binary the warning does not change the exit status", async () => {
    writeStoreRaw(home, "{ nope");
    expect(check({})[0]).toMatchObject({ level: "fail", message: expect.stringContaining(path.join(home, "accounts.json")) });
    writeStoreRaw(home, { ...emptyAccountsFile(), active: "a", accounts: [account("a")] });
    const r = await cliInHome(home, ["doctor", "--json"], { CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1" });
    const f = (JSON.parse(r.stdout) as { check: string; level: string }[]).filter((x) => x.check === "accounts");
    expect(f).toEqual([expect.objectContaining({ level: "warn" })]);
  });
});
