// Where the pinned codex (0.169.0 and 0.171.0 alike) reads its login from, by
// `cli_auth_credentials_store`: rotation swaps CODEX_HOME/auth.json, which only the file store reads
// (lib/accounts/credential-store.ts).
// "auto" is not pinned: it uses the keyring when the machine has one, so the answer depends on it.
import { afterEach, describe, expect, it } from "vitest";
import { readCredentialStore } from "../../lib/accounts/credential-store.js";
import { startModelServer, type ModelServer } from "./model-server.js";
import { makeCodexHome, runCodex, runCodexExec, type CodexHome } from "../helpers/codex-home.js";

describe("pinned codex: which credential store reads auth.json", () => {
  let server: ModelServer | null = null;
  let h: CodexHome | null = null;
  afterEach(async () => {
    await server?.close();
    h?.cleanup();
  });

  const cases: Array<{ config: string | null; override?: string; readsAuthJson: boolean }> = [
    { config: null, readsAuthJson: true },
    { config: `cli_auth_credentials_store = "file"`, readsAuthJson: true },
    { config: `cli_auth_credentials_store = "keyring"`, readsAuthJson: false },
    { config: `cli_auth_credentials_store = "ephemeral"`, readsAuthJson: false },
    { config: null, override: `cli_auth_credentials_store="keyring"`, readsAuthJson: false },
  ];
  for (const c of cases) {
    it(`${c.override ? `-c ${c.override}` : (c.config ?? "(not set)")}: ${c.readsAuthJson ? "uses" : "ignores"} auth.json, and we detect it`, async () => {
      server = await startModelServer();
      h = makeCodexHome({ baseUrl: server.baseUrl, apiKey: "sk-store-test", ...(c.config ? { extraTopLevel: c.config } : {}) });
      const args = c.override ? ["-c", c.override, "exec", "--skip-git-repo-check", "which store"] : null;
      const r = args ? await runCodex(args, { env: h.env, cwd: h.workDir }) : await runCodexExec(h, "which store");
      expect(r.code, r.stderr).toBe(0);
      expect(server.turnRequests.map((q) => q.authorization)).toEqual([c.readsAuthJson ? "Bearer sk-store-test" : null]);
      const detected = readCredentialStore(h.home, c.override ? [c.override] : []);
      expect(detected.mode === "file").toBe(c.readsAuthJson);
    });
  }
});
