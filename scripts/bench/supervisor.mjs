// The supervisor's own costs, with a stand-in codex (a shell script) so only our side is measured:
// - launch: time from starting `codex <prompt>` through the shim (in a pty) to the child's first
//   instruction, supervised vs passthrough, alternating pairs in one run → median ratio and the
//   difference in ms;
// - restart latency for a cooperative child (dies at the first SIGINT): from the old child being gone
//   to the new child running, and from the `restart` request to the new child running;
// - supervisor RSS while codex runs, next to the passthrough shim's RSS.
// Everything runs in a throw-away home; every process started is waited for.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const shim = path.join(root, "shim", "codex");
const PAIRS = Number(process.env.BENCH_PAIRS ?? 15);
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 10);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall clock in ns as `date +%s%N` prints it (both CLOCK_REALTIME). */
const nowNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

function readStarts(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => {
    const [ns, pid] = l.split(" ");
    return { ns: BigInt(ns), pid: Number(pid) };
  });
}

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function alive(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = st.slice(st.lastIndexOf(")") + 2, st.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cxs-bench-sup-"));
  const log = path.join(dir, "starts.log");
  const quick = path.join(dir, "codex-quick");
  const stay = path.join(dir, "codex-stay");
  // The child's first instruction records when it started; `exec sleep` is a cooperative child (SIGINT kills it).
  writeFileSync(quick, `#!/bin/sh\necho "$(date +%s%N) $$" >> "$BENCH_SPAWN_LOG"\nexit 0\n`, { mode: 0o755 });
  writeFileSync(stay, `#!/bin/sh\necho "$(date +%s%N) $$" >> "$BENCH_SPAWN_LOG"\nexec sleep 600\n`, { mode: 0o755 });
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (/^CODEX_/i.test(k)) delete base[k];
  const env = (real, supervised, supHome = "sup") => ({
    ...base,
    CODEX_HOME: path.join(dir, "codex-home"),
    CODEX_AUTH_SUPERVISOR_HOME: path.join(dir, supHome),
    CODEX_AUTH_REAL_CODEX_BIN: real,
    CODEX_AUTH_CLI_SESSION_SUPERVISOR: supervised ? "1" : "0",
    CODEX_AUTH_SIGINT_WAIT_MS: "2000",
    BENCH_SPAWN_LOG: log,
  });
  return { dir, log, quick, stay, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The shim under `script` (a pty: the supervisor runs only for a terminal), for both paths alike, so
 * the pty's own start-up is in both figures.
 */
function runShim(env, args) {
  const t0 = nowNs();
  const line = [shim, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qefc", line, "/dev/null"], { env, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr })));
  return { t0, child, done };
}

async function launchOnce(s, supervised) {
  const before = readStarts(s.log).length;
  const r = runShim(s.env(s.quick, supervised), ["bench prompt"]);
  const end = await r.done;
  if (end.code !== 0) throw new Error(`shim exited ${end.code ?? end.signal}: ${end.stderr}`);
  const starts = readStarts(s.log);
  if (starts.length !== before + 1) throw new Error("stand-in codex did not start exactly once");
  return Number(starts.at(-1).ns - r.t0) / 1e6;
}

export async function bench() {
  if (!existsSync(path.join(root, "dist", "supervisor", "entry.js"))) throw new Error("dist/ missing: run `npm run build` first");
  const { requestControl } = await import(pathToFileURL(path.join(root, "dist", "jobs", "control.js")).href);
  const s = setup();
  try {
    // --- launch overhead (time to child spawn) ---
    for (let i = 0; i < 2; i++) {
      await launchOnce(s, true);
      await launchOnce(s, false);
    }
    const ratios = [];
    const sup = [];
    const pass = [];
    for (let i = 0; i < PAIRS; i++) {
      const first = i % 2 === 0;
      const a = first ? await launchOnce(s, true) : null;
      const b = await launchOnce(s, false);
      const c = a ?? (await launchOnce(s, true));
      ratios.push(c / b);
      sup.push(c);
      pass.push(b);
    }

    // --- RSS of the passthrough shim while codex runs (if it stays as a wrapper at all) ---
    const p = runShim(s.env(s.stay, false), ["bench prompt"]);
    const passStart = await until(() => readStarts(s.log).find((x) => x.ns >= p.t0), 10_000, "passthrough child");
    const wrapper = parentOf(passStart.pid);
    const passRss = wrapper !== null && wrapper !== p.child.pid ? rssKb(wrapper) : null;
    process.kill(passStart.pid, "SIGTERM"); // the stand-in we started (sleep exec'd into it)
    await p.done;

    // --- supervised: RSS, then restart latency ---
    // A home of its own, so its only record is this session's.
    const r = runShim(s.env(s.stay, true, "sup-restart"), ["bench prompt"]);
    let current = await until(() => readStarts(s.log).find((x) => x.ns >= r.t0), 10_000, "supervised child");
    const home = path.join(s.dir, "sup-restart");
    const jobId = readdirJobs(home);
    const supRss = rssKb(JSON.parse(readFileSync(path.join(home, "jobs", `${jobId}.json`), "utf8")).supervisor.pid);
    const goneToSpawn = [];
    const requestToSpawn = [];
    for (let i = 0; i < RESTARTS; i++) {
      const tReq = nowNs();
      await requestControl(home, jobId, "restart");
      const old = current.pid;
      let goneAt = null;
      const next = await until(() => {
        if (goneAt === null && !alive(old)) goneAt = nowNs();
        return readStarts(s.log).find((x) => x.ns > tReq && x.pid !== old);
      }, 15_000, `restart ${i + 1}`);
      if (goneAt === null) goneAt = nowNs();
      goneToSpawn.push(Number(next.ns - goneAt) / 1e6);
      requestToSpawn.push(Number(next.ns - tReq) / 1e6);
      current = next;
    }
    await requestControl(home, jobId, "stop");
    await r.done;

    return [
      {
        name: "supervised launch: time to codex spawn, supervised / passthrough",
        ratio: median(ratios),
        detail: `median of ${PAIRS} alternating pairs (supervised ${median(sup).toFixed(1)} ms, passthrough ${median(pass).toFixed(1)} ms; stand-in codex, both in a pty)`,
      },
      {
        name: "supervised launch: extra time to codex spawn over passthrough",
        value: Number(median(sup.map((x, i) => x - pass[i])).toFixed(1)),
        unit: "ms",
        detail: `median of the ${PAIRS} pairwise differences (goal ≤ 30 ms)`,
      },
      {
        name: "restart latency: old child gone → new child running",
        value: Number(median(goneToSpawn).toFixed(1)),
        unit: "ms",
        detail: `median of ${RESTARTS} control restarts, cooperative child (dies at SIGINT); max ${Math.max(...goneToSpawn).toFixed(1)} ms`,
      },
      {
        name: "restart latency: restart request → new child running",
        value: Number(median(requestToSpawn).toFixed(1)),
        unit: "ms",
        detail: `median of ${RESTARTS}; includes the control-file pickup and the whole-tree escalation`,
      },
      {
        name: "supervisor RSS while codex runs",
        value: supRss,
        unit: "kB",
        detail: "VmRSS of the supervising shim process (node) with the session running",
      },
      {
        name: "passthrough shim RSS while codex runs",
        value: passRss ?? 0,
        unit: "kB",
        detail: passRss === null ? "no wrapper: the shim replaced itself with codex (exec)" : "VmRSS of the passthrough shim, which waits for codex as its parent",
      },
    ];
  } finally {
    s.cleanup();
  }
}

function parentOf(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function readdirJobs(home) {
  const dir = path.join(home, "jobs");
  const ids = (existsSync(dir) ? readdirSync(dir) : []).filter((f) => /^s-.*\.json$/.test(f)).map((f) => f.slice(0, -5));
  if (ids.length !== 1) throw new Error(`expected one session record in ${dir}, found ${ids.length}`);
  return ids[0];
}
