// Facts about the pinned real codex (package.json's @openai/codex) that our design depends on, asserted against the binary
// through `codex exec`. If an upgrade breaks one of these, the matching part of the supervisor needs
// a look. (TUI-only facts — fd held open, `codex resume` appending — are in tui.test.ts.)
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "./model-server.js";
import {
  listRollouts,
  makeCodexHome,
  readRollout,
  rolloutEvents,
  rolloutSessionId,
  runCodex,
  runCodexExec,
  type CodexHome,
} from "../helpers/codex-home.js";

const KEY = "sk-facts-a";
/** The version the installed (pinned) @openai/codex reports in its rollouts. */
const PINNED_VERSION = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../../node_modules/@openai/codex/package.json"), "utf8")) as { version: string }).version;

describe("pinned codex facts (exec)", () => {
  let server: ModelServer;
  let h: CodexHome;
  beforeEach(async () => {
    server = await startModelServer();
    h = makeCodexHome({ baseUrl: server.baseUrl, apiKey: KEY });
  });
  afterEach(async () => {
    await server.close();
    h.cleanup();
  });

  it("rollout path shape, session_meta first, task_started/task_complete, token_count from x-codex-* headers", async () => {
    const primaryResetAt = Math.floor(Date.now() / 1000) + 3600;
    const secondaryResetAt = primaryResetAt + 86400;
    server.setQuota(KEY, {
      primaryUsedPercent: 42.5,
      primaryWindowMinutes: 300,
      primaryResetAt,
      secondaryUsedPercent: 12,
      secondaryWindowMinutes: 10080,
      secondaryResetAt,
    });
    const r = await runCodexExec(h, "facts turn one");
    expect(r.code, r.stderr).toBe(0);

    const files = listRollouts(h.home);
    expect(files).toHaveLength(1);
    const file = files[0]!;
    const rel = path.relative(h.home, file);
    const m = /^sessions\/(\d{4})\/(\d{2})\/(\d{2})\/rollout-(\d{4})-(\d{2})-(\d{2})T\d{2}-\d{2}-\d{2}-([0-9a-f-]{36})\.jsonl$/.exec(rel);
    expect(m, rel).not.toBeNull();
    // Directory date = file-name date (local time), and the file name ends with the session id.
    expect([m![1], m![2], m![3]]).toEqual([m![4], m![5], m![6]]);

    const lines = readRollout(file);
    expect(lines[0]!.type).toBe("session_meta");
    const meta = lines[0]!.payload;
    expect(meta.id).toBe(m![7]);
    expect(meta.session_id).toBe(meta.id);
    expect(meta.originator).toBe("codex_exec");
    expect(meta.cwd).toBe(h.workDir);
    expect(meta.cli_version).toBe(PINNED_VERSION);
    expect(meta.model_provider).toBe("mock");
    // Every line has timestamp / ordinal / type / payload; ordinals count up from 0.
    lines.forEach((l, i) => {
      expect(l.ordinal).toBe(i);
      expect(typeof l.timestamp).toBe("string");
    });

    const started = rolloutEvents(lines, "task_started");
    const completed = rolloutEvents(lines, "task_complete");
    expect(started).toHaveLength(1);
    expect(completed).toHaveLength(1);
    expect(completed[0]!.turn_id).toBe(started[0]!.turn_id);
    expect(completed[0]!.last_agent_message).toBe('Mock reply 1: you said "facts turn one".');
    expect(completed[0]!.error).toBeUndefined();

    const counts = rolloutEvents(lines, "token_count");
    expect(counts.length).toBeGreaterThanOrEqual(1);
    const rl = counts[counts.length - 1]!.rate_limits;
    expect(rl).toEqual({
      limit_id: "codex",
      limit_name: null,
      primary: { used_percent: 42.5, window_minutes: 300, resets_at: primaryResetAt },
      secondary: { used_percent: 12, window_minutes: 10080, resets_at: secondaryResetAt },
      credits: null,
      individual_limit: null,
      spend_control_reached: null,
      plan_type: null,
      rate_limit_reached_type: null,
    });
  });

  it("without x-codex-* headers the windows are null", async () => {
    const r = await runCodexExec(h, "no quota headers");
    expect(r.code, r.stderr).toBe(0);
    const counts = rolloutEvents(readRollout(listRollouts(h.home)[0]!), "token_count");
    const rl = counts[counts.length - 1]!.rate_limits as Record<string, unknown>;
    expect(rl.primary).toBeNull();
    expect(rl.secondary).toBeNull();
  });

  it("429 usage_limit_reached: one request (no retry), exit 1, task_complete carries the error", async () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 7200;
    server.setQuota(KEY, { primaryUsedPercent: 100, primaryWindowMinutes: 300, primaryResetAt: resetsAt });
    server.setUsageLimitReached(KEY, resetsAt);
    const r = await runCodexExec(h, "over the limit");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERROR: You.ve hit your usage limit/);
    expect(server.turnRequests).toHaveLength(1);

    const lines = readRollout(listRollouts(h.home)[0]!);
    const completed = rolloutEvents(lines, "task_complete");
    expect(completed).toHaveLength(1);
    expect(completed[0]!.last_agent_message).toBeNull();
    const err = completed[0]!.error as { message: string; codex_error_info: string };
    expect(err.codex_error_info).toBe("usage_limit_exceeded");
    expect(err.message).toMatch(/usage limit/);
    // No separate `error` event_msg and no turn_aborted: task_complete.error is the signal.
    expect(rolloutEvents(lines, "error")).toHaveLength(0);
    expect(rolloutEvents(lines, "turn_aborted")).toHaveLength(0);
    // The 429's own x-codex-* headers still reach token_count (info null: no usage).
    const counts = rolloutEvents(lines, "token_count");
    const last = counts[counts.length - 1]!;
    expect(last.info).toBeNull();
    expect((last.rate_limits as { primary: unknown }).primary).toEqual({ used_percent: 100, window_minutes: 300, resets_at: resetsAt });
  });

  it("`codex exec resume <id> \"next\"` appends to the same rollout file, with the then-current key", async () => {
    const first = await runCodexExec(h, "turn one");
    expect(first.code, first.stderr).toBe(0);
    const [file] = listRollouts(h.home);
    const before = readRollout(file!);
    const sid = rolloutSessionId(before)!;

    h.setApiKey("sk-facts-b"); // a rotation between turns: the resumed process reads the new auth.json
    const second = await runCodex(["exec", "--skip-git-repo-check", "resume", sid, "turn two"], { env: h.env, cwd: h.workDir });
    expect(second.code, second.stderr).toBe(0);
    expect(listRollouts(h.home)).toEqual([file]);
    const after = readRollout(file!);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(rolloutEvents(after, "task_complete").map((e) => e.last_agent_message)).toEqual([
      'Mock reply 1: you said "turn one".',
      'Mock reply 1: you said "turn two".',
    ]);
    const calls = server.turnRequests;
    expect(calls.map((c) => [c.bearerKey, c.sessionId])).toEqual([
      ["sk-facts-a", sid],
      ["sk-facts-b", sid],
    ]);
    // The resumed request carries the earlier conversation.
    expect(calls[1]!.userTexts).toContain("turn one");
  });
});
