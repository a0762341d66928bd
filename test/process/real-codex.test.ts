// The shape of reference 001 with the real pinned codex: Node launcher → native binary → (daemon mode)
// setsid'd app-server daemon + updater. The TUI runs in a private tmux pane with a throw-away
// CODEX_HOME (bogus loopback provider: no prompt is sent) and the job marker in its environment.
// The escalation runs on both process-table ports (reference 001 is a macOS report); what the test
// itself observes is read from /proc.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { escalateTree, type EscalationEvent } from "../../lib/process/escalate.js";
import { isAlive, readIdentity, sameIdentity, type ProcessIdentity } from "../../lib/process/identity.js";
import { linuxPlatform } from "../../lib/process/linux.js";
import { parseProcStat } from "../../lib/process/proc-format.js";
import { listMarked, markerOf, type ProcInfo } from "../../lib/process/proc-table.js";
import { signalVerified } from "../../lib/process/signal.js";
import { makeCodexHome, REAL_CODEX_LAUNCHER, type CodexHome } from "../helpers/codex-home.js";
import { pollUntil } from "../helpers/poll.js";
import { CODEX_COMPOSER_READY, TmuxSession } from "../helpers/tmux.js";
import { platformCases, usePlatform } from "../platform/matrix.js";

let session: TmuxSession | null = null;
let home: CodexHome | null = null;
let marker = "";

afterEach(async () => {
  session?.kill();
  session = null;
  // Safety net: anything still carrying this test's marker is killed (identity-verified) and reported.
  const leftovers = carriers(marker);
  for (const p of leftovers) signalVerified(p.identity, "SIGKILL", linuxPlatform);
  home?.cleanup();
  home = null;
  expect(leftovers.map((p) => `${p.pid} ${p.comm}`)).toEqual([]);
});

/** Running processes carrying the marker, as /proc says. */
function carriers(m: string): ProcInfo[] {
  return listMarked(linuxPlatform).filter((p) => p.state !== "Z" && markerOf(p) === m);
}

/** The session a process leads or belongs to (/proc/PID/stat field 6), or null when it is gone. */
function sessionOf(pid: number): number | null {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, "utf8"))?.session ?? null;
  } catch {
    return null; // exited meanwhile
  }
}

/** Start the TUI and wait until launcher, native TUI and at least one daemon process carry the marker. */
async function startCodexTree(): Promise<{ launcher: ProcessIdentity; native: ProcInfo; daemons: ProcInfo[] }> {
  marker = `s-test-${randomBytes(4).toString("hex")}`;
  home = makeCodexHome({ baseUrl: "http://127.0.0.1:9/v1" });
  // `env` puts the marker on the launcher only (it execs node): the tmux server must not carry it.
  session = TmuxSession.start({
    command: ["env", `CODEX_SUPERVISOR_JOB=${marker}`, process.execPath, REAL_CODEX_LAUNCHER],
    env: home.env,
    cwd: home.workDir,
  });
  await session.waitFor(CODEX_COMPOSER_READY, 30_000);
  const launcherPid = session.panePid();
  const launcher = readIdentity(launcherPid, linuxPlatform)!;
  // Settled: the native TUI has a setsid()'d daemon child (own session: it has detached), and the set of
  // marked processes stayed the same for half a second (a daemon caught mid-start may still die with
  // its parent, which would make the orphan scenario vacuous).
  let last = "";
  let since = Date.now();
  return pollUntil(
    () => {
      const marked = carriers(marker);
      const key = marked.map((p) => p.pid).sort().join(",");
      if (key !== last) {
        last = key;
        since = Date.now();
      }
      const native = marked.find((p) => p.ppid === launcherPid && p.comm === "codex");
      const daemons = native ? marked.filter((p) => p.ppid === native.pid && p.comm === "codex") : [];
      const detached = daemons.some((d) => sessionOf(d.pid) === d.pid);
      return native && detached && Date.now() - since >= 500 ? { launcher, native, daemons } : undefined;
    },
    30_000,
    "the native codex and its setsid'd daemon to start and settle",
    100,
  );
}

