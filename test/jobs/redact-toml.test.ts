// Redaction that understands TOML: a secret inside an inline table or an array of a `-c key=value`
// never reaches a record, an event log, `--json` or an error, whatever its position and spelling.
// The property test generates configs with secrets in every position (key path, nested tables,
// arrays, header tables; basic/literal/multi-line strings with escapes; every -c spelling) and checks
// every output; the examples pin what stays readable.
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommand } from "../../lib/cli/argv.js";
import { runArgsOf, spec as runSpec } from "../../lib/cli/commands/run.js";
import { appendEvent } from "../../lib/jobs/event-log.js";
import { newJobId } from "../../lib/jobs/ids.js";
import { toJsonView } from "../../lib/jobs/record.js";
import { createJob, readJob } from "../../lib/jobs/records.js";
import { REDACTED, redactArgv, redactConfigValue } from "../../lib/jobs/redact.js";
import { jobLogFile, jobRecordFile } from "../../lib/paths.js";
import { refOf, tempHome } from "./helpers.js";

describe("the issue's command line", () => {
  it("inline-table and header secrets are replaced, the rest kept as written", () => {
    const argv = ["exec", "-c", 'model_providers.x={base_url="http://x", experimental_bearer_token="TOPSECRET1"}', "-c", 'model_providers.y.http_headers={"X-Api-Key"="TOPSECRET2"}', "hi"];
    expect(redactArgv(argv)).toEqual([
      "exec",
      "-c",
      `model_providers.x={base_url="http://x", experimental_bearer_token="${REDACTED}"}`,
      "-c",
      `model_providers.y.http_headers={"X-Api-Key"="${REDACTED}"}`,
      "hi",
    ]);
  });

  it("examples: what is a secret and what stays readable", () => {
    const cases: [string[], string, string][] = [
      [["mcp_servers", "gh"], '{command = "gh-mcp", env = {GITHUB_TOKEN = "ghx", LOG = "debug"}}', `{command = "gh-mcp", env = {GITHUB_TOKEN = "${REDACTED}", LOG = "debug"}}`],
      [["model_providers", "x"], "{env_http_headers = {X-Key = 'ENV_VAR'}, wire_api = 'responses'}", `{env_http_headers = {X-Key = "${REDACTED}"}, wire_api = 'responses'}`],
      [["x"], '[{token = "a"}, "b", {password = """p"""}]', `[{token = "${REDACTED}"}, "b", {password = "${REDACTED}"}]`],
      [["x", "api_key"], '{inner = "y"}', `{inner = "${REDACTED}"}`],
      [["x", "bearer_token"], '["a", "b"]', `["${REDACTED}", "${REDACTED}"]`],
      [["x", "api_key"], '"plain"', REDACTED],
      [["model_providers", "x"], "{requires_openai_auth = true, api_key_required = false}", "{requires_openai_auth = true, api_key_required = false}"],
      [["model"], "gpt-5", "gpt-5"], // not TOML: codex takes it as a string
      [["model_providers", "x"], '{base_url="http://x", bearer_token="unterminated}', REDACTED], // malformed, holds a secret word
      [["model_max_output_tokens"], "4000", "4000"],
    ];
    for (const [key, value, want] of cases) expect(redactConfigValue(key, value), `${key.join(".")}=${value}`).toBe(want);
  });
});

// ---- generated configs ----

const NEUTRAL_KEYS = ["base_url", "name", "model", "wire_api", "command", "args", "LOG", "x", "y", "query_params", "env_key"];
const SECRET_KEYS = ["api_key", "experimental_bearer_token", "password", "client_secret", "Authorization", "apiKey", "OPENAI_API_KEY", "GITHUB_TOKEN", "bearer", "passwd", "refresh_token", "X-Api-Key", "cookie"];
const HEADER_TABLES = ["http_headers", "env_http_headers"];

type Val = { k: "str"; s: string } | { k: "num" } | { k: "table"; entries: [string, Val][] } | { k: "array"; items: Val[] };

/** A TOML key as written: bare when it can be, else quoted one way or the other. */
const keyText = (k: string, quote: number) => (/^[A-Za-z0-9_-]+$/.test(k) && quote === 0 ? k : quote === 2 ? `'${k}'` : `"${k}"`);

/** A string literal for `s` in one of TOML's spellings, escaping at random where it must or may. */
function strText(s: string, form: number, esc: number[]): string {
  switch (form % 4) {
    case 0: {
      // basic, some characters as \u escapes
      let out = "";
      [...s].forEach((c, i) => (out += esc[i % esc.length]! % 3 === 0 ? `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}` : c === '"' || c === "\\" ? `\\${c}` : c));
      return `"${out}"`;
    }
    case 1:
      return `'${s}'`;
    case 2:
      return `"""${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"""`;
    default:
      return `'''${s}'''`;
  }
}

interface Gen {
  /** TOML text of the value. */
  text: string;
  /** Secrets placed in it: each value, and the literal as written. */
  secrets: string[];
  /** Literals of neutral strings placed where nothing above them names a secret (they stay as written). */
  visible: string[];
}

