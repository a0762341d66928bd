// `codex --version` through our shim against the official npm launcher (`node bin/codex.js --version`),
// paired and alternating in one process so both see the same machine load; the figure is the median of
// the per-pair ratios shim/launcher. Target ≤ 1.05, goal ≤ 1.00.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const shim = path.join(root, "shim", "codex");
const launcher = path.join(root, "node_modules", "@openai", "codex", "bin", "codex.js");
const PAIRS = Number(process.env.BENCH_PAIRS ?? 40);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timeRun(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return { ms, out: r.stdout.toString() };
}

export async function bench() {
  if (!existsSync(path.join(root, "dist", "shim", "main.js"))) throw new Error("dist/ missing: run `npm run build` first");
  // The shim finds the pinned launcher as the next `codex` on PATH (node_modules/.bin), as a user's
  // global install would be found; our own variables are unset so nothing but passthrough happens.
  const env = { ...process.env, PATH: [path.join(root, "shim"), path.join(root, "node_modules", ".bin"), process.env.PATH].join(path.delimiter) };
  for (const k of Object.keys(env)) if (/^CODEX_(AUTH|MULTI_AUTH)_/i.test(k)) delete env[k];
  const a = timeRun([shim, "--version"], env);
  const b = timeRun([launcher, "--version"], env);
  if (a.out !== b.out) throw new Error(`different output: shim ${JSON.stringify(a.out)} vs launcher ${JSON.stringify(b.out)}`);
  for (let i = 0; i < 3; i++) {
    timeRun([shim, "--version"], env);
    timeRun([launcher, "--version"], env);
  }
  const ratios = [];
  const shimMs = [];
  const launcherMs = [];
  for (let i = 0; i < PAIRS; i++) {
    // Alternate which side goes first so neither profits from the other's warm caches.
    const first = i % 2 === 0;
    const x = first ? timeRun([shim, "--version"], env) : null;
    const y = timeRun([launcher, "--version"], env);
    const s = x ?? timeRun([shim, "--version"], env);
    ratios.push(s.ms / y.ms);
    shimMs.push(s.ms);
    launcherMs.push(y.ms);
  }
  const ratio = median(ratios);
  return [
    {
      name: "codex --version: shim / official launcher",
      ratio,
      detail: `median of ${PAIRS} alternating pairs (shim median ${median(shimMs).toFixed(1)} ms, launcher ${median(launcherMs).toFixed(1)} ms); target ≤ 1.05, goal ≤ 1.00`,
    },
  ];
}
