// The issue's command line through the compiled CLI: `run -- exec -c '<inline table with a bearer
// token>' -c '<http_headers with a key>' hi` — codex gets both secrets as given, while the record,
// the event log, `ls --json`, `status --json` and everything we print hold neither.
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/codex-home.js";
import { cliInHome } from "../helpers/cli.js";
import { tempHome } from "./helpers.js";

const FAKE_CODEX = path.join(REPO_ROOT, "test/fixtures/fake-codex/codex");
let home: string;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

function everything(dir: string): string {
  let out = "";
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out += everything(p);
    else if (e.isFile() && !e.name.endsWith(".argv")) out += fs.readFileSync(p, "latin1");
  }
  return out;
}

describe("run with secrets inside TOML inline tables", () => {
  it("codex gets them; no record, log, --json or message of ours holds them", async () => {
    const report = path.join(home, "..", `${path.basename(home)}-codex-report.json`);
    const env = { CODEX_AUTH_REAL_CODEX_BIN: FAKE_CODEX, FAKE_CODEX_REPORT: report, FAKE_CODEX_MODE: "exit:0" };
    const args = ["run", "--detach", "--", "exec", "-c", 'model_providers.x={base_url="http://x", experimental_bearer_token="TOPSECRET1"}', "-c", 'model_providers.y.http_headers={"X-Api-Key"="TOPSECRET2"}', "hi"];
    try {
      const run = await cliInHome(home, args, env);
      expect(run.code, run.stderr).toBe(0);
      const id = run.stdout.trim();
      const done = await cliInHome(home, ["status", id, "--wait", "--timeout", "30", "--json"], env);
      expect(done.code, done.stderr).toBe(0);
      expect(JSON.parse(done.stdout).status).toBe("exited");
      const ls = await cliInHome(home, ["ls", "--json"], env);
      const logs = await cliInHome(home, ["logs", id, "--raw"], env);
      const printed = [run, done, ls, logs].map((r) => r.stdout + r.stderr).join("\n");
      const stored = everything(home);
      for (const secret of ["TOPSECRET1", "TOPSECRET2"]) {
        expect(printed, `printed: ${secret}`).not.toContain(secret);
        expect(stored, `stored: ${secret}`).not.toContain(secret);
      }
      expect(JSON.parse(done.stdout).argv).toEqual(["exec", "-c", 'model_providers.x={base_url="http://x", experimental_bearer_token="[redacted]"}', "-c", 'model_providers.y.http_headers={"X-Api-Key"="[redacted]"}', "hi"]);
      // What codex was started with: the command line as given.
      expect((JSON.parse(fs.readFileSync(report, "utf8")) as { argv: string[] }).argv).toEqual(expect.arrayContaining(args.slice(3)));
      expect(fs.existsSync(path.join(home, "jobs", `${id}.argv`)), "the kept command line is gone once the job ended").toBe(false);
    } finally {
      fs.rmSync(report, { force: true });
    }
  });
});
