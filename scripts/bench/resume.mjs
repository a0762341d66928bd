// What resuming a session with a long history costs the supervisor: `codex resume <id>` of a session
// whose rollout is ~200 MB, next to a new session, side by side in one run. A stand-in codex (shell)
// appends one token_count line to the rollout it holds open for writing, as codex does; we measure
// the supervisor's CPU time (utime + stime) and peak RSS (VmHWM) at the moment that line's reading is
// booked in the accounts store. Old lines must neither count nor be read (lib/session/rollout-start.ts),
// so the ratios should be close to 1. Runs through the real shim under `script` (a pty: the
// supervisor only runs for a terminal).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const shim = path.join(root, "shim", "codex");
const RUNS = Number(process.env.BENCH_RESUME_RUNS ?? 3);
const SIZE_MB = Number(process.env.BENCH_RESUME_MB ?? 200);
const CLK_TCK = 100; // getconf CLK_TCK on Linux

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function cpuMs(pid) {
  const st = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
const hwmKb = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);

const tokenCount = (ts, used) =>
  JSON.stringify({ timestamp: ts, type: "event_msg", payload: { type: "token_count", info: null, rate_limits: { limit_id: "codex", primary: { used_percent: used, window_minutes: 300, resets_at: Math.floor(Date.now() / 1000) + 3600 }, secondary: null } } }) + "\n";

/** A rollout of ~sizeMb of earlier turns (old timestamps, a 97 % reading among them). */
function writeHistory(file, id, cwd, sizeMb) {
  const old = new Date(Date.now() - 86_400_000).toISOString();
  const fd = openSync(file, "w");
  writeSync(fd, JSON.stringify({ timestamp: old, type: "session_meta", payload: { id, session_id: id, cwd, originator: "codex-tui", source: "cli", cli_version: "0.171.0" } }) + "\n");
  const item = JSON.stringify({ timestamp: old, type: "response_item", payload: { type: "message", role: "assistant", content: [{ type: "output_text", text: "x".repeat(2000) }] } }) + "\n";
  const block = (item.repeat(50) + tokenCount(old, 97)).repeat(10);
  const n = Math.ceil((sizeMb * 1024 * 1024) / Buffer.byteLength(block));
  for (let i = 0; i < n; i++) writeSync(fd, block);
  closeSync(fd);
}

function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cxs-bench-resume-"));
  const codexHome = path.join(dir, "codex-home");
  const work = path.join(dir, "work");
  mkdirSync(work, { recursive: true });
  const d = new Date();
  const pad = (x) => String(x).padStart(2, "0");
  const day = path.join(codexHome, "sessions", String(d.getFullYear()), pad(d.getMonth() + 1), pad(d.getDate()));
  mkdirSync(day, { recursive: true });
  const id = "01a20000-0000-7000-8000-000000000001";
  const oldFile = path.join(day, `rollout-${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T00-00-00-${id}.jsonl`);
  writeHistory(oldFile, id, work, SIZE_MB);
  writeFileSync(path.join(codexHome, "auth.json"), JSON.stringify({ OPENAI_API_KEY: "sk-bench-resume-A" }), { mode: 0o600 });
  // The stand-in codex: `resume <id>` appends to that rollout; otherwise a new session file is made.
  // Both hold the file open for writing (as codex does) and add one fresh reading.
  const standIn = path.join(dir, "codex-standin");
  writeFileSync(
    standIn,
    `#!/bin/sh
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
if [ "$2" = resume ]; then f="$BENCH_OLD_ROLLOUT"; else
  f="$BENCH_DAY/rollout-$(date +%Y-%m-%dT%H-%M-%S)-01a20000-0000-7000-8000-$(printf %012d $$).jsonl"
  printf '{"timestamp":"%s","type":"session_meta","payload":{"id":"01a20000-0000-7000-8000-%012d","cwd":"%s","originator":"codex-tui","source":"cli"}}\\n' "$(now)" $$ "$PWD" > "$f"
fi
exec 3>>"$f"
printf '{"timestamp":"%s","type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":{"limit_id":"codex","primary":{"used_percent":30,"window_minutes":300,"resets_at":null},"secondary":null}}}\\n' "$(now)" >&3
exec sleep 600
`,
    { mode: 0o755 },
  );
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (/^CODEX_/i.test(k)) delete base[k];
  const env = {
    ...base,
    CODEX_HOME: codexHome,
    CODEX_AUTH_SUPERVISOR_HOME: path.join(dir, "sup"),
    CODEX_AUTH_REAL_CODEX_BIN: standIn,
    CODEX_AUTH_CLI_SESSION_SUPERVISOR: "1",
    CODEX_AUTH_SIGINT_WAIT_MS: "500",
    BENCH_OLD_ROLLOUT: oldFile,
    BENCH_DAY: day,
  };
  return { dir, work, id, env, home: env.CODEX_AUTH_SUPERVISOR_HOME, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Add account A (the key in auth.json) through the CLI, so readings are booked. */
async function addAccount(s) {
  const file = path.join(s.dir, "a.json");
  writeFileSync(file, JSON.stringify({ OPENAI_API_KEY: "sk-bench-resume-A" }), { mode: 0o600 });
  await new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [path.join(root, "bin", "codex-supervisor"), "accounts", "import", "A"], { env: s.env, stdio: "ignore" });
    c.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`accounts import exited ${code}`))));
  });
}

