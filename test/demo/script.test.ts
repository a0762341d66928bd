// The demo's pure script: quota per turn, the model's replies, the closing summary.
import { describe, expect, it } from "vitest";
import type { ModelRequest as RecordedRequest } from "../../lib/demo/model-server.js";
import { closingText, DEMO_ACCOUNTS, demoQuota, demoReply, summaryText } from "../../lib/demo/script.js";

const [A, B] = DEMO_ACCOUNTS as [(typeof DEMO_ACCOUNTS)[number], (typeof DEMO_ACCOUNTS)[number]];
const req = (over: Partial<RecordedRequest>): RecordedRequest => ({
  seq: 1, method: "POST", path: "/v1/responses", headers: {}, authorization: null, bearerKey: null, body: null, bodyError: null,
  userTexts: [], prompt: null, sessionId: null, turnMetadata: null, kind: "turn", countForKey: 1, receivedAt: 0, ...over,
});

describe("demo script", () => {
  it("demo-a climbs 60 → 85 → 96 and stays there; 96 % is past the default rotate threshold (5 % left)", () => {
    expect([1, 2, 3, 4].map((n) => demoQuota(A, n, 1000).primaryUsedPercent)).toEqual([60, 85, 96, 96]);
    expect(100 - demoQuota(A, 3, 1000).primaryUsedPercent!).toBeLessThanOrEqual(5);
    expect(100 - demoQuota(A, 2, 1000).primaryUsedPercent!).toBeGreaterThan(10);
    expect(demoQuota(B, 1, 1000)).toMatchObject({ primaryUsedPercent: 10, primaryWindowMinutes: 300, primaryResetAt: 1000 + 7200, secondaryWindowMinutes: 10080 });
    expect(demoQuota(A, 0, 1000).primaryUsedPercent).toBe(0);
  });
  it("replies name the account and the turn; the title request gets JSON", () => {
    const r = demoReply(req({ bearerKey: "sk-demo-a", countForKey: 3, prompt: "hello" }), 0);
    expect(r.text).toMatch(/^\[demo-a, turn 3\] You said: "hello"\. demo-a has now used 96 % .*\(4 % left\)\. Almost nothing left/);
    expect(demoReply(req({ bearerKey: "sk-demo-b", countForKey: 1 }), 0).text).toMatch(/^\[demo-b, turn 1\].*Same session, new account/);
    expect(JSON.parse(demoReply(req({ kind: "title" }), 0).text!)).toEqual({ title: "codex-supervisor demo" });
    expect(demoReply(req({ bearerKey: "sk-other" }), 0).text).toMatch(/unknown key/);
  });
  it("summary says whether the session moved", () => {
    const moved = summaryText(
      [
        { account: "demo-a", primaryUsedPercent: 60, sessionId: "s" },
        { account: "demo-b", primaryUsedPercent: 10, sessionId: "s" },
      ],
      "bye",
    );
    expect(moved).toMatch(/turn 1: demo-a \(5-hour quota now 60 % used\)/);
    expect(moved).toMatch(/The session moved demo-a → demo-b, and stayed one conversation \(session s\)\./);
    expect(moved).toMatch(/ {2}bye\n$/);
    expect(summaryText([{ account: "demo-a", primaryUsedPercent: 60, sessionId: "s" }], "bye")).toMatch(/send at least 4 prompts/);
    expect(summaryText([], "bye")).toMatch(/no prompt was sent/);
    expect(summaryText([], "bye", 1)).toMatch(/ended with status 1 before any turn/);
  });
  it("the ending names only what still exists", () => {
    const gone = closingText({ keptRoot: null, sessionId: "019a-s", realCodex: "/usr/bin/codex" });
    expect(gone).toMatch(/removed now .* the session codex offered to resume, which is gone with it/);
    expect(gone).not.toMatch(/codex resume|019a-s/);
    expect(closingText({ keptRoot: null, sessionId: null, realCodex: "/c" })).not.toMatch(/session/);
    expect(closingText({ keptRoot: "/k", sessionId: "019a-s", realCodex: "/usr/bin/codex" })).toBe(
      "Kept for a look: /k (supervisor/jobs/ holds the record and event log; open the session again with: CODEX_HOME=/k/codex-home /usr/bin/codex resume 019a-s)",
    );
  });
});