/** Render `v`; every string below a secret key or header table is a secret, the others are neutral. */
function render(v: Val, secret: boolean, tag: () => string, form: () => number, esc: number[]): Gen {
  switch (v.k) {
    case "num":
      return { text: secret ? "123456789" : "42", secrets: [], visible: [] };
    case "str": {
      const s = secret ? `S3CR3T${tag()}` : `plain${tag()}`;
      const text = strText(s, form(), esc);
      return { text, secrets: secret ? [s, text] : [], visible: secret ? [] : [text] };
    }
    case "array": {
      const parts = v.items.map((i) => render(i, secret, tag, form, esc));
      return { text: `[${parts.map((p) => p.text).join(", ")}${parts.length > 0 && form() % 3 === 0 ? ", " : ""}]`, secrets: parts.flatMap((p) => p.secrets), visible: parts.flatMap((p) => p.visible) };
    }
    case "table": {
      const parts = v.entries.map(([k, val]) => {
        const s = secret || SECRET_KEYS.includes(k) || HEADER_TABLES.includes(k);
        const r = render(val, s, tag, form, esc);
        return { ...r, text: `${keyText(k, form() % 3)} = ${r.text}` };
      });
      return { text: `{${parts.map((p) => p.text).join(", ")}}`, secrets: parts.flatMap((p) => p.secrets), visible: parts.flatMap((p) => p.visible) };
    }
  }
}

const valArb: fc.Arbitrary<Val> = fc.letrec<{ val: Val }>((tie) => ({
  val: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant<Val>({ k: "str", s: "" }),
    fc.constant<Val>({ k: "num" }),
    fc.array(fc.tuple(fc.constantFrom(...NEUTRAL_KEYS, ...SECRET_KEYS, ...HEADER_TABLES), tie("val")), { maxLength: 4 }).map((entries): Val => ({ k: "table", entries })),
    fc.array(tie("val"), { maxLength: 3 }).map((items): Val => ({ k: "array", items })),
  ),
})).val;

interface Case {
  argv: string[];
  secrets: string[];
  visible: string[];
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    overrides: fc.array(
      fc.record({
        key: fc.array(fc.constantFrom("model_providers", "mcp_servers", "x", ...NEUTRAL_KEYS, ...SECRET_KEYS, ...HEADER_TABLES), { minLength: 1, maxLength: 3 }),
        value: valArb,
        spelling: fc.integer({ min: 0, max: 4 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    forms: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    esc: fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 5 }),
    seed: fc.nat(),
  })
  .map(({ overrides, forms, esc, seed }) => {
    let t = seed;
    let f = 0;
    const tag = () => (t = (t * 1103515245 + 12345) % 2 ** 31).toString(36);
    const form = () => forms[f++ % forms.length]!;
    const argv = ["exec"];
    const secrets: string[] = [];
    const visible: string[] = [];
    for (const o of overrides) {
      const keySecret = o.key.some((k) => SECRET_KEYS.includes(k) || HEADER_TABLES.includes(k));
      const g = render(o.value, keySecret, tag, form, esc);
      // A bare scalar under a secret key: the whole value is the secret.
      secrets.push(...g.secrets);
      if (keySecret && o.value.k === "num") secrets.push("123456789");
      visible.push(...g.visible);
      const kv = `${o.key.join(".")}=${g.text}`;
      argv.push(...[["-c", kv], ["--config", kv], [`--config=${kv}`], [`-c=${kv}`], [`-c${kv}`]][o.spelling]!);
    }
    argv.push("the prompt");
    return { argv, secrets, visible };
  });

function leaks(text: string, c: Case): string[] {
  return c.secrets.filter((s) => text.includes(s));
}

describe("generated configs: secrets in every position never leak", () => {
  let home: string;
  beforeAll(() => {
    home = tempHome();
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it("redactArgv: no secret survives; a neutral value under no secret key stays readable; idempotent", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const out = redactArgv(c.argv);
        const text = out.join("\n");
        expect(leaks(text, c), text).toEqual([]);
        for (const v of c.visible) expect(text, `${v} should stay visible`).toContain(v);
        expect(redactArgv(out)).toEqual(out);
      }),
      { numRuns: 500 },
    );
  });

  it("the record file, ls/status --json, the event log and a usage error name none of them", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const id = newJobId("job");
        const created = createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: c.argv });
        appendEvent(home, id, { type: "spawn", argv: c.argv, resumeArgv: c.argv });
        const outputs = [
          fs.readFileSync(jobRecordFile(home, id), "utf8"),
          JSON.stringify(toJsonView(readJob(home, id)), null, 2),
          JSON.stringify(created),
          fs.readFileSync(jobLogFile(home, id), "utf8"),
        ];
        // A usage error echoes the command line it refuses (run takes only exec): redacted too.
        try {
          const p = parseCommand(runSpec, ["--", "review", ...c.argv.slice(1)]);
          if (!p.help) runArgsOf(p);
        } catch (err) {
          outputs.push((err as Error).message);
        }
        for (const o of outputs) expect(leaks(o, c), o).toEqual([]);
        // The job's own supervisor still gets the real command line.
        const kept = path.join(home, "jobs", `${id}.argv`);
        if (c.secrets.length > 0) expect(JSON.parse(fs.readFileSync(kept, "utf8"))).toEqual(c.argv);
      }),
      { numRuns: 150 },
    );
  });
});