const observedAt = (s) => {
  try {
    const store = JSON.parse(readFileSync(path.join(s.home, "accounts.json"), "utf8"));
    return store.accounts.find((a) => a.name === "A")?.usage?.observedAt ?? null;
  } catch {
    return null;
  }
};

async function once(s, requestControl, args) {
  const jobsDir = path.join(s.home, "jobs");
  const before = new Set(existsSync(jobsDir) ? readdirSync(jobsDir) : []);
  const seenBefore = observedAt(s);
  const line = [shim, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qefc", line, "/dev/null"], { env: s.env, cwd: s.work, stdio: ["pipe", "ignore", "ignore"] });
  const done = new Promise((r) => child.on("exit", r));
  const id = await until(() => (existsSync(jobsDir) ? readdirSync(jobsDir).find((f) => /^s-.*\.json$/.test(f) && !before.has(f)) : undefined), 20_000, "the session record");
  const rec = () => JSON.parse(readFileSync(path.join(jobsDir, id), "utf8"));
  const sup = rec().supervisor.pid;
  await until(() => (observedAt(s) !== seenBefore ? true : undefined), 30_000, "the reading to be booked");
  const cpu = cpuMs(sup);
  const rss = hwmKb(sup);
  await requestControl(s.home, id.slice(0, -5), "stop");
  await done;
  return { cpu, rss };
}

export async function bench() {
  const { requestControl } = await import(pathToFileURL(path.join(root, "dist", "jobs", "control.js")).href);
  const s = setup();
  try {
    await addAccount(s);
    const resume = [];
    const fresh = [];
    for (let i = 0; i < RUNS; i++) {
      resume.push(await once(s, requestControl, ["resume", s.id]));
      fresh.push(await once(s, requestControl, ["new session prompt"]));
    }
    const rc = median(resume.map((r) => r.cpu));
    const fc = median(fresh.map((r) => r.cpu));
    const rr = median(resume.map((r) => r.rss));
    const fr = median(fresh.map((r) => r.rss));
    return [
      {
        name: `resume of a ${SIZE_MB} MB rollout vs a new session: supervisor CPU until the first fresh reading is booked`,
        ratio: rc / fc,
        detail: `median of ${RUNS}: resume ${rc.toFixed(0)} ms, new ${fc.toFixed(0)} ms (utime+stime of the supervisor, start-up included)`,
      },
      {
        name: `resume of a ${SIZE_MB} MB rollout vs a new session: supervisor peak RSS`,
        ratio: rr / fr,
        detail: `median of ${RUNS}: resume ${(rr / 1024).toFixed(1)} MB, new ${(fr / 1024).toFixed(1)} MB (VmHWM)`,
      },
    ];
  } finally {
    if (!process.env.BENCH_KEEP) s.cleanup(); else console.log(s.dir);
  }
}
