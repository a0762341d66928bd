// The error table at our edges (lib/cli/error-table.ts): a row for every code, every error class of
// ours a DomainError, one line and no stack trace for any of them — and a bug of ours is one line
// naming the file that holds its details. Then real commands, through the compiled CLI and shim.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ERROR_TABLE, errorReport } from "../../lib/cli/error-table.js";
import { DomainError, ERROR_CODES } from "../../lib/errors.js";
import { REPO_ROOT } from "../helpers/codex-home.js";
import { liveCliPids, runCli } from "../helpers/cli.js";
import { cleanEnv } from "../helpers/env.js";
import { runShim } from "../shim/shim-harness.js";

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "error-table-"));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
  expect([...liveCliPids]).toEqual([]);
});

const NO_STACK = /\n\s+at |^\s+at /m;

function libFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? libFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

describe("the table", () => {
  it("has exactly one row per code, each with a status", () => {
    expect(Object.keys(ERROR_TABLE).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) {
      const { status } = errorReport(new DomainError(code, "x"));
      expect(Number.isInteger(status) && status > 0 && status < 256, code).toBe(true);
    }
    expect(errorReport(new DomainError("usage", "x")).status).toBe(2);
    expect(errorReport(new DomainError("codex-not-found", "x")).status).toBe(127);
    expect(errorReport(new DomainError("login-failed", "x", { childStatus: 3 })).status).toBe(3);
    expect(errorReport(new DomainError("login-failed", "x", { childStatus: 0 })).status).toBe(1);
  });

  it("every error class in lib/ is a DomainError (none carries an exit status of its own)", () => {
    const classes = new Map<string, string>();
    for (const f of libFiles(path.join(REPO_ROOT, "lib"))) {
      const src = fs.readFileSync(f, "utf8");
      for (const m of src.matchAll(/class (\w+) extends (\w+)/g)) classes.set(m[1]!, m[2]!);
      expect(src, `${path.relative(REPO_ROOT, f)} mentions an exit code on an error`).not.toMatch(/readonly exitCode|super\([^)]*,\s*(1|2|127)\)/);
    }
    const isDomain = (name: string, seen = new Set<string>()): boolean => {
      if (name === "DomainError") return true;
      const base = classes.get(name);
      if (!base || seen.has(name)) return false;
      seen.add(name);
      return isDomain(base, seen);
    };
    // Internal exceptions that never leave their module: the tokenizer's syntax error (caught by redact.ts).
    const internal = new Set(["TomlSyntaxError", "DomainError"]);
    const errors = [...classes].filter(([name, base]) => /Error$/.test(name) || /Error$/.test(base));
    expect(errors.length).toBeGreaterThan(15);
    for (const [name] of errors) if (!internal.has(name)) expect(isDomain(name), `${name} extends DomainError`).toBe(true);
  });

  it("any domain error: one line, prefixed, no stack, secrets in a message redacted", () => {
    for (const code of ERROR_CODES) {
      const err = new DomainError(code, `it failed at /some/path with sk-${"a".repeat(30)}`);
      const { text } = errorReport(err);
      expect(text).toBe(`codex-supervisor: it failed at /some/path with [redacted]\n`);
      expect(text).not.toMatch(NO_STACK);
    }
  });

  it("a bug of ours: one line naming the file with the details (0600, the stack, redacted); never the stack on screen", () => {
    const err = new TypeError(`cannot read properties of undefined (reading 'x') near sk-${"b".repeat(30)}\nsecond line`);
    const { status, text } = errorReport(err, { CODEX_AUTH_SUPERVISOR_HOME: home });
    const file = path.join(home, "internal-errors.log");
    expect(status).toBe(1);
    expect(text).toBe(`codex-supervisor: internal error: cannot read properties of undefined (reading 'x') near [redacted]; this is a bug in codex-supervisor; details in ${file}\n`);
    const saved = fs.readFileSync(file, "utf8");
    expect(saved).toContain("TypeError: cannot read properties");
    expect(saved).toMatch(/\n\s+at /); // the stack is kept for the bug report
    expect(saved).not.toContain("b".repeat(30));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // No home of ours to put it in (missing, or someone else's): still one line, nothing written.
    const none = errorReport(new Error("boom"), { CODEX_AUTH_SUPERVISOR_HOME: path.join(home, "missing") });
    expect(none.text).toBe("codex-supervisor: internal error: boom; this is a bug in codex-supervisor (no safe place to save its details)\n");
    fs.symlinkSync(path.join(home, "elsewhere"), path.join(home, "link-home"));
    expect(errorReport(new Error("boom"), { CODEX_AUTH_SUPERVISOR_HOME: path.join(home, "link-home") }).text).toMatch(/no safe place/);
  });
});

