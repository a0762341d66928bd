// User-given text (lib/text/user-text.ts): which names we store and print, and how a value is
// echoed in a message — never a secret, a control character or a screenful. Then the commands
// that take names or references, through the compiled CLI.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { looksLikeSecret } from "../../lib/text/secrets.js";
import { checkName, nameProblem, safeToEcho } from "../../lib/text/user-text.js";
import { cleanEnv } from "../helpers/env.js";
import { liveCliPids, runCli } from "../helpers/cli.js";

const KEY = `sk-proj-${"Ab3".repeat(12)}`;

describe("safeToEcho (pure)", () => {
  it("quotes plain values, escapes what would act on a terminal, cuts long ones, hides secrets", () => {
    const cases: [string, string][] = [
      ["nightly", "'nightly'"],
      ["it's", "'it\\'s'"],
      ["a\nb", "'a\\nb'"],
      ["\u001b[31mred", "'\\u001b[31mred'"],
      ["rtl\u202Eevil", "'rtl\\u202eevil'"],
      ["x".repeat(100), `'${"x".repeat(60)}…' (100 characters)`],
      [KEY, `<a value that looks like a secret (${KEY.length} characters), not shown>`],
      ["eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX19f", "<a value that looks like a secret (56 characters), not shown>"],
      ["ghp_0123456789abcdefghijABCDEFGHIJ0123", "<a value that looks like a secret (38 characters), not shown>"],
      ["j-20250101-0a1b2c3d", "'j-20250101-0a1b2c3d'"],
    ];
    for (const [v, want] of cases) expect(safeToEcho(v), JSON.stringify(v)).toBe(want);
  });

  it("looksLikeSecret: key and token shapes, and long runs mixing upper, lower and digits; not ids, paths or prose", () => {
    for (const s of [KEY, "sk-short", "Bearer abcdefghijklmnopqrstuvwxyz", "AKIAABCDEFGHIJKLMNOP", "xJ8kP2mQ9vR4tL7wZ1nB5cF3hD6g"]) expect(looksLikeSecret(s), s).toBe(true);
    for (const s of ["nightly-build-2025", "j-20250101-0a1b2c3d", "/home/user/projects/codex-supervisor", "fix the tests please", "feature-branch-2025-build1"]) expect(looksLikeSecret(s), s).toBe(false);
  });
});

describe("nameProblem / checkName (pure)", () => {
  it("printable, trimmed, bounded, not an option, not a secret", () => {
    expect(nameProblem("nightly build")).toBeNull();
    expect(nameProblem("Ünïcødé ✓")).toBeNull();
    expect(nameProblem("")).toMatch(/empty/);
    expect(nameProblem(" padded")).toMatch(/white space/);
    expect(nameProblem("two\nlines")).toMatch(/control or invisible/);
    expect(nameProblem("\u001b[2J")).toMatch(/control or invisible/);
    expect(nameProblem("zero\u200bwidth")).toMatch(/control or invisible/);
    expect(nameProblem("x".repeat(65))).toMatch(/longer than 64 characters/);
    expect(nameProblem("x".repeat(64))).toBeNull();
    expect(nameProblem("--detach")).toMatch(/starts with '-'/);
    expect(nameProblem(KEY)).toMatch(/looks like a secret/);
  });

  it("the refusal names the flag and shows the value only when it is safe to", () => {
    expect(() => checkName("run: --name", "x".repeat(100_000))).toThrow(`run: --name '${"x".repeat(60)}…' (100000 characters): it is longer than 64 characters`);
    expect(() => checkName("run: --name", KEY)).toThrow(/^run: --name: it looks like a secret/);
    expect(() => checkName("run: --name", "a\u001b[31mb")).toThrow(/^run: --name: it contains a control/);
  });
});

describe("commands that take names and references", () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "user-text-"));
  });
  afterEach(() => {
    fs.rmSync(home, { recursive: true, force: true });
    expect([...liveCliPids]).toEqual([]);
  });

  it("run --name refuses newlines, escapes, 100 KB and key-shaped names (exit 2, nothing recorded, the value not echoed raw)", async () => {
    const env = cleanEnv({ HOME: home, CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: home });
    for (const [name, want] of [
      ["a\nb", /--name: it contains a control/],
      ["\u001b[31mred", /--name: it contains a control/],
      ["n".repeat(100_000), /--name 'n{60}…' \(100000 characters\): it is longer than 64 characters/],
      [KEY, /--name: it looks like a secret/],
    ] as const) {
      const r = await runCli(["run", "--name", name, "--", "exec", "hi"], env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stderr).not.toContain("\u001b");
      expect(r.stderr).not.toContain(KEY);
      expect(r.stderr.length).toBeLessThan(300);
    }
    expect(fs.existsSync(path.join(home, "jobs")) ? fs.readdirSync(path.join(home, "jobs")) : []).toEqual([]);
  });

  it("accounts use|remove|enable and status never echo a key-shaped argument", async () => {
    const env = cleanEnv({ HOME: home, CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: home });
    for (const args of [["accounts", "use", KEY], ["accounts", "remove", KEY], ["accounts", "enable", KEY], ["status", KEY], ["logs", KEY], ["status", "--name", KEY]]) {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(" ")).toContain("<a value that looks like a secret");
      expect(r.stderr, args.join(" ")).not.toContain(KEY);
    }
  });
});
