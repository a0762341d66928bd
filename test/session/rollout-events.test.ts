import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { applyQuotaEvent, initialQuotaState, type QuotaState } from "../../lib/quota/decide.js";
import { toFacts } from "../../lib/quota/from-rollout.js";
import {
  isSubagentSource,
  parseRolloutLine,
  type RolloutEvent,
} from "../../lib/session/rollout-events.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "rollouts");
const lines = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8").split("\n").filter((l) => l !== "");
const events = (name: string) => lines(name).map(parseRolloutLine);
const known = (evs: (RolloutEvent | null)[]) => evs.filter((e): e is RolloutEvent => e !== null && e.type !== "unknown");

describe("parseRolloutLine on real rollouts of the pinned codex", () => {
  it("exec: complete turn, interrupted resume turn, usage-limit resume turn", () => {
    const evs = events("exec-complete-aborted-usage-limit.jsonl");
    // Every line of a real rollout is well-formed JSON: none parses to null.
    expect(evs.every((e) => e !== null)).toBe(true);
    const k = known(evs);
    expect(k.map((e) => e.type)).toEqual([
      "session_meta",
      "task_started",
      "token_count",
      "task_complete",
      "task_started",
      "token_count",
      "turn_aborted",
      "task_started",
      "token_count",
      "task_complete",
    ]);
    const meta = k[0]!;
    expect(meta).toMatchObject({
      type: "session_meta",
      id: "01a1faff-286d-7cb3-b5d6-fad968b9095a",
      cwd: "/home/user/project",
      originator: "codex_exec",
      cliVersion: "0.169.0",
      source: "exec",
      forkedFromId: null,
    });
    expect(k[2]).toEqual({
      type: "token_count",
      timestamp: "2026-11-20T22:06:36.661Z",
      rateLimits: {
        limitId: "codex",
        primary: { usedPercent: 42.5, windowMinutes: 300, resetsAt: 1795215988 },
        secondary: { usedPercent: 12, windowMinutes: 10080, resetsAt: 1795298788 },
        planType: null,
        rateLimitReachedType: null,
      },
    });
    expect(k[3]).toMatchObject({ type: "task_complete", lastAgentMessage: "Hello from mock", error: null });
    expect(k[6]).toMatchObject({ type: "turn_aborted", reason: "interrupted" });
    expect(k[8]).toMatchObject({ type: "token_count", rateLimits: { primary: { usedPercent: 100 }, secondary: null } });
    expect(k[9]).toMatchObject({
      type: "task_complete",
      lastAgentMessage: null,
      error: { codexErrorInfo: "usage_limit_exceeded", usageLimit: true },
    });
  });

  it("TUI --no-daemon and fork: session_meta fields", () => {
    const tui = known(events("tui-no-daemon.jsonl"));
    expect(tui[0]).toMatchObject({ type: "session_meta", originator: "codex-tui", source: "cli", cwd: "/home/user/project2" });
    const fork = known(events("tui-fork.jsonl"));
    expect(fork[0]).toMatchObject({
      type: "session_meta",
      id: "01a1fb00-869a-7322-92d9-4e9dc4ea55e6",
      forkedFromId: "01a1faff-286d-7cb3-b5d6-fad968b9095a",
    });
  });

  it("the loop's fold over the exec rollout: after each line, the facts the supervisor decides from", () => {
    const evs = events("exec-complete-aborted-usage-limit.jsonl");
    const states: QuotaState[] = [];
    let q = initialQuotaState();
    for (const e of evs) {
      for (const f of e ? toFacts(e) : []) if (f.kind !== "login_lost") q = applyQuotaEvent(q, f);
      states.push(q);
    }
    const end = states.at(-1)!;
    expect(end.turn).toBe("idle");
    expect(end.lastTurnUsageLimit).toBe(true);
    expect(end.rateLimits?.primary?.usedPercent).toBe(100);
    expect(evs.filter((e) => e?.type === "task_started")).toHaveLength(3);
    // In the middle of turn 2 (just after its token_count) the turn is in progress; the abort ends it.
    const abortedIdx = evs.findIndex((e) => e?.type === "turn_aborted");
    expect(states[abortedIdx - 1]!.turn).toBe("in-turn");
    expect(states[abortedIdx]!).toMatchObject({ turn: "idle", lastTurnUsageLimit: false });
    // After turn 1 the model's reply is the last agent message codex recorded.
    const firstComplete = evs.find((e) => e?.type === "task_complete");
    expect(firstComplete).toMatchObject({ lastAgentMessage: "Hello from mock" });
  });
});

