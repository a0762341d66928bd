import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, loadConfigDetailed } from "../../lib/config/load.js";
import { parseSwitch } from "../../lib/config/opt-in.js";
import { CONFIG_FIELD_NAMES, CONFIG_FIELDS, defaultConfig, describeConfig } from "../../lib/config/schema.js";
import { errorReport } from "../../lib/cli/error-table.js";

let home: string;
let env: Record<string, string | undefined>;
const file = () => path.join(home, "config.json");
const writeConfig = (v: unknown) => writeFileSync(file(), typeof v === "string" ? v : JSON.stringify(v));

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe("config-invalid");
    expect(errorReport(err).status).toBe(2);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

// A value of the wrong type or out of range for each field, in the file and in the environment.
const BAD_FILE: Record<string, unknown> = {
  codexCliSessionSupervisor: "yes",
  realCodexBin: "",
  sigintWaitMs: -1,
  sigtermWaitMs: 1.5,
  lockStaleMs: 1999,
  lockUpdateMs: 999,
  crashRestartMax: "5",
  crashRestartWindowMs: 999,
  crashBackoffMs: null,
  crashBackoffMaxMs: 1e12,
  rotateAtRemainingPercent: 101,
  preselectAtRemainingPercent: -0.5,
  whenAllExhausted: "sleep",
  notify: "loud",
  continueCutTurns: "yes",
  continuePrompt: "   ",
};
const BAD_ENV: Record<string, string> = {
  codexCliSessionSupervisor: "maybe",
  sigintWaitMs: "2s",
  sigtermWaitMs: "-5",
  lockStaleMs: "100",
  lockUpdateMs: "1e3",
  crashRestartMax: "five",
  crashRestartWindowMs: "0",
  crashBackoffMs: "0x10",
  crashBackoffMaxMs: "99999999999",
  rotateAtRemainingPercent: "150",
  preselectAtRemainingPercent: "ten",
  whenAllExhausted: "forever",
  notify: "yes",
  continueCutTurns: "maybe",
  continuePrompt: "x".repeat(2001),
};

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), "cfg-test-"));
  env = { CODEX_AUTH_SUPERVISOR_HOME: home };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe("loadConfig", () => {
  it("returns the documented defaults when config.json is missing", () => {
    const r = loadConfigDetailed(env);
    expect(r.fileState).toBe("missing");
    expect(r.file).toBe(file());
    expect(r.config).toEqual({
      codexCliSessionSupervisor: false,
      realCodexBin: null,
      sigintWaitMs: 2000,
      sigtermWaitMs: 2000,
      lockStaleMs: 10000,
      lockUpdateMs: 2000,
      crashRestartMax: 5,
      crashRestartWindowMs: 600000,
      crashBackoffMs: 500,
      crashBackoffMaxMs: 30000,
      rotateAtRemainingPercent: 5,
      preselectAtRemainingPercent: 10,
      whenAllExhausted: "wait",
      notify: "auto",
      continueCutTurns: true,
      continuePrompt: "Continue the task from where you left off.",
    });
    expect(Object.values(r.sources).every((s) => s === "default")).toBe(true);
  });

  it("takes values from the file and records where each came from", () => {
    writeConfig({ codexCliSessionSupervisor: true, sigintWaitMs: 100, whenAllExhausted: "stay", realCodexBin: "/opt/codex" });
    const r = loadConfigDetailed(env);
    expect(r.fileState).toBe("ok");
    expect(r.config.codexCliSessionSupervisor).toBe(true);
    expect(r.config.sigintWaitMs).toBe(100);
    expect(r.config.whenAllExhausted).toBe("stay");
    expect(r.config.realCodexBin).toBe("/opt/codex");
    expect(r.sources.sigintWaitMs).toBe("file");
    expect(r.sources.sigtermWaitMs).toBe("default");
  });

  it("lets every CODEX_AUTH_* variable override the file", () => {
    writeConfig({ sigintWaitMs: 100, codexCliSessionSupervisor: true });
    const r = loadConfigDetailed({
      ...env,
      CODEX_AUTH_SIGINT_WAIT_MS: "250",
      CODEX_AUTH_CLI_SESSION_SUPERVISOR: "",
      CODEX_AUTH_WHEN_ALL_EXHAUSTED: "Stay",
      CODEX_AUTH_ROTATE_AT_PERCENT: "2.5",
      CODEX_AUTH_REAL_CODEX_BIN: "/x/codex",
    });
    expect(r.config.sigintWaitMs).toBe(250);
    expect(r.config.codexCliSessionSupervisor).toBe(false); // "" = off, even over the file's true
    expect(r.config.whenAllExhausted).toBe("stay");
    expect(r.config.rotateAtRemainingPercent).toBe(2.5);
    expect(r.config.realCodexBin).toBe("/x/codex");
    expect(r.sources.sigintWaitMs).toBe("env");
  });

  it("ignores an empty override of a non-switch field (VAR= cmd idiom)", () => {
    expect(loadConfig({ ...env, CODEX_AUTH_SIGINT_WAIT_MS: "" }).sigintWaitMs).toBe(2000);
  });

  it("covers every field in the bad-value tables", () => {
    expect(Object.keys(BAD_FILE).sort()).toEqual([...CONFIG_FIELD_NAMES].sort());
    expect(Object.keys(BAD_ENV).sort()).toEqual(CONFIG_FIELD_NAMES.filter((f) => f !== "realCodexBin").sort());
  });

  for (const [field, bad] of Object.entries(BAD_FILE)) {
    it(`rejects a bad ${field} in the file, naming the file and the field`, () => {
      writeConfig({ [field]: bad });
      const e = errorOf(() => loadConfig(env));
      expect(e.message).toContain(file());
      expect(e.message).toContain(`"${field}"`);
      expect(e.message).toContain("expected");
    });
  }

  for (const [field, bad] of Object.entries(BAD_ENV)) {
    const variable = CONFIG_FIELDS[field as keyof typeof CONFIG_FIELDS].env;
    it(`rejects a bad ${variable}, naming the variable`, () => {
      const e = errorOf(() => loadConfig({ ...env, [variable]: bad }));
      expect(e.message).toContain(variable);
      // (A long value is shown cut short.)
      expect(e.message).toContain(JSON.stringify(bad).slice(0, 40));
      expect(e.message).toContain("expected");
    });
  }

  it("rejects an unknown field with a suggestion instead of ignoring a typo", () => {
    writeConfig({ sigintWaitMS: 10 });
    const e = errorOf(() => loadConfig(env));
    expect(e.message).toContain('unknown field "sigintWaitMS"');
    expect(e.message).toContain('did you mean "sigintWaitMs"');
  });

  it("lists every problem when there are several", () => {
    writeConfig({ sigintWaitMs: "x", whenAllExhausted: 3, nope: 1 });
    const e = errorOf(() => loadConfig(env));
    expect(e.message).toMatch(/3 problems/);
    for (const s of ['"sigintWaitMs"', '"whenAllExhausted"', '"nope"']) expect(e.message).toContain(s);
  });

  it("rejects invalid JSON and non-object JSON, naming the file", () => {
    writeConfig("{ not json");
    expect(errorOf(() => loadConfig(env)).message).toMatch(/config file .*config\.json is not valid JSON/);
    writeConfig("[1,2]");
    expect(errorOf(() => loadConfig(env)).message).toContain(file());
  });

  it("refuses a config file that is not a regular file (a directory), naming it (exit 2)", () => {
    mkdirSync(file());
    const err = (() => {
      try {
        loadConfig(env);
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected a refusal");
    })();
    expect(err.message).toContain(file());
    expect(err.message).toMatch(/not a regular file/);
    expect(errorReport(err).status).toBe(2);
  });

  it("checks the rules between fields and blames where the user set them", () => {
    writeConfig({ lockStaleMs: 2000 });
    const e1 = errorOf(() => loadConfig(env));
    expect(e1.message).toContain("lockUpdateMs");
    expect(e1.message).toContain(file());
    const e2 = errorOf(() => loadConfig({ ...env, CODEX_AUTH_PRESELECT_AT_PERCENT: "3" }));
    expect(e2.message).toContain("CODEX_AUTH_PRESELECT_AT_PERCENT");
    expect(e2.message).toContain("rotateAtRemainingPercent");
    writeConfig({ crashBackoffMs: 40000 });
    expect(errorOf(() => loadConfig(env)).message).toContain("crashBackoffMaxMs");
  });
});

describe("parseSwitch", () => {
  it.each([
    ["1", true], ["true", true], ["YES", true], [" On ", true],
    ["0", false], ["false", false], ["No", false], ["off", false], ["", false],
    ["2", null], ["enabled", null], ["tru", null],
  ])("%j → %j", (input, want) => expect(parseSwitch(input)).toBe(want));
});

describe("describeConfig", () => {
  it("has one row per field, each with a CODEX_AUTH_ variable, the default and a meaning", () => {
    const rows = describeConfig();
    expect(rows.map((r) => r.field)).toEqual(CONFIG_FIELD_NAMES);
    const defaults = defaultConfig();
    for (const r of rows) {
      expect(r.env).toMatch(/^CODEX_AUTH_[A-Z_]+$/);
      expect(JSON.parse(r.default)).toEqual(defaults[r.field]);
      expect(r.meaning.length).toBeGreaterThan(10);
    }
    expect(new Set(rows.map((r) => r.env)).size).toBe(rows.length);
  });
});
