// `codex-supervisor ls` over a home with 10 000 job records (budget: ≤ 300 ms for the default view).
// The home looks like a heavy user's after two months: 100 running sessions (their supervisor is this
// bench process, so they are genuinely alive and get probed), 400 jobs ended within the last day, and
// 9 500 older ones. Files are laid out exactly as lib/jobs/records.ts writes them (compact JSON, 0600,
// the `.active` set, mtime = last write) but written directly: 10 000 fsync'd atomic writes would take
// minutes and measure nothing of `ls`.
// Side by side, alternating, median of RUNS: the CLI's start-up floor (`--version`), the default `ls`,
// and `ls --all --json` (which must read every record). Each child's own CPU time is reported too,
// since wall time on a shared machine mostly measures the neighbours. Uses dist/ (npm run build).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = path.join(root, "bin", "codex-supervisor");
const RECORDS = Number(process.env.BENCH_LS_RECORDS ?? 10_000);
const RUNNING = 100;
const RECENT = 400;
const RUNS = Number(process.env.BENCH_LS_RUNS ?? 15);
const BUDGET_MS = 300;
const DAY = 86_400_000;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function makeHome() {
  const { readIdentity } = await import(pathToFileURL(path.join(root, "dist", "process", "identity.js")).href);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "bench-ls-"));
  const jobs = path.join(home, "jobs");
  fs.mkdirSync(path.join(jobs, ".active"), { recursive: true, mode: 0o700 });
  const me = { pid: process.pid, identity: readIdentity(process.pid) };
  const now = Date.now();
  for (let i = 0; i < RECORDS; i++) {
    const running = i < RUNNING;
    const recent = !running && i < RUNNING + RECENT;
    const ended = running ? null : now - (recent ? ((i - RUNNING) / RECENT) * DAY * 0.95 : DAY * (1.1 + ((i - RUNNING - RECENT) / RECORDS) * 60));
    const created = (ended ?? now) - 3_600_000;
    const id = `${i % 3 === 0 ? "s" : "j"}-20250101-${i.toString(16).padStart(8, "0")}`;
    const rec = {
      schemaVersion: 1, rev: running ? 2 : 4, id, kind: id.startsWith("s") ? "session" : "job", name: i % 10 === 0 ? `task-${i}` : null,
      status: running ? "running" : i % 17 === 0 ? "failed" : "exited",
      supervisor: me, child: me, marker: id, cwd: "/home/user/projects/app",
      argv: ["exec", "fix the failing tests in lib/foo and explain what was wrong"],
      sessionId: "0199aaaa-bbbb-7ccc-8ddd-" + i.toString(16).padStart(12, "0"),
      rolloutPath: `/home/user/.codex/sessions/2025/01/01/rollout-2025-01-01T00-00-00-0199aaaa-bbbb-7ccc-8ddd-${i.toString(16).padStart(12, "0")}.jsonl`,
      account: i % 2 ? "work" : "personal", restarts: i % 5 === 0 ? 1 : 0,
      createdAt: new Date(created).toISOString(), updatedAt: new Date(ended ?? now).toISOString(),
      endedAt: ended === null ? null : new Date(ended).toISOString(), exitCode: running ? null : i % 17 === 0 ? 1 : 0, signal: null, reason: null,
    };
    const file = path.join(jobs, `${id}.json`);
    fs.writeFileSync(file, JSON.stringify(rec) + "\n", { mode: 0o600 });
    if (running) fs.writeFileSync(path.join(jobs, ".active", id), "", { mode: 0o600 });
    else fs.utimesSync(file, new Date(ended), new Date(ended));
  }
  return home;
}

/** Run the CLI once; wall ms from spawn to exit, and the child's own CPU ms (reported by a preload). */
function timeRun(args, env, preload) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--require", preload, bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`codex-supervisor ${args.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr}`);
  const m = /BENCH_CPU_MS=(\d+(?:\.\d+)?)/.exec(r.stderr.toString());
  return { ms, cpu: m ? Number(m[1]) : NaN, out: r.stdout.toString() };
}

export async function bench() {
  if (!fs.existsSync(path.join(root, "dist", "cli", "main.js"))) throw new Error("dist/ missing: run `npm run build` first");
  const home = await makeHome();
  const preload = path.join(home, "cpu.cjs");
  fs.writeFileSync(preload, `const t0 = process.cpuUsage(); process.on("exit", () => { const u = process.cpuUsage(t0); process.stderr.write("BENCH_CPU_MS=" + ((u.user + u.system) / 1000).toFixed(1) + "\\n"); });\n`);
  try {
    const env = { PATH: process.env.PATH, HOME: home, CODEX_AUTH_SUPERVISOR_HOME: home };
    // Sanity: the default view shows exactly the running + recent ones; --all shows everything.
    const shown = JSON.parse(timeRun(["ls", "--json"], env, preload).out);
    if (shown.length !== RUNNING + RECENT) throw new Error(`ls --json listed ${shown.length}, expected ${RUNNING + RECENT}`);
    if (shown.filter((r) => r.status === "running").length !== RUNNING) throw new Error("running jobs not shown as running");
    const all = JSON.parse(timeRun(["ls", "--all", "--json"], env, preload).out);
    if (all.length !== RECORDS) throw new Error(`ls --all --json listed ${all.length}, expected ${RECORDS}`);

    const cases = { floor: ["--version"], ls: ["ls"], all: ["ls", "--all", "--json"] };
    const res = { floor: [], ls: [], all: [] };
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 === 0 ? ["floor", "ls", "all"] : ["all", "ls", "floor"];
      for (const k of order) res[k].push(timeRun(cases[k], env, preload));
    }
    const wall = (k) => median(res[k].map((r) => r.ms));
    const cpu = (k) => median(res[k].map((r) => r.cpu));
    const load = os.loadavg()[0].toFixed(1);
    const n = RECORDS.toLocaleString("en-US");
    return [
      {
        name: `ls, ${n} records (default view)`,
        value: Math.round(wall("ls")),
        unit: "ms",
        detail: `median of ${RUNS}; budget ${BUDGET_MS} ms${wall("ls") <= BUDGET_MS ? " (met)" : " (EXCEEDED)"}; child CPU ${cpu("ls").toFixed(0)} ms; CLI start-up floor (--version) ${Math.round(wall("floor"))} ms wall / ${cpu("floor").toFixed(0)} ms CPU; load avg ${load}`,
      },
      { name: "ls default / CLI start-up", ratio: wall("ls") / wall("floor"), detail: "wall, medians of alternating runs" },
      {
        name: `ls --all --json, ${n} records`,
        value: Math.round(wall("all")),
        unit: "ms",
        detail: `reads and validates every record; child CPU ${cpu("all").toFixed(0)} ms`,
      },
      { name: "ls default / ls --all --json", ratio: wall("ls") / wall("all"), detail: "what skipping unread ended records saves" },
    ];
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await bench()) console.log(JSON.stringify(r));
}
