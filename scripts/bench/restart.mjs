// Restart latency of the whole-tree escalation (lib/process/escalate.ts escalateTree, from dist/) on a
// real synthetic tree shaped like codex's: root → mid → leaves, one leaf setsid()'d like codex's
// daemon, every process carrying the job marker. Two kinds of tree, alternating in one run:
// - cooperative: every process dies at SIGINT, so the escalation should cost ~0 beyond the signal;
// - stubborn: every process ignores SIGINT and SIGTERM, so it must take exactly the configured
//   SIGINT and SIGTERM waits and then SIGKILL.
// The figure is measured − configured (0 for the cooperative tree, sigint + sigterm wait for the
// stubborn one); the bar is ≤ 100 ms. Waits are called the way lib/supervisor/ports.ts calls them
// (identities read at spawn, the marker, the direct child's exit known from its handle, default poll).
// Baseline, same run: the same two trees with `pollMs: 50` (the former default; the exit poll then
// doubles from 1 ms up to 50 ms instead of 10 ms), to show what the shorter poll cap saves.
// The fixture tells us it is ready (handlers installed, every process spawned) before it is signalled;
// every process is confirmed gone after each run.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const QUICK = process.env.BENCH_QUICK === "1";
const RUNS_COOP = Number(process.env.BENCH_RESTART_RUNS ?? (QUICK ? 4 : 12));
const RUNS_STUBBORN = Number(process.env.BENCH_RESTART_RUNS ?? (QUICK ? 3 : 8));
const WAITS = { sigintWaitMs: 300, sigtermWaitMs: 300 };
const BAR_MS = 100;
const BASELINE_POLL_MS = 50;
const TREE_SIZE = 5; // root, mid, and three leaves

// One node script plays root and mid. Leaves are `sleep` (cooperative) or a shell that sets SIGINT and
// SIGTERM to ignored and execs sleep (ignored dispositions survive exec). "ready" goes up the pipe
// only when everything below is spawned and has its dispositions.
const FIXTURE = String.raw`
const { spawn } = require("child_process");
const [role, mode] = process.argv.slice(1);
if (mode === "stubborn") { process.on("SIGINT", () => {}); process.on("SIGTERM", () => {}); }
const leaf = (detached) => new Promise((resolve, reject) => {
  const c = mode === "stubborn"
    ? spawn("sh", ["-c", "trap '' INT TERM; echo ready; exec sleep 600"], { stdio: ["ignore", "pipe", "inherit"], detached })
    : spawn("sleep", ["600"], { stdio: "ignore", detached });
  c.once("error", reject);
  if (mode === "stubborn") c.stdout.once("data", resolve); else c.once("spawn", resolve);
});
(async () => {
  const waits = [leaf(false)];
  if (role === "root") {
    waits.push(new Promise((resolve, reject) => {
      const c = spawn(process.execPath, ["-e", process.env.BENCH_FIXTURE, "mid", mode], { stdio: ["ignore", "pipe", "inherit"] });
      c.once("error", reject);
      c.stdout.once("data", resolve);
    }));
  } else {
    waits.push(leaf(true)); // setsid()'d, like codex's daemon
  }
  await Promise.all(waits);
  process.stdout.write("ready\n");
  setInterval(() => {}, 1e6);
})().catch((e) => { console.error(e); process.exit(1); });
`;

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { median: q(0.5), max: s[s.length - 1], min: s[0] };
}

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function oneRun(mods, mode, n, pollMs) {
  const { escalateTree, readIdentity, isAlive, snapshotTree } = mods;
  const marker = `bench-restart-${process.pid}-${n}`;
  const child = spawn(process.execPath, ["-e", FIXTURE, "root", mode], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, BENCH_FIXTURE: FIXTURE, CODEX_SUPERVISOR_JOB: marker },
  });
  let exited = false;
  const exit = new Promise((r) => child.once("exit", () => ((exited = true), r())));
  const identity = readIdentity(child.pid);
  let members = [];
  let escalated = false;
  try {
    await new Promise((resolve, reject) => {
      child.stdout.once("data", resolve);
      child.once("exit", (c, s) => reject(new Error(`fixture exited early (${c ?? s})`)));
      child.once("error", reject);
    });
    members = await until(() => {
      const m = snapshotTree(child.pid, { marker });
      return m.length === TREE_SIZE ? m : null;
    }, 10_000, `the ${mode} tree of ${TREE_SIZE} processes`);
    let waited = 0;
    const t0 = performance.now();
    const report = await escalateTree({
      onEvent: (e) => {
        if (e.type === "waited") waited += e.ms;
      },
      identities: [identity],
      marker,
      waits: WAITS,
      ...(pollMs ? { pollMs } : {}),
      isExited: (id) => (id.pid === child.pid && exited ? true : undefined),
    });
    const ms = performance.now() - t0;
    escalated = true;
    const signals = new Set(report.signalled.map((s) => s.signal));
    if (report.left.length > 0) throw new Error(`${mode} tree: ${report.left.length} process(es) left after the escalation`);
    if (mode === "stubborn" && !signals.has("SIGKILL")) throw new Error("stubborn tree died before SIGKILL: the fixture does not ignore signals");
    if (mode === "cooperative" && signals.has("SIGTERM")) throw new Error("cooperative tree needed SIGTERM: the fixture ignores SIGINT");
    return { ms, waited };
  } finally {
    // Confirm nothing of the tree survives; SIGKILL (identity-checked) whatever does, then fail loudly.
    // (On an early failure the tree may be partly built: take what is there now.)
    if (!escalated) members = [...members, ...snapshotTree(child.pid, { marker })];
    const leftover = members.filter((m) => isAlive(m.identity));
    for (const m of leftover) mods.signalVerified(m.identity, "SIGKILL");
    if (!exited) {
      if (identity) mods.signalVerified(identity, "SIGKILL");
      await exit;
    }
    if (escalated && leftover.length > 0) throw new Error(`${leftover.length} fixture process(es) survived: ${leftover.map((m) => m.pid).join(", ")}`);
  }
}

