// The detached supervisor's environment (lib/jobs/detach.ts).
import { describe, expect, it } from "vitest";
import { detachedSupervisorEnv } from "../../lib/jobs/detach.js";

describe("detached supervisor environment", () => {
  it("drops an inherited job marker (a job started from inside another job is its own job)", () => {
    const env = detachedSupervisorEnv({ PATH: "/bin", CODEX_SUPERVISOR_JOB: "s-20260101-00000000", CODEX_AUTH_SUPERVISOR_HOME: "/h" });
    expect(env).toEqual({ PATH: "/bin", CODEX_AUTH_SUPERVISOR_HOME: "/h" });
  });
});
