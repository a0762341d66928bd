// buildExecResumeArgv against the real pinned codex: the argv it builds is accepted, continues the SAME
// session (same rollout file), keeps the exec-level options in force, and never re-sends the first prompt.
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../testbed/model-server.js";
import { parseCodexArgv } from "../../lib/codex/classify.js";
import { parseRolloutLine } from "../../lib/session/rollout-events.js";
import { buildExecResumeArgv } from "../../lib/session/resume-argv.js";
import { listRollouts, makeCodexHome, runCodex, type CodexHome } from "../helpers/codex-home.js";

// A valid 1×1 PNG, so codex accepts -i.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

describe("exec resume argv with the real codex", () => {
  let server: ModelServer;
  let h: CodexHome;
  beforeEach(async () => {
    server = await startModelServer();
    h = makeCodexHome({ baseUrl: server.baseUrl, apiKey: "sk-exec-resume" });
  });
  afterEach(async () => {
    await server.close();
    h.cleanup();
  });

  it("continues the same session with the continue prompt only, exec options still applied", async () => {
    const img = path.join(h.workDir, "shot.png");
    fs.writeFileSync(img, PNG);
    const sub = path.join(h.workDir, "sub");
    fs.mkdirSync(sub);
    const first = ["exec", "--skip-git-repo-check", "-s", "danger-full-access", "-C", sub, "-i", img, "--", "FIRST-PROMPT-only-once"];
    const r1 = await runCodex(first, { env: h.env, cwd: h.workDir, timeoutMs: 60_000 });
    expect(r1.code, r1.stderr).toBe(0);
    const files = listRollouts(h.home);
    expect(files).toHaveLength(1);
    const events = () => fs.readFileSync(files[0]!, "utf8").split("\n").map(parseRolloutLine);
    const meta = events().find((e) => e?.type === "session_meta");
    const id = meta!.type === "session_meta" ? meta!.id : "";

    const argv = buildExecResumeArgv(parseCodexArgv(first), id, "CONTINUE-PROMPT");
    expect(argv).toEqual(["exec", "--skip-git-repo-check", "-s", "danger-full-access", "-C", sub, "resume", id, "CONTINUE-PROMPT"]);
    const r2 = await runCodex(argv, { env: h.env, cwd: h.workDir, timeoutMs: 60_000 });
    expect(r2.code, r2.stderr).toBe(0);

    // Same session, same file; two turns ended.
    expect(listRollouts(h.home)).toEqual(files);
    expect(events().find((e) => e?.type === "session_meta")).toMatchObject({ id });
    expect(events().filter((e) => e?.type === "task_complete")).toHaveLength(2);
    // The second model call: continue prompt last, the first prompt exactly once (from the history).
    const calls = server.requests.filter((q) => q.userTexts.some((t) => t.includes("CONTINUE-PROMPT")));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.prompt).toBe("CONTINUE-PROMPT");
    expect(calls[0]!.sessionId).toBe(id);
    expect(calls[0]!.userTexts.filter((t) => t.includes("FIRST-PROMPT-only-once"))).toHaveLength(1);
    // The exec-level -C/-s given before `resume` are in force for the resumed turn.
    const ctx = fs
      .readFileSync(files[0]!, "utf8")
      .split("\n")
      .filter((l) => l.includes('"type":"turn_context"'))
      .map((l) => JSON.parse(l).payload as { cwd: string });
    expect(ctx.at(-1)!.cwd).toBe(sub);
  }, 90_000);
});