export async function bench() {
  const load = (p) => import(pathToFileURL(path.join(root, "dist", p)).href);
  const [esc, id, tree, sig] = await Promise.all([load("process/escalate.js"), load("process/identity.js"), load("process/tree.js"), load("process/signal.js")]);
  const mods = { ...esc, ...id, ...tree, ...sig };
  await oneRun(mods, "cooperative", -1); // warm-up: module code, page cache for node and sleep
  const coop = [];
  const stubborn = [];
  const coop10 = [];
  const stubborn10 = [];
  let n = 0;
  // Alternating, so machine load affects every variant alike.
  for (let i = 0; i < Math.max(RUNS_COOP, RUNS_STUBBORN); i++) {
    if (i < RUNS_COOP) coop.push(await oneRun(mods, "cooperative", n++));
    if (i < RUNS_STUBBORN) stubborn.push(await oneRun(mods, "stubborn", n++));
    if (i < RUNS_COOP) coop10.push(await oneRun(mods, "cooperative", n++, BASELINE_POLL_MS));
    if (i < RUNS_STUBBORN) stubborn10.push(await oneRun(mods, "stubborn", n++, BASELINE_POLL_MS));
  }
  const configured = WAITS.sigintWaitMs + WAITS.sigtermWaitMs;
  const c = stats(coop.map((r) => r.ms));
  const s = stats(stubborn.map((r) => r.ms - configured));
  const c10 = stats(coop10.map((r) => r.ms));
  const s10 = stats(stubborn10.map((r) => r.ms - configured));
  // Where the time goes: the waits escalateTree reports (polling its targets for exits) vs the rest
  // (process-table scans with a marker read of every process, identity checks, signals).
  const split = (runs, conf) => {
    const w = stats(runs.map((r) => r.waited - conf)).median;
    const rest = stats(runs.map((r) => r.ms - r.waited)).median;
    return `of which waiting beyond the configured waits ${w.toFixed(1)} ms, table scans + signalling ${rest.toFixed(1)} ms (medians)`;
  };
  const verdict = (x) => (x <= BAR_MS ? `within the ${BAR_MS} ms bar` : `OVER the ${BAR_MS} ms bar`);
  return [
    {
      name: "restart, cooperative tree: measured − configured",
      value: Number(c.median.toFixed(1)),
      unit: "ms",
      detail: `escalateTree on a ${TREE_SIZE}-process tree dying at SIGINT; configured 0 ms (no wait needed); median of ${coop.length}, max ${c.max.toFixed(1)} ms, ${split(coop, 0)}; ${verdict(c.max)}`,
    },
    {
      name: "restart, SIGINT/SIGTERM-ignoring tree: measured − configured",
      value: Number(s.median.toFixed(1)),
      unit: "ms",
      detail: `same tree ignoring SIGINT+SIGTERM, waits ${WAITS.sigintWaitMs}/${WAITS.sigtermWaitMs} ms then SIGKILL; measured median ${(s.median + configured).toFixed(1)} ms of ${stubborn.length}, overshoot max ${s.max.toFixed(1)} ms, ${split(stubborn, configured)}; ${verdict(s.max)}`,
    },
    {
      name: `restart, cooperative tree: default / baseline ${BASELINE_POLL_MS} ms poll`,
      value: Number(c10.median.toFixed(1)),
      unit: "ms",
      ratio: c.median / c10.median,
      detail: `baseline measured − configured ${c10.median.toFixed(1)} ms (median, same run, alternating; max ${c10.max.toFixed(1)} ms, ${split(coop10, 0)}); ratio = default / baseline`,
    },
    {
      name: `restart, ignoring tree: default / baseline ${BASELINE_POLL_MS} ms poll`,
      value: Number(s10.median.toFixed(1)),
      unit: "ms",
      ratio: s.median / s10.median,
      detail: `baseline overshoot ${s10.median.toFixed(1)} ms (median, same run, alternating; max ${s10.max.toFixed(1)} ms, ${split(stubborn10, configured)}); ratio = default / baseline`,
    },
  ];
}

// Run alone: node scripts/bench/restart.mjs
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await bench()) console.log(JSON.stringify(r));
}
