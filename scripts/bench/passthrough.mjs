// `codex --version` through the shim, side by side in one run with the native binary it execs and with
// the official npm launcher (`node bin/codex.js --version`): rounds of one run each, the order rotated
// every round so none profits from the others' warm caches; each figure is the median of the per-round
// ratios. Rows:
// - fast path (the launch record is current: sh execs codex, no Node) / native binary — goal ≤ 1.5;
// - fast path / official launcher;
// - Node path (the record removed before every run: sh asks Node, which resolves, rewrites the record
//   and hands back the exec) / official launcher;
// - opted in (CODEX_AUTH_CLI_SESSION_SUPERVISOR=1, a stand-in codex script, in a pseudo-terminal):
//   time from starting `codex <prompt>` to the stand-in's first instruction through shim/codex (sh,
//   then exec node) / the same through `node dist/shim/entry.js run` (what the earlier Node-script
//   shim/codex was) — goal ≈ 1. The stand-in's grammar is learned on the first launch (warm-up).
// The shim finds the pinned launcher as the next `codex` on PATH (node_modules/.bin), as a user's global
// install would be found; our variables are unset; a throw-away home holds the record.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const shim = path.join(root, "shim", "codex");
const entry = path.join(root, "dist", "shim", "entry.js");
const launcher = path.join(root, "node_modules", "@openai", "codex", "bin", "codex.js");
const ROUNDS = Number(process.env.BENCH_PAIRS ?? 40);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timeRun(file, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return { ms, out: r.stdout.toString() };
}

/** Rounds of every variant once, order rotated; per-variant ms lists. */
function rounds(variants, n) {
  const ms = variants.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < variants.length; j++) {
      const k = (i + j) % variants.length;
      ms[k].push(variants[k]());
    }
  }
  return ms;
}

const ratioOf = (a, b) => median(a.map((x, i) => x / b[i]));

/** Wall clock in ns as `date +%s%N` prints it (both CLOCK_REALTIME). */
const nowNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

