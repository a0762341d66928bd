import { describe, expect, it } from "vitest";
import { buildChildEnv, JOB_MARKER_ENV } from "../../lib/supervisor/child-env.js";

describe("buildChildEnv", () => {
  const parent = {
    PATH: "/usr/bin",
    HOME: "/home/u",
    CODEX_HOME: "/home/u/.codex",
    CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1",
    codex_auth_token: "secret-lower",
    Codex_Multi_Auth_Refresh: "secret-mixed",
    CODEX_MULTI_AUTH_X: "secret",
    CODEX_AUTHORITY: "not ours: no underscore after AUTH",
    OPENAI_API_KEY: "kept: the user's own key for codex",
    codex_supervisor_job: "look-alike",
    CODEX_SUPERVISOR_JOB: "s-20240101-00000000",
  };

  it("drops every CODEX_AUTH_*/CODEX_MULTI_AUTH_* key in any case and keeps everything else", () => {
    const env = buildChildEnv(parent, "s-20250102-abcdef01");
    expect(Object.keys(env).filter((k) => /^codex_(multi_)?auth_/i.test(k))).toEqual([]);
    expect(env.PATH).toBe("/usr/bin");
    expect(env.CODEX_HOME).toBe("/home/u/.codex");
    expect(env.CODEX_AUTHORITY).toBe(parent.CODEX_AUTHORITY);
    expect(env.OPENAI_API_KEY).toBe(parent.OPENAI_API_KEY);
  });

  it("sets exactly one job marker, replacing an inherited one", () => {
    const env = buildChildEnv(parent, "s-20250102-abcdef01");
    expect(env[JOB_MARKER_ENV]).toBe("s-20250102-abcdef01");
    expect(Object.keys(env).filter((k) => k.toUpperCase() === JOB_MARKER_ENV)).toEqual([JOB_MARKER_ENV]);
  });

  it("does not modify the parent environment", () => {
    const copy = { ...parent };
    buildChildEnv(parent, "j-20250102-abcdef01");
    expect(parent).toEqual(copy);
  });

  it("refuses an empty job id (a marker that matches nothing would hide the tree)", () => {
    expect(() => buildChildEnv(parent, "")).toThrow(/empty job id/);
  });
});
