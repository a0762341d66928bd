// The test bed against the real pinned codex: `codex exec` completes a turn against the loopback model.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "./model-server.js";
import { listRollouts, makeCodexHome, readRollout, rolloutSessionId, runCodexExec, type CodexHome } from "../helpers/codex-home.js";

describe("codex exec against the loopback model server", () => {
  let server: ModelServer;
  let h: CodexHome;
  beforeEach(async () => {
    server = await startModelServer();
    h = makeCodexHome({ baseUrl: server.baseUrl, apiKey: "sk-testbed-exec-1" });
  });
  afterEach(async () => {
    await server.close();
    h.cleanup();
  });

  for (const via of ["native", "launcher"] as const) {
    it(`completes a turn (${via}); the model sees the prompt and auth.json's key`, async () => {
      server.setResponder((req) => ({ text: `PONG-${req.countForKey} for ${req.prompt}` }));
      const r = await runCodexExec(h, "ping from the test bed", { via, timeoutMs: 60_000 });
      expect(r.timedOut).toBe(false);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("PONG-1 for ping from the test bed");

      const calls = server.turnRequests;
      expect(calls).toHaveLength(1);
      const call = calls[0]!;
      expect(call.authorization).toBe("Bearer sk-testbed-exec-1");
      expect(call.bearerKey).toBe("sk-testbed-exec-1");
      expect(call.prompt).toBe("ping from the test bed");
      expect(call.path).toBe("/v1/responses");

      // The request's session id is the rollout's session id.
      const files = listRollouts(h.home);
      expect(files).toHaveLength(1);
      const sid = rolloutSessionId(readRollout(files[0]!));
      expect(sid).toMatch(/^[0-9a-f-]{36}$/);
      expect(call.sessionId).toBe(sid);
      // Nothing but the model endpoint was asked for (no models list, no plugin or analytics call).
      expect(server.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["POST /v1/responses"]);
    });
  }
});