describe("real commands meet domain errors: the table's status, one line, no stack trace", () => {
  it("usage, config, record, accounts store, restart refused, real codex not found (CLI and shim)", async () => {
    const env = cleanEnv({ HOME: home, CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: home });
    const jobs = path.join(home, "jobs");
    fs.mkdirSync(jobs, { mode: 0o700 });
    const id = "j-20250101-0000000a";
    fs.writeFileSync(path.join(jobs, `${id}.json`), "{ not json", { mode: 0o600 });
    const ended = "j-20250101-0000000b";
    const ref = { pid: 999_999, identity: { pid: 999_999, startTicks: 1, bootId: "boot" } };
    fs.writeFileSync(path.join(jobs, `${ended}.json`), JSON.stringify({ schemaVersion: 1, rev: 1, id: ended, kind: "job", name: null, status: "exited", supervisor: ref, child: null, marker: ended, cwd: "/", argv: ["exec", "p"], sessionId: null, rolloutPath: null, account: null, restarts: 0, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:01.000Z", endedAt: "2025-01-01T00:00:01.000Z", exitCode: 0, signal: null, reason: null }) + "\n", { mode: 0o600 });

    const cases: [string, () => Promise<{ code: number | null; stderr: string }>, number, RegExp][] = [
      ["usage", () => runCli(["ls", "--bogus"], env), 2, /unknown option/],
      ["record corrupt", () => runCli(["status", id], env), 2, /job record .* is unreadable/],
      ["restart refused", () => runCli(["restart", ended], env), 1, /there is nothing to restart/],
      ["config invalid", async () => (fs.writeFileSync(path.join(home, "config.json"), '{"lockStaleMs": "soon"}', { mode: 0o600 }), runCli(["run", "--", "exec", "x"], env)), 2, /config file .*config\.json: field "lockStaleMs"/],
      ["accounts store", async () => (fs.rmSync(path.join(home, "config.json")), fs.writeFileSync(path.join(home, "accounts.json"), "[", { mode: 0o600 }), runCli(["accounts", "list"], env)), 2, /accounts store .*accounts\.json: not valid JSON/],
      ["codex not found (shim)", () => runShim(["--version"], { ...env, CODEX_AUTH_REAL_CODEX_BIN: path.join(home, "no-such-codex") }), 127, /CODEX_AUTH_REAL_CODEX_BIN is .*no-such-codex/],
      ["secret-shaped job reference", () => runCli(["status", `sk-${"c".repeat(40)}`], env), 2, /no job matches <a value that looks like a secret \(43 characters\), not shown>/],
    ];
    for (const [what, go, status, text] of cases) {
      const r = await go();
      expect(r.code, `${what}: ${r.stderr}`).toBe(status);
      expect(r.stderr, what).toMatch(text);
      expect(r.stderr, `${what}: no stack`).not.toMatch(NO_STACK);
      expect(r.stderr, `${what}: no internal error`).not.toMatch(/internal error/);
      expect(r.stderr.trimEnd().split("\n"), `${what}: one line`).toHaveLength(1);
      expect(r.stderr, what).not.toContain("c".repeat(40));
    }
  });
});