describe("parseRolloutLine never throws on bad input", () => {
  const real = lines("exec-complete-aborted-usage-limit.jsonl");
  it("every prefix of a real line (a cut write) is null, not an exception", () => {
    for (const line of [real[0]!, real[12]!, real[13]!]) {
      for (let cut = 0; cut < line.length; cut += Math.max(1, Math.floor(line.length / 300))) {
        expect(parseRolloutLine(line.slice(0, cut))).toBeNull();
      }
    }
  });
  it("garbage, non-objects, replacement characters, huge lines", () => {
    for (const bad of ["", "   ", "null", "42", '"str"', "[1,2]", "{", "}", "\uFFFD\uFFFD{", '{"type":"session_meta","payload":{}}', '{"type":"event_msg"']) {
      expect(parseRolloutLine(bad)).toBeNull();
    }
    expect(parseRolloutLine("x".repeat(9 * 1024 * 1024))).toBeNull();
    // Unknown kinds are "unknown", not errors.
    expect(parseRolloutLine('{"type":"brand_new","payload":{"type":"x"}}')).toMatchObject({ type: "unknown", lineType: "brand_new" });
    expect(parseRolloutLine('{"type":"event_msg","payload":{"type":"agent_message"}}')).toMatchObject({ type: "unknown", payloadType: "agent_message" });
    // The skip shortcut for big response items still returns null for a cut one.
    expect(parseRolloutLine('{"timestamp":"t","ordinal":3,"type":"response_item","payload":{"type":"message"')).toBeNull();
    // Wrong field types degrade to nulls.
    expect(parseRolloutLine('{"type":"event_msg","payload":{"type":"token_count","rate_limits":{"primary":{"used_percent":"90"}}}}')).toMatchObject({
      type: "token_count",
      rateLimits: null,
    });
    expect(parseRolloutLine('{"type":"event_msg","payload":{"type":"task_complete","last_agent_message":7,"error":5}}')).toMatchObject({
      lastAgentMessage: null,
      error: null,
    });
  });
  it("random byte soup", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const alphabet = '{}[]":,0123456789abcdefnulltrue \\\uFFFD\u00e9type event_msg payload';
    for (let i = 0; i < 2000; i++) {
      let s = "";
      const n = Math.floor(rnd() * 80);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(() => parseRolloutLine(s)).not.toThrow();
    }
  });
});

describe("older and other shapes", () => {
  it("an error event with usage_limit_reached, and codex_error_info as an object", () => {
    expect(parseRolloutLine('{"type":"event_msg","payload":{"type":"error","message":"limit","codex_error_info":"usage_limit_exceeded"}}')).toEqual({
      type: "error",
      timestamp: null,
      message: "limit",
      codexErrorInfo: "usage_limit_exceeded",
      usageLimit: true,
    });
    expect(
      parseRolloutLine('{"type":"event_msg","payload":{"type":"error","message":"x","codex_error_info":{"http_connection_failed":{"http_status_code":502}}}}'),
    ).toMatchObject({ codexErrorInfo: "http_connection_failed", usageLimit: false });
  });
  it("a nested session_meta ({meta: {...}}) of older rollouts", () => {
    expect(parseRolloutLine('{"type":"session_meta","payload":{"meta":{"id":"abc","cwd":"/w","originator":"codex_cli_rs"},"git":null}}')).toMatchObject({
      type: "session_meta",
      id: "abc",
      cwd: "/w",
    });
  });
  it("isSubagentSource", () => {
    expect(isSubagentSource("cli")).toBe(false);
    expect(isSubagentSource("exec")).toBe(false);
    expect(isSubagentSource({ subagent: { thread_spawn: {} } })).toBe(true);
    expect(isSubagentSource(null)).toBe(false);
  });
});

describe("the loop's fold", () => {
  const ev = (payload: object) => parseRolloutLine(JSON.stringify({ timestamp: "t", type: "event_msg", payload }))!;
  const fold = (evs: ReturnType<typeof ev>[], q = initialQuotaState()) => {
    for (const e of evs) for (const f of toFacts(e)) if (f.kind !== "login_lost") q = applyQuotaEvent(q, f);
    return q;
  };
  it("an error event during a turn makes that turn a usage-limit turn; a new turn clears it", () => {
    const s1 = fold([ev({ type: "task_started", turn_id: "a" }), ev({ type: "error", message: "m", codex_error_info: "usage_limit_exceeded" })]);
    expect(s1).toMatchObject({ turn: "in-turn", lastTurnUsageLimit: true });
    const s2 = fold([ev({ type: "task_complete", turn_id: "a", last_agent_message: null })], s1);
    expect(s2).toMatchObject({ turn: "idle", lastTurnUsageLimit: true });
    const s3 = fold([ev({ type: "task_started", turn_id: "b" })], s2);
    expect(s3).toMatchObject({ turn: "in-turn", lastTurnUsageLimit: false });
  });
  it("rate limits of another limit id do not replace the main ones", () => {
    const main = { used_percent: 50, window_minutes: 300, resets_at: 1 };
    const s = fold([
      ev({ type: "token_count", rate_limits: { limit_id: "codex", primary: main } }),
      ev({ type: "token_count", rate_limits: { limit_id: "codex_bengalfox", primary: { ...main, used_percent: 99 } } }),
      ev({ type: "token_count", rate_limits: null }),
    ]);
    expect(s.rateLimits?.primary?.usedPercent).toBe(50);
  });
});

