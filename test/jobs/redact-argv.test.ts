// redactArgv (pure): secret values in a codex command line are replaced wherever codex's grammar puts
// them; everything else (prompt, model, paths, counts) is kept as given.
import { describe, expect, it } from "vitest";
import { isSecretName, REDACTED, redactArgv } from "../../lib/jobs/redact.js";

const KEY = "sk-test-SECRET123"; // shorter than the sk- shape (16+): only the argv rules can catch it

describe("redactArgv", () => {
  it("redacts config overrides with a secret-named key in every spelling", () => {
    const cases: [string[], string[]][] = [
      [["-c", `model_providers.x.api_key=${KEY}`], ["-c", `model_providers.x.api_key=${REDACTED}`]],
      [["--config", `model_providers.x.experimental_bearer_token="${KEY}"`], ["--config", `model_providers.x.experimental_bearer_token=${REDACTED}`]],
      [[`--config=model_providers.x.api_key=${KEY}`], [`--config=model_providers.x.api_key=${REDACTED}`]],
      [[`-cmodel_providers.x.api_key=${KEY}`], [`-cmodel_providers.x.api_key=${REDACTED}`]],
      [[`-c=model_providers.x.api_key=${KEY}`], [`-c=model_providers.x.api_key=${REDACTED}`]],
      [["-c", `model_providers.x.http_headers.Authorization=Bearer ${KEY}`], ["-c", `model_providers.x.http_headers.Authorization=${REDACTED}`]],
      [["exec", "-c", `mcp_servers.s.env.GITHUB_TOKEN=${KEY}`, "do it"], ["exec", "-c", `mcp_servers.s.env.GITHUB_TOKEN=${REDACTED}`, "do it"]],
    ];
    for (const [input, want] of cases) expect(redactArgv(input), input.join(" ")).toEqual(want);
  });

  it("redacts the value of an option whose name says token/secret/key, separate or attached", () => {
    expect(redactArgv(["--remote-auth-token-env", "MY_TOKEN_VAR", "exec", "x"])).toEqual(["--remote-auth-token-env", REDACTED, "exec", "x"]);
    expect(redactArgv(["--remote-auth-token-env=MY_TOKEN_VAR"])).toEqual([`--remote-auth-token-env=${REDACTED}`]);
    expect(redactArgv(["--api-key", KEY])).toEqual(["--api-key", REDACTED]);
    // A following option is not its value.
    expect(redactArgv(["--api-key", "--oss"])).toEqual(["--api-key", "--oss"]);
  });

  it("keeps what is not a secret; secret shapes are redacted anywhere, also after --", () => {
    const plain = ["exec", "-m", "gpt-5", "-c", "model_max_output_tokens=4000", "-c", "model_providers.x.env_key=OPENAI_API_KEY", "--cd", "/w", "fix the token parser"];
    expect(redactArgv(plain)).toEqual(plain);
    const longKey = "sk-proj-abcdefghijklmnopqrstuvwxyz";
    expect(redactArgv(["exec", "--", `use ${longKey} please`, "--api-key"])).toEqual(["exec", "--", `use ${REDACTED} please`, "--api-key"]);
    // Idempotent: a stored argv re-written by a later update stays the same.
    const once = redactArgv(["-c", `a.api_key=${KEY}`, "--remote-auth-token-env", "V"]);
    expect(redactArgv(once)).toEqual(once);
  });

  it("isSecretName judges every dotted segment word-wise (a secret anywhere on the key path)", () => {
    for (const n of ["api_key", "x.apiKey", "a.b.experimental_bearer_token", "remote-auth-token-env", "http_headers.Authorization", 'env."DB_PASSWORD"', "client_secret", "token_budget.size", "x.http_headers.X-Custom", "x.env_http_headers"]) expect(isSecretName(n), n).toBe(true);
    for (const n of ["model_max_output_tokens", "model_providers.x.env_key", "tokenizer", "model", "model_providers.x.base_url", "requires_openai_auth"]) expect(isSecretName(n), n).toBe(false);
  });
});

describe("redactSecrets (the event log's redaction)", () => {
  it("applies the argv rules to command-line fields", async () => {
    const { redactSecrets } = await import("../../lib/jobs/redact.js");
    const ev = { type: "spawn", argv: ["exec", "-c", `x.api_key=${KEY}`, "hi"], resumeArgv: ["--remote-auth-token-env", "V"], note: "plain" };
    const out = redactSecrets(ev);
    expect(out).toEqual({ type: "spawn", argv: ["exec", "-c", `x.api_key=${REDACTED}`, "hi"], resumeArgv: ["--remote-auth-token-env", REDACTED], note: "plain" });
    expect(JSON.stringify(out)).not.toContain("SECRET123");
  });
});