describe.each(platformCases())("escalateTree against the real codex, on $label", (pc) => {
  usePlatform(pc);

  it("from the launcher pid: launcher, native TUI and daemon processes all gone, none left with the marker", async () => {
    const { launcher, native, daemons } = await startCodexTree();
    const all = [launcher, native.identity, ...daemons.map((d) => d.identity)];
    const events: EscalationEvent[] = [];
    const t0 = Date.now();
    const report = await escalateTree({ rootPids: [launcher.pid], marker, onEvent: (e) => events.push(e), platform: pc.platform });
    const tookMs = Date.now() - t0;

    expect(report.left).toEqual([]);
    for (const id of all) expect(isAlive(id, linuxPlatform), `pid ${id.pid}`).toBe(false);
    expect(carriers(marker)).toEqual([]);
    // The launcher is signalled first; it forwards SIGINT to the native binary, which may then be gone
    // before its own turn comes (skipped as gone/exited). Either way it must not survive.
    expect(report.signalled.map((s) => [s.pid, s.signal])).toContainEqual([launcher.pid, "SIGINT"]);
    console.log(
      `[real codex, ${pc.kind}] escalation took ${tookMs} ms; signals: ${report.signalled.map((s) => `${s.pid}(${s.comm}):${s.signal}`).join(" ")}; ` +
        `skipped: ${report.skipped.map((s) => `${s.pid}:${s.signal}:${s.reason}`).join(" ") || "none"}`,
    );
  });

  // Measured with 0.169.0 on Linux: the native TUI does not outlive its SIGKILLed launcher, but the
  // setsid'd daemon does (reparented to init) — the orphan reference 001 is about.
  it("reference 001: the launcher already died — the orphaned codex processes are found by the marker and stopped", async () => {
    const { launcher, native, daemons } = await startCodexTree();
    // The launcher as the port under test named it while it lived (what a record would hold).
    const launcherOnPort = readIdentity(launcher.pid, pc.platform)!;
    expect(launcherOnPort).not.toBeNull();
    expect(signalVerified(launcher, "SIGKILL", linuxPlatform)).toMatchObject({ sent: true });
    // "Died" means gone from the table, not only a zombie leader. Sampled every ~0.1 ms after the
    // SIGKILL: for ~8 ms (longer under load) the launcher is a zombie thread-group leader whose other
    // threads are still exiting, the native TUI is already a zombie (it dies with its parent thread)
    // still parented to the launcher, and the daemons are still parented to the native TUI. A table
    // read in that window reaches the daemons from the launcher through the ppid links, so they are
    // found as descendants, not by the marker. Children are reparented only once the last thread has
    // exited; tmux reaps the launcher right after that.
    await pollUntil(() => {
      const now = readIdentity(launcher.pid, linuxPlatform);
      return now === null || !sameIdentity(now, launcher) ? true : undefined;
    }, 10_000, "the launcher to be reaped", 100);
    // Orphaned: whatever of the tree survives is no longer below the launcher (reparented).
    const orphans = await pollUntil(() => {
      const marked = carriers(marker);
      return marked.length > 0 && marked.every((p) => p.ppid !== launcher.pid) ? marked : undefined;
    }, 5000, "the orphaned codex processes", 100);
    console.log(`[real codex, ${pc.kind}] after the launcher's SIGKILL: ${orphans.map((p) => `${p.pid}(${p.comm})<${p.ppid}`).join(" ")}; native ${native.pid} ${isAlive(native.identity, linuxPlatform) ? "alive" : "gone"}`);

    const events: EscalationEvent[] = [];
    const report = await escalateTree({ identities: [launcherOnPort], marker, onEvent: (e) => events.push(e), platform: pc.platform });
    const start = events.find((e) => e.type === "snapshot" && e.after === "start");
    const found = start && start.type === "snapshot" ? start.added.map((a) => a.pid) : [];
    // An orphan not in the first snapshot must have ended by itself (one still running would be left
    // carrying the marker, which the last assertion catches).
    for (const o of orphans) expect(found.includes(o.pid) || !isAlive(o.identity, linuxPlatform), `orphan ${o.pid} ${o.comm}`).toBe(true);
    expect(start && start.type === "snapshot" && start.added.some((a) => a.via === "marker")).toBe(true);
    expect(report.left).toEqual([]);
    for (const id of [native.identity, ...daemons.map((d) => d.identity)]) expect(isAlive(id, linuxPlatform), `pid ${id.pid}`).toBe(false);
    expect(carriers(marker)).toEqual([]);
  });
});
