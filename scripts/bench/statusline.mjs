// `codex-supervisor statusline` — what a status bar runs every few seconds — side by side with the
// CLI's start-up floor (`codex-supervisor --version`), as a ratio. The home is a heavy user's: 5
// accounts with usage, 50 live sessions (their supervisor is this bench process, so each liveness
// check finds it alive; 2 of them wait for a reset, 3 restart) and 2 000 ended records that the
// statusline must not read. Alternating runs, medians of RUNS; each child's own CPU time is reported
// too, since wall time on a shared machine mostly measures the neighbours. Uses dist/.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = path.join(root, "bin", "codex-supervisor");
const RUNS = Number(process.env.BENCH_STATUSLINE_RUNS ?? 21);
const LIVE = 50;
const ENDED = 2000;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function makeHome() {
  const { readIdentity } = await import(pathToFileURL(path.join(root, "dist", "process", "identity.js")).href);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "bench-statusline-"));
  const jobs = path.join(home, "jobs");
  fs.mkdirSync(path.join(jobs, ".active"), { recursive: true, mode: 0o700 });
  const now = Date.now();
  const iso = (d) => new Date(now + d).toISOString();
  const accounts = ["work", "personal", "ci", "spare", "team"].map((name, i) => ({
    name, kind: "chatgpt",
    auth: { tokens: { id_token: "x".repeat(900), access_token: "y".repeat(1200), refresh_token: "z".repeat(60) } },
    identity: { email: `${name}@example.com`, plan: "plus" },
    usage: { primaryUsedPercent: 20 * i, primaryWindowMinutes: 300, primaryResetsAt: iso((i + 1) * 1_800_000), secondaryUsedPercent: 10 * i, secondaryWindowMinutes: 10080, secondaryResetsAt: iso((i + 1) * 86_400_000), observedAt: iso(-60_000 * i) },
    enabled: true, addedAt: iso(-30 * 86_400_000),
  }));
  fs.writeFileSync(path.join(home, "accounts.json"), JSON.stringify({ schemaVersion: 1, active: "work", accounts }, null, 2), { mode: 0o600 });
  const me = { pid: process.pid, identity: readIdentity(process.pid) };
  for (let i = 0; i < LIVE + ENDED; i++) {
    const live = i < LIVE;
    const id = `s-20260101-${i.toString(16).padStart(8, "0")}`;
    const status = !live ? "exited" : i < 2 ? "restarting" : i < 5 ? "restarting" : "running";
    const rec = {
      schemaVersion: 1, rev: 3, id, kind: "session", name: null, status, supervisor: me, child: me, marker: id, cwd: "/home/user/app",
      argv: ["fix the tests"], sessionId: `0199aaaa-bbbb-7ccc-8ddd-${i.toString(16).padStart(12, "0")}`, rolloutPath: null,
      account: "work", restarts: 0, createdAt: iso(-3_600_000), updatedAt: iso(-60_000), endedAt: live ? null : iso(-60_000),
      exitCode: live ? null : 0, signal: null, reason: i < 2 ? "waiting for a quota reset" : null,
    };
    fs.writeFileSync(path.join(jobs, `${id}.json`), JSON.stringify(rec) + "\n", { mode: 0o600 });
    if (live) fs.writeFileSync(path.join(jobs, ".active", id), "", { mode: 0o600 });
  }
  return home;
}

function timeRun(args, env, preload) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--require", preload, bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`codex-supervisor ${args.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr}`);
  const m = /BENCH_CPU_MS=(\d+(?:\.\d+)?)/.exec(r.stderr.toString());
  return { ms, cpu: m ? Number(m[1]) : NaN, out: r.stdout.toString() };
}

export async function bench() {
  if (!fs.existsSync(path.join(root, "dist", "cli", "commands", "statusline.js"))) throw new Error("dist/ missing: run `npm run build` first");
  const home = await makeHome();
  const preload = path.join(home, "cpu.cjs");
  fs.writeFileSync(preload, `const t0 = process.cpuUsage(); process.on("exit", () => { const u = process.cpuUsage(t0); process.stderr.write("BENCH_CPU_MS=" + ((u.user + u.system) / 1000).toFixed(1) + "\\n"); });\n`);
  try {
    const env = { PATH: process.env.PATH, HOME: home, CODEX_AUTH_SUPERVISOR_HOME: home };
    // Sanity: the line it prints is the one the home implies.
    const line = timeRun(["statusline"], env, preload).out;
    if (!/^work 5h:0% 7d:0% \[2 waiting \S+\] \[3 restarting\]\n$/.test(line)) throw new Error(`unexpected statusline output: ${JSON.stringify(line)}`);
    const cases = { floor: ["--version"], line: ["statusline"], json: ["statusline", "--json"] };
    const res = { floor: [], line: [], json: [] };
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 === 0 ? ["floor", "line", "json"] : ["json", "line", "floor"];
      for (const k of order) res[k].push(timeRun(cases[k], env, preload));
    }
    const wall = (k) => median(res[k].map((r) => r.ms));
    const cpu = (k) => median(res[k].map((r) => r.cpu));
    return [
      {
        name: "statusline / CLI start-up (--version)",
        ratio: wall("line") / wall("floor"),
        detail: `wall, medians of ${RUNS} alternating runs: statusline ${wall("line").toFixed(1)} ms (CPU ${cpu("line").toFixed(0)} ms), --version ${wall("floor").toFixed(1)} ms (CPU ${cpu("floor").toFixed(0)} ms); 5 accounts, ${LIVE} live sessions, ${ENDED} ended records; load avg ${os.loadavg()[0].toFixed(1)}`,
      },
      { name: "statusline --json / statusline", ratio: wall("json") / wall("line"), detail: "wall, same runs" },
    ];
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await bench()) console.log(JSON.stringify(r));
}
