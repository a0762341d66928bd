// Detecting codex's credential store (pure, as tables), the supervisor's refusal line, `doctor`'s
// explanation and `accounts use`'s note — through the real CLI.
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { credentialStoreInOverride, credentialStoreInToml, credentialStoreOf, credentialStoreRefusal, readCredentialStore, refusalFor } from "../../lib/accounts/credential-store.js";
import { emptyAccountsFile } from "../../lib/accounts/schema.js";
import { cleanEnv } from "../helpers/env.js";
import { runCli } from "../helpers/cli.js";
import { account, apiKeyAuth } from "./fixtures.js";
import { makeHomes, writeStoreRaw, type Homes } from "./helpers.js";

describe("credentialStoreInToml (pure)", () => {
  const cases: Array<[string, string | null]> = [
    ['cli_auth_credentials_store = "keyring"', "keyring"],
    ["cli_auth_credentials_store='auto'   # comment", "auto"],
    ['  "cli_auth_credentials_store"="file"', "file"],
    ['model = "x"\ncli_auth_credentials_store = "ephemeral"\n[projects."/a"]\ntrust_level = "trusted"', "ephemeral"],
    // After a table header the key belongs to that table, not to the top level.
    ['model = "x"\n[profiles.work]\ncli_auth_credentials_store = "keyring"', null],
    // A "[" inside a multi-line string is no header; a key inside one is no key.
    ['instructions = """\n[not a table]\ncli_auth_credentials_store = "keyring"\n"""\ncli_auth_credentials_store = "auto"', "auto"],
    ["cli_auth_credentials_store = keyring", "keyring"],
    ["cli_auth_credentials_storeX = \"keyring\"", null],
    ["", null],
  ];
  for (const [text, want] of cases) it(JSON.stringify(text).slice(0, 70), () => expect(credentialStoreInToml(text)).toBe(want));
});

describe("credentialStoreOf (pure)", () => {
  it("default file; config; -c overrides win, the last one", () => {
    expect(credentialStoreOf(null)).toEqual({ mode: "file", source: "default" });
    expect(credentialStoreOf('cli_auth_credentials_store = "keyring"')).toEqual({ mode: "keyring", source: "config" });
    expect(credentialStoreOf('cli_auth_credentials_store = "keyring"', ['cli_auth_credentials_store="file"'])).toEqual({ mode: "file", source: "override" });
    expect(credentialStoreOf(null, ["cli_auth_credentials_store=auto", "model=x"])).toEqual({ mode: "auto", source: "override" });
    expect(credentialStoreOf(null, ["cli_auth_credentials_store=file", "cli_auth_credentials_store='keyring'"])).toEqual({ mode: "keyring", source: "override" });
    expect(credentialStoreOf('cli_auth_credentials_store = "vault"')).toEqual({ mode: "invalid", value: "vault", source: "config" });
    expect(credentialStoreInOverride("model=cli_auth_credentials_store")).toBeNull();
  });
  it("the refusal: null for the file store, else one line naming the setting, where it is, and the fix", () => {
    expect(refusalFor({ mode: "file", source: "config" }, "/h")).toBeNull();
    const line = refusalFor({ mode: "keyring", source: "config" }, "/h")!;
    expect(line).toBe('not switching accounts: codex keeps its login in the OS keyring (cli_auth_credentials_store = "keyring", /h/config.toml), not in CODEX_HOME/auth.json; set cli_auth_credentials_store = "file" in /h/config.toml to let codex-supervisor switch accounts');
    expect(line).not.toContain("\n");
    expect(refusalFor({ mode: "auto", source: "override" }, "/h")).toContain("-c on the command line");
    expect(refusalFor({ mode: "invalid", value: "vault", source: "config" }, "/h")).toContain('"vault"');
  });
});

describe("with files and the CLI", () => {
  let h: Homes;
  beforeEach(() => {
    h = makeHomes();
  });
  afterEach(() => h.cleanup());
  const setConfig = (text: string) => fs.writeFileSync(path.join(h.codexHome, "config.toml"), text);
  const env = () => cleanEnv({ CODEX_HOME: h.codexHome, CODEX_AUTH_SUPERVISOR_HOME: h.home });

  it("readCredentialStore / credentialStoreRefusal: missing config is the file store; an unreadable one is unknown", () => {
    expect(readCredentialStore(h.codexHome)).toEqual({ mode: "file", source: "default" });
    expect(credentialStoreRefusal(h.codexHome)).toBeNull();
    setConfig('cli_auth_credentials_store = "keyring"\n');
    expect(credentialStoreRefusal(h.codexHome)).toMatch(/^not switching accounts: codex keeps its login in the OS keyring/);
    expect(credentialStoreRefusal(h.codexHome, ['cli_auth_credentials_store="file"'])).toBeNull();
    if (process.getuid?.() !== 0) {
      fs.chmodSync(path.join(h.codexHome, "config.toml"), 0);
      expect(readCredentialStore(h.codexHome)).toMatchObject({ mode: "unknown" });
    }
  });

  it("doctor: ok for the file store; FAIL with accounts stored and the keyring; WARN without accounts", async () => {
    const line = async () => (await runCli(["doctor"], env())).stdout.split("\n").find((l) => l.includes(" credentials: "));
    expect(await line()).toMatch(/^ok {3}credentials: codex keeps its login in .*auth\.json \(codex's default file store\)/);
    setConfig('cli_auth_credentials_store = "keyring"\n');
    expect(await line()).toMatch(/^WARN credentials: codex keeps its login in the OS keyring .* cannot work — fix: set cli_auth_credentials_store = "file"/);
    writeStoreRaw(h.home, { ...emptyAccountsFile(), accounts: [account("K", { auth: apiKeyAuth("kay") })] });
    expect(await line()).toMatch(/^FAIL credentials: /);
  });

  it("accounts use with the keyring: switches the file, and says codex will not read it", async () => {
    writeStoreRaw(h.home, { ...emptyAccountsFile(), accounts: [account("K", { auth: apiKeyAuth("kay") })] });
    setConfig('cli_auth_credentials_store = "auto"\n');
    const r = await runCli(["accounts", "use", "K"], env());
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("note: codex keeps its login in the OS keyring when one is available");
    setConfig("");
    expect((await runCli(["accounts", "use", "K"], env())).stderr).toBe("");
  });
});
