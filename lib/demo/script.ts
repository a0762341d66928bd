// What the demo shows, as data and pure functions: two throw-away API-key accounts, the 5-hour quota
// each reports per turn, the model's replies, and the texts printed around the session.
import type { ModelRequest, Reply } from "./model-server.js";
import { quotaHeaders, type Quota } from "./responses-protocol.js";

interface DemoAccount {
  name: string;
  /** A fake key: it only ever reaches the loopback server. */
  apiKey: string;
  /** Primary (5 h) used percent reported after turn 1, 2, 3...; the last value repeats. */
  primarySteps: number[];
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  // 96 % used = 4 % left, under the default rotate threshold (5 % left): rotation after turn 3.
  { name: "demo-a", apiKey: "sk-demo-a", primarySteps: [60, 85, 96] },
  { name: "demo-b", apiKey: "sk-demo-b", primarySteps: [10, 20, 30, 40, 50] },
];

const PRIMARY_WINDOW_MINUTES = 300;
const SECONDARY_WINDOW_MINUTES = 10080;

/** The quota an account reports for its n-th turn (n ≥ 1; 0 = before any turn). */
export function demoQuota(account: DemoAccount, n: number, nowEpochSeconds: number): Quota {
  const steps = account.primarySteps;
  const used = n <= 0 ? 0 : steps[Math.min(n, steps.length) - 1]!;
  return {
    primaryUsedPercent: used,
    primaryWindowMinutes: PRIMARY_WINDOW_MINUTES,
    primaryResetAt: nowEpochSeconds + 2 * 3600,
    secondaryUsedPercent: Math.round(used / 4),
    secondaryWindowMinutes: SECONDARY_WINDOW_MINUTES,
    secondaryResetAt: nowEpochSeconds + 5 * 86400,
  };
}

export function accountByKey(key: string | null): DemoAccount | undefined {
  return DEMO_ACCOUNTS.find((a) => a.apiKey === key);
}

/** The model's answer: says which account served the turn and where its quota now stands. */
export function demoReply(req: ModelRequest, nowEpochSeconds: number): Reply {
  if (req.kind === "title") return { text: JSON.stringify({ title: "codex-supervisor demo" }) };
  const account = accountByKey(req.bearerKey);
  if (!account) return { text: `(demo model) This request came with an unknown key; nothing to show.` };
  const q = demoQuota(account, req.countForKey, nowEpochSeconds);
  const said = (req.prompt ?? "").replace(/\s+/g, " ").trim().slice(0, 60);
  const left = 100 - (q.primaryUsedPercent ?? 0);
  const hint =
    left <= 5
      ? `Almost nothing left: when this turn ends the supervisor switches accounts and resumes this session.`
      : account === DEMO_ACCOUNTS[0]
        ? `Send another prompt to use more of it.`
        : `Same session, new account: the earlier turns are still in the conversation.`;
  return {
    text: `[${account.name}, turn ${req.countForKey}] You said: "${said}". ${account.name} has now used ${q.primaryUsedPercent} % of its 5-hour quota (${left} % left). ${hint}`,
    // A short pause so a turn is visibly a turn.
    delayMs: 600,
  };
}

/** The demo server's answer: the reply above with the account's quota headers; 404 for other paths. */
export function demoAnswer(req: ModelRequest, nowEpochSeconds: number): Reply | null {
  if (req.kind === "other") return null;
  const account = accountByKey(req.bearerKey);
  const headers = account ? quotaHeaders(demoQuota(account, req.countForKey, nowEpochSeconds)) : {};
  return { ...demoReply(req, nowEpochSeconds), headers };
}

export function introText(tempRoot: string): string {
  return [
    "codex-supervisor demo",
    "",
    "This runs the real Codex CLI under the session supervisor, against a small model server built",
    "into codex-supervisor on 127.0.0.1: no account and no network needed. Your own ~/.codex and",
    "accounts are not touched; everything lives in a throw-away directory removed when you quit:",
    `  ${tempRoot}`,
    "",
    `Two demo accounts exist: ${DEMO_ACCOUNTS[0]!.name} (active) and ${DEMO_ACCOUNTS[1]!.name}. With each reply, ${DEMO_ACCOUNTS[0]!.name}'s`,
    `5-hour quota climbs: ${DEMO_ACCOUNTS[0]!.primarySteps.join(" % → ")} %. Once it is nearly used up, the supervisor waits for`,
    "the turn to end, switches the session to the other account and resumes the same conversation.",
    "",
    "Try it: type any prompt and press Enter, three times. After the third reply the supervisor",
    "switches to demo-b: codex restarts and redraws the same conversation. Send one more prompt:",
    "demo-b answers, in the same session. A summary follows when you quit.",
    "Quit as usual (Ctrl+C, or /quit).",
    "",
    "Press Enter to start codex (Ctrl+C to leave without starting it).",
  ].join("\n");
}

/**
 * The last line of the demo: only what still exists. Codex itself prints "codex resume <id>" when it
 * exits; unless the files are kept, that session was deleted with the demo's home, so it says so.
 */
export function closingText(o: { keptRoot: string | null; sessionId: string | null; realCodex: string }): string {
  if (o.keptRoot === null) {
    const also = o.sessionId ? " and the session codex offered to resume, which is gone with it" : "";
    return `The demo's throw-away home is removed now — its accounts, records, event log${also}. Nothing of yours was changed.`;
  }
  const look = o.sessionId ? `; open the session again with: CODEX_HOME=${o.keptRoot}/codex-home ${o.realCodex} resume ${o.sessionId}` : "";
  return `Kept for a look: ${o.keptRoot} (supervisor/jobs/ holds the record and event log${look})`;
}

export interface TurnSummary {
  account: string;
  primaryUsedPercent: number | undefined;
  sessionId: string | null;
}

/** One line per turn, and whether a rotation happened, for the closing summary. */
export function summaryText(turns: TurnSummary[], footer: string, exitStatus = 0): string {
  if (turns.length === 0) {
    const what = exitStatus === 0 ? "no prompt was sent. Run it again and send a few prompts." : `the supervised codex ended with status ${exitStatus} before any turn (see the message above).`;
    return `codex-supervisor demo: ${what}\n  ${footer}\n`;
  }
  const lines = ["", "codex-supervisor demo: what happened"];
  turns.forEach((t, i) => {
    lines.push(`  turn ${i + 1}: ${t.account}${t.primaryUsedPercent !== undefined ? ` (5-hour quota now ${t.primaryUsedPercent} % used)` : ""}`);
  });
  const accounts = [...new Set(turns.map((t) => t.account))];
  const sessions = [...new Set(turns.map((t) => t.sessionId).filter((s): s is string => s !== null))];
  if (accounts.length > 1) {
    lines.push(`  The session moved ${accounts.join(" → ")}${sessions.length === 1 ? `, and stayed one conversation (session ${sessions[0]})` : ""}.`);
  } else {
    lines.push(`  Every turn used ${accounts[0]}; send at least ${DEMO_ACCOUNTS[0]!.primarySteps.length + 1} prompts to see the switch.`);
  }
  lines.push(`  ${footer}`, "");
  return lines.join("\n");
}