const shellWord = (w) => `'${w.replace(/'/g, `'\\''`)}'`;

/**
 * ms from spawning `file args` to the stand-in codex's first instruction (its line in `log`), in a
 * pseudo-terminal (script(1)): the supervisor takes over only an interactive codex that has one.
 */
async function launchToChild(file, args, env, log) {
  const before = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0;
  const t0 = nowNs();
  const child = spawn("script", ["-qec", [file, ...args].map(shellWord).join(" "), "/dev/null"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on("exit", (c, s) => resolve(c ?? s)));
  if (code !== 0) throw new Error(`${file} exited ${code}: ${stderr}`);
  const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
  if (lines.length !== before + 1) throw new Error("stand-in codex did not start exactly once");
  const [ns, first] = lines.at(-1).split(" ");
  if (first !== "--no-daemon") throw new Error(`${file} did not start codex supervised (its first argument: ${first})`);
  return Number(BigInt(ns) - t0) / 1e6;
}

export async function bench() {
  if (!existsSync(entry)) throw new Error("dist/ missing: run `npm run build` first");
  const dir = mkdtempSync(path.join(os.tmpdir(), "cxs-bench-pass-"));
  try {
    const base = { ...process.env };
    for (const k of Object.keys(base)) if (/^CODEX_/i.test(k)) delete base[k];
    const env = {
      ...base,
      PATH: [path.join(root, "shim"), path.join(root, "node_modules", ".bin"), process.env.PATH].join(path.delimiter),
      CODEX_AUTH_SUPERVISOR_HOME: path.join(dir, "home"),
    };
    // The native binary as the shim execs it, with the launcher's environment contract.
    const { officialLauncherLayout } = await import(path.join(root, "dist", "codex", "native-launch.js"));
    const layout = officialLauncherLayout(launcher, env);
    if (!layout) throw new Error(`no native codex behind ${launcher}`);
    const nativeEnv = { ...env, CODEX_MANAGED_PACKAGE_ROOT: layout.packageRoot, [`CODEX_MANAGED_BY_${layout.managedBy}`]: "1" };

    const first = timeRun(shim, ["--version"], env); // writes the record
    const record = path.join(dir, "home", "shim-cache", `path-${env.PATH.length}`);
    if (!existsSync(record)) throw new Error(`the Node path wrote no launch record (${record})`);
    // A file changed in the last seconds (a fresh build) keeps the record stale until it is older than
    // the record's back-dated time: call again until a call leaves the record alone.
    let written = statSync(record).ino;
    for (let tries = 0; ; tries++) {
      timeRun(shim, ["--version"], env);
      if (statSync(record).ino === written) break;
      if (tries === 5) throw new Error("every call rewrote the launch record: the fast path never held");
      written = statSync(record).ino;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const outs = [first.out, timeRun(shim, ["--version"], env).out, timeRun(layout.binary, ["--version"], nativeEnv).out, timeRun(process.execPath, [launcher, "--version"], env).out];
    if (new Set(outs).size !== 1) throw new Error(`different output: ${JSON.stringify(outs)}`);

    const [fast, native, viaLauncher] = rounds(
      [() => timeRun(shim, ["--version"], env).ms, () => timeRun(layout.binary, ["--version"], nativeEnv).ms, () => timeRun(process.execPath, [launcher, "--version"], env).ms],
      ROUNDS,
    );
    if (statSync(record).ino !== written) throw new Error("the record was rewritten during the fast-path rounds");
    const [nodePath, viaLauncher2] = rounds(
      [
        () => {
          rmSync(record, { force: true });
          return timeRun(shim, ["--version"], env).ms;
        },
        () => timeRun(process.execPath, [launcher, "--version"], env).ms,
      ],
      Math.max(6, ROUNDS >> 2),
    );

    // Opted in: the stand-in records when it started.
    const log = path.join(dir, "starts.log");
    const standIn = path.join(dir, "codex-stand-in");
    // Records when it started and its first argument (--no-daemon: the supervisor started it).
    // (The grammar learning's --help calls on the first launch are not launches.)
    writeFileSync(standIn, `#!/bin/sh\ncase "$*" in *--help) exit 0 ;; esac\necho "$(date +%s%N) $1" >> "$BENCH_SPAWN_LOG"\nexit 0\n`, { mode: 0o755 });
    const supEnv = { ...env, CODEX_HOME: path.join(dir, "codex-home"), CODEX_AUTH_REAL_CODEX_BIN: standIn, CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1", BENCH_SPAWN_LOG: log };
    const viaShim = () => launchToChild(shim, ["bench prompt"], supEnv, log);
    const viaNode = () => launchToChild(process.execPath, [entry, "run", "bench prompt"], supEnv, log);
    for (let i = 0; i < 2; i++) {
      await viaShim();
      await viaNode();
    }
    const supShim = [];
    const supNode = [];
    const supRounds = Math.max(6, Math.round(ROUNDS / 3));
    for (let i = 0; i < supRounds; i++) {
      if (i % 2 === 0) {
        supShim.push(await viaShim());
        supNode.push(await viaNode());
      } else {
        supNode.push(await viaNode());
        supShim.push(await viaShim());
      }
    }

    const m = (xs) => `${median(xs).toFixed(1)} ms`;
    return [
      {
        name: "codex --version: shim (fast path) / native binary",
        ratio: ratioOf(fast, native),
        detail: `median of ${ROUNDS} rotated rounds (shim ${m(fast)}, native ${m(native)}); goal ≤ 1.5`,
      },
      {
        name: "codex --version: shim (fast path) / official launcher",
        ratio: ratioOf(fast, viaLauncher),
        detail: `same rounds (launcher ${m(viaLauncher)})`,
      },
      {
        name: "codex --version: shim (Node path, record rewritten) / official launcher",
        ratio: ratioOf(nodePath, viaLauncher2),
        detail: `median of ${nodePath.length} rotated rounds (shim ${m(nodePath)}, launcher ${m(viaLauncher2)}); the first call after a change, still an exec`,
      },
      {
        name: "opted-in launch to codex start: shim/codex / node entry (earlier shim)",
        ratio: ratioOf(supShim, supNode),
        detail: `median of ${supRounds} alternating pairs (shim ${m(supShim)}, node entry ${m(supNode)}; stand-in codex); goal ≈ 1`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
