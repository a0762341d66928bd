// The rollout → quota mapping the supervisor folds: turn boundaries, the main "codex" limit only,
// usage-limit turn errors; everything else ignored.
import { describe, expect, it } from "vitest";
import { isLoginLostMessage, toFacts, toQuotaEvent } from "../../lib/quota/from-rollout.js";
import { parseRolloutLine } from "../../lib/session/rollout-events.js";

const line = (payload: object) => JSON.stringify({ timestamp: "2026-11-20T10:00:00Z", type: "event_msg", payload });
const map = (payload: object) => {
  const e = parseRolloutLine(line(payload));
  if (!e) throw new Error("fixture did not parse");
  return toQuotaEvent(e);
};
const rl = (limitId: string | null) => ({
  limit_id: limitId,
  primary: { used_percent: 96, window_minutes: 300, resets_at: 1_800_000_000 },
  secondary: null,
});

describe("toQuotaEvent", () => {
  it("maps turn boundaries", () => {
    expect(map({ type: "task_started", turn_id: "t" })).toEqual({ kind: "task_started" });
    expect(map({ type: "turn_aborted", reason: "interrupted" })).toEqual({ kind: "turn_aborted" });
    expect(map({ type: "task_complete", last_agent_message: "ok" })).toEqual({ kind: "task_complete", error: null });
  });

  it("marks a turn that ended on the usage limit", () => {
    const q = map({ type: "task_complete", last_agent_message: null, error: { message: "limit", codex_error_info: "usage_limit_exceeded" } });
    expect(q).toEqual({ kind: "task_complete", error: "usage_limit_exceeded" });
  });

  it("passes the main codex limit in codex's own shape, and ignores per-model limits", () => {
    expect(map({ type: "token_count", info: null, rate_limits: rl("codex") })).toEqual({
      kind: "token_count",
      rateLimits: { primary: { used_percent: 96, window_minutes: 300, resets_at: 1_800_000_000 }, secondary: null },
    });
    expect(map({ type: "token_count", info: null, rate_limits: rl("gpt-5-codex-mini") })).toBeNull();
    expect(map({ type: "token_count", info: null, rate_limits: null })).toBeNull();
  });

  it("ignores events that say nothing about quota", () => {
    expect(map({ type: "agent_message", message: "hi" })).toBeNull();
  });
});

describe("toFacts: a turn codex failed because it could not use its login", () => {
  const facts = (payload: object) => {
    const e = parseRolloutLine(line(payload));
    if (!e) throw new Error("fixture did not parse");
    return toFacts(e);
  };
  it.each([
    // As codex 0.171.0 wrote it when auth.json held another account (test/e2e/shared-login.test.ts).
    "Your access token could not be refreshed because you have since logged out or signed in to another account. Please sign in again.",
    "Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.",
  ])("%s → login_lost, then the turn's end", (message) => {
    expect(facts({ type: "task_complete", last_agent_message: null, error: { message, codex_error_info: "other" } })).toEqual([{ kind: "login_lost" }, { kind: "task_complete", error: "other" }]);
  });
  it("an unrelated error is only the turn's end", () => {
    expect(facts({ type: "task_complete", last_agent_message: null, error: { message: "stream disconnected", codex_error_info: "other" } })).toEqual([{ kind: "task_complete", error: "other" }]);
    expect(isLoginLostMessage("network unreachable")).toBe(false);
  });
});
