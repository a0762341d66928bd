// The marker snapshot on macOS, simulated: 600 cheap sleepers (`sleep 300`, each with a copy of our
// environment, 5 of them carrying the job marker) next to everything else running here, then the
// snapshot the escalation takes at each stage boundary (snapshotTree with the marker, from dist/):
// - on the Linux port (/proc: every process's stat and environ), the baseline;
// - on the macOS port against the stand-in ps/sysctl/lsof of test/platform/standin/ (every process's
//   environment shown, the worst case), counting the ps calls each snapshot makes (the stand-in logs
//   every call): it must be 1;
// - the former macOS path: one `ps -wwE -o command= -p <pid>` per process, timed on a sample of the
//   sleepers and extrapolated to the table (running it whole would take the table size in ps starts).
// Medians, alternating Linux/macOS runs. The stand-in is a Node script, so a simulated ps costs a
// Node start-up (~50 ms) plus reading /proc; a real ps is a native binary: the ratios say what the
// simulation costs here, and the call counts are what carries over to a Mac. Every sleeper is killed
// by its handle and checked gone (by a tag in its environment) before the rows are returned.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const quick = process.env.BENCH_QUICK === "1";
const SLEEPERS = Number(process.env.BENCH_MACOS_SLEEPERS ?? 600);
const MARKED = 5;
const RUNS = Number(process.env.BENCH_MACOS_RUNS ?? (quick ? 3 : 9));
const SAMPLE = quick ? 8 : 20;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function tagged(tag) {
  const out = [];
  for (const n of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const env = fs.readFileSync(`/proc/${n}/environ`, "utf8");
      if (env.split("\0").includes(`BENCH_MACOS_TAG=${tag}`)) out.push(Number(n));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return out;
}

async function startSleepers(tag, marker) {
  const procs = [];
  for (let i = 0; i < SLEEPERS; i++) {
    const env = { ...process.env, BENCH_MACOS_TAG: tag, ...(i < MARKED ? { CODEX_SUPERVISOR_JOB: marker } : {}) };
    const c = spawn("sleep", ["300"], { stdio: "ignore", env });
    procs.push(c);
    await new Promise((resolve, reject) => {
      c.once("spawn", resolve);
      c.once("error", reject);
    });
  }
  return procs;
}

async function stopSleepers(procs, tag) {
  await Promise.all(
    procs.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once("exit", resolve);
          c.kill("SIGKILL");
        }),
    ),
  );
  const deadline = Date.now() + 10_000;
  let left = tagged(tag);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = tagged(tag);
  }
  if (left.length > 0) throw new Error(`${left.length} sleeper(s) still running: ${left.slice(0, 10).join(", ")}`);
}

export async function bench() {
  if (process.platform !== "linux") throw new Error("this bench simulates macOS on Linux (it reads /proc)");
  const load = (p) => import(pathToFileURL(path.join(ROOT, "dist", p)).href);
  const [{ snapshotTree }, { linuxPlatform }, { macosPlatform }] = await Promise.all([load("process/tree.js"), load("process/linux.js"), load("process/macos.js")]);
  const { makeStandinBin } = await import(pathToFileURL(path.join(ROOT, "test", "platform", "standin", "bin.mjs")).href);
  const bin = makeStandinBin({ restricted: [] });
  const savedPath = process.env.PATH;
  const tag = randomBytes(6).toString("hex");
  const marker = `j-20261202-${randomBytes(4).toString("hex")}`;
  let procs = [];
  try {
    procs = await startSleepers(tag, marker);
    process.env.PATH = `${bin.binDir}:${savedPath}`;
    const mac = macosPlatform();
    mac.bootId();
    const want = procs.slice(0, MARKED).map((c) => c.pid).sort((a, b) => a - b);
    const check = (members, which) => {
      const got = members.map((m) => m.pid).sort((a, b) => a - b);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${which} snapshot found ${got.join(",")} instead of ${want.join(",")}`);
    };
    const linuxMs = [];
    const macMs = [];
    const psPerSnapshot = [];
    let tableSize = 0;
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      const l = snapshotTree([], { marker, platform: linuxPlatform });
      linuxMs.push(performance.now() - t0);
      check(l, "linux");
      bin.reset();
      t0 = performance.now();
      const m = snapshotTree([], { marker, platform: mac });
      macMs.push(performance.now() - t0);
      check(m, "macOS");
      psPerSnapshot.push(bin.calls().filter((c) => c.startsWith("ps ")).length);
      tableSize = linuxPlatform.list().length;
    }
    // The former macOS path: a ps per process for its environment.
    const perCall = [];
    for (const c of procs.slice(MARKED, MARKED + SAMPLE)) {
      const t0 = performance.now();
      const r = spawnSync("ps", ["-wwE", "-o", "command=", "-p", String(c.pid)], { encoding: "utf8", env: { ...process.env, LC_ALL: "C", TZ: "UTC0" } });
      perCall.push(performance.now() - t0);
      if (r.status !== 0 || !r.stdout.includes(`BENCH_MACOS_TAG=${tag}`)) throw new Error(`per-process ps for ${c.pid} failed: ${r.stderr}`);
    }
    const lin = median(linuxMs);
    const now = median(macMs);
    const former = median(perCall) * (tableSize + 1);
    const calls = Math.max(...psPerSnapshot);
    return [
      {
        name: `macOS marker snapshot, ${tableSize} processes: ps calls per snapshot`,
        value: calls,
        unit: "calls",
        detail: `counted by the stand-in in each of ${RUNS} snapshots (min ${Math.min(...psPerSnapshot)}, max ${calls}); must be 1 — the former path made ${tableSize + 1} (one per process, after one for the table)`,
      },
      {
        name: "marker snapshot: macOS port (simulated ps) / Linux /proc",
        ratio: now / lin,
        detail: `medians of ${RUNS} alternating runs: ${now.toFixed(1)} ms / ${lin.toFixed(1)} ms; the simulated ps is a Node start-up + /proc reads, a real one a native binary`,
      },
      {
        name: "marker snapshot: former per-process ps / one ps per snapshot",
        ratio: former / now,
        detail: `${(former / 1000).toFixed(1)} s extrapolated (${tableSize + 1} × median ${median(perCall).toFixed(1)} ms per ps, sampled on ${perCall.length} sleepers) vs ${now.toFixed(1)} ms`,
      },
      { name: `marker snapshot, Linux /proc, ${tableSize} processes`, value: Number(lin.toFixed(1)), unit: "ms", detail: `median of ${RUNS}; every process's stat and environ` },
    ];
  } finally {
    process.env.PATH = savedPath;
    await stopSleepers(procs, tag);
    bin.dispose();
  }
}

// Run alone: `node scripts/bench/macos.mjs`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await bench()) console.log(r.name.padEnd(60), r.ratio !== undefined ? `ratio ${r.ratio.toFixed(3)}` : `${r.value} ${r.unit}`, " ", r.detail);
}
