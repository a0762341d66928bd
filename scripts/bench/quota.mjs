// Quota-driven rotation costs, from the compiled dist/ (run `npm run build` first; `npm run bench` does):
// - latency from a `token_count` line being appended to the rollout to the rotation decision, through
//   the real RolloutFollower: woken by fs.watch (watchFollower), and by a plain 250 ms poll (the
//   supervisor loop's default pollMs) — side by side in one run, median and p95, and their ratio;
// - the same with the real codex: `codex exec` against the loopback model server reporting 96 % used;
//   from the timestamp codex put on its token_count line to our decision (includes codex's own write);
// - model requests spent on quota: every http/https/net/fetch call made by this process while the
//   follower and the decision run is counted, and the model server's request log is compared before
//   and after (both must be 0: we read what codex already wrote, there is no quota request code).
// Everything runs in throw-away directories; every process started is waited for.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const RUNS = Number(process.env.BENCH_QUOTA_RUNS ?? 30);
const NATIVE = path.join(root, "node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex");

const load = (p) => import(pathToFileURL(path.join(root, "dist", p)).href);

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}

/** Count every outgoing network call this process makes until `stop()`. */
function countNetwork() {
  let calls = 0;
  const saved = [
    [http, "request", http.request],
    [http, "get", http.get],
    [https, "request", https.request],
    [https, "get", https.get],
    [net, "connect", net.connect],
    [net, "createConnection", net.createConnection],
    [globalThis, "fetch", globalThis.fetch],
  ];
  for (const [obj, key, orig] of saved) {
    if (typeof orig !== "function") continue;
    obj[key] = function (...args) {
      calls++;
      return orig.apply(this, args);
    };
  }
  return {
    get calls() {
      return calls;
    },
    stop() {
      for (const [obj, key, orig] of saved) obj[key] = orig;
    },
  };
}

/** Rollout events → quota events: the supervisor's own mapping (lib/quota/from-rollout.ts), loaded in bench(). */
let toQuotaEvent;

const line = (type, payload) => JSON.stringify({ timestamp: new Date().toISOString(), type, payload }) + "\n";
const tokenCount = (used) =>
  line("event_msg", {
    type: "token_count",
    info: null,
    rate_limits: {
      limit_id: "codex",
      primary: { used_percent: used, window_minutes: 300, resets_at: Math.floor(Date.now() / 1000) + 3600 },
      secondary: { used_percent: 10, window_minutes: 10080, resets_at: Math.floor(Date.now() / 1000) + 86400 },
      plan_type: "plus",
      rate_limit_reached_type: null,
    },
  });

/** One measurement: a fresh rollout, idle after a turn; append a 96 % token_count, time to "rotate". */
async function measureOnce(dir, mode, mods, i) {
  const { RolloutFollower, watchFollower, applyQuotaEvent, decideFromState, initialQuotaState } = mods;
  const file = path.join(dir, `rollout-${mode}-${i}.jsonl`);
  fs.writeFileSync(
    file,
    line("session_meta", { id: `s-${i}`, cwd: dir, originator: "codex_exec", cli_version: "0.169.0", source: "exec" }) +
      line("event_msg", { type: "task_started", turn_id: "t1" }) +
      tokenCount(50) +
      line("event_msg", { type: "task_complete", turn_id: "t1", last_agent_message: "ok" }),
  );
  const follower = new RolloutFollower(file);
  let state = initialQuotaState();
  const fold = (events) => {
    for (const e of events) {
      const q = toQuotaEvent(e);
      if (q) state = applyQuotaEvent(state, q);
    }
    return decideFromState(state, Date.now());
  };
  if (fold(await follower.poll()).action !== "none") throw new Error("setup: expected no action before the 96 % line");

  return new Promise((resolve, reject) => {
    let t0 = 0;
    let stopFollowing = () => {};
    // Ref'd: the watcher and its interval do not keep the process alive by themselves.
    const deadline = setTimeout(() => {
      stopFollowing();
      reject(new Error(`${mode}: no rotate decision within 5 s`));
    }, 5000);
    const stopper = () => {
      clearTimeout(deadline);
      stopFollowing();
    };
    const onEvents = (events) => {
      const d = fold(events);
      if (t0 !== 0 && d.action === "rotate") {
        const dt = performance.now() - t0;
        stopper();
        resolve(dt);
      }
    };
    if (mode === "watch") {
      const w = watchFollower(follower, onEvents, { intervalMs: 1000, onError: reject });
      stopFollowing = () => w.close();
    } else {
      // The supervisor loop's way: look at the rollout every pollMs (250 by default).
      const timer = setInterval(() => follower.poll().then(onEvents, reject), 250);
      stopFollowing = () => clearInterval(timer);
    }
    // Random phase against the poll interval, like a real token_count arriving at any moment.
    setTimeout(() => {
      t0 = performance.now();
      fs.appendFileSync(file, tokenCount(96));
    }, 20 + Math.random() * 250);
  });
}

/** The real codex: one `codex exec` turn against the loopback model server reporting 96 % used. */
async function realCodexRun(mods) {
  const { ModelServer, quotaHeaders, mockProviderConfigToml, RolloutFollower, watchFollower, applyQuotaEvent, decideFromState, initialQuotaState } = mods;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cs-bench-quota-"));
  const codexHome = path.join(tmp, "codex");
  const work = path.join(tmp, "work");
  fs.mkdirSync(codexHome, { mode: 0o700 });
  fs.mkdirSync(work);
  const key = "sk-bench-quota";
  const now = Math.floor(Date.now() / 1000);
  const quota = { primaryUsedPercent: 96, primaryWindowMinutes: 300, primaryResetAt: now + 3600, secondaryUsedPercent: 20, secondaryWindowMinutes: 10080, secondaryResetAt: now + 86400 };
  const server = await ModelServer.start({
    answer: (req) => (req.kind === "other" ? null : { text: "ok", headers: req.bearerKey === key ? quotaHeaders(quota) : {} }),
  });
  // The counter must be able to see a request at all, or its 0 below would mean nothing.
  const probe = countNetwork();
  await fetch(`${server.url}/counter-self-check`).then((r) => r.arrayBuffer()).catch(() => {});
  probe.stop();
  if (probe.calls < 1) throw new Error("network counter saw no call for a real fetch");
  fs.writeFileSync(path.join(codexHome, "config.toml"), mockProviderConfigToml({ baseUrl: server.baseUrl, trustedDirs: [work] }));
  fs.writeFileSync(path.join(codexHome, "auth.json"), JSON.stringify({ OPENAI_API_KEY: key }), { mode: 0o600 });
  const env = { ...process.env, CODEX_HOME: codexHome };
  for (const k of Object.keys(env)) if (k.toUpperCase().startsWith("CODEX_AUTH_")) delete env[k];
  const child = spawn(NATIVE, ["exec", "--skip-git-repo-check", "say ok"], { cwd: work, env, stdio: ["ignore", "ignore", "ignore"] });
  const exited = new Promise((r) => child.on("exit", (code, signal) => r({ code, signal })));

  let result;
  try {
    // Find the rollout as soon as codex creates it (it appears at the first user message).
    const sessions = path.join(codexHome, "sessions");
    const find = () => {
      const out = [];
      const walk = (d) => {
        let es;
        try {
          es = fs.readdirSync(d, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of es) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name.startsWith("rollout-")) out.push(p);
        }
      };
      walk(sessions);
      return out[0];
    };
    const deadline = Date.now() + 30_000;
    let file;
    while (!(file = find())) {
      if (Date.now() > deadline) throw new Error("codex exec wrote no rollout within 30 s");
      await new Promise((r) => setTimeout(r, 5));
    }
    const requestsBefore = server.requests.length;
    const net = countNetwork();
    const follower = new RolloutFollower(file);
    let state = initialQuotaState();
    let done = () => {};
    const decision = await new Promise((resolve, reject) => {
      const w = watchFollower(
        follower,
        (events) => {
          for (const e of events) {
            const q = toQuotaEvent(e);
            if (!q) continue;
            state = applyQuotaEvent(state, q);
            const d = decideFromState(state, Date.now());
            if (q.kind === "token_count" && state.rateLimits) {
              // codex's timestamp on that line vs now: the line was written at or after it.
              const written = Date.parse(e.timestamp);
              if (d.action === "rotate" || d.action === "rotate-when-idle") {
                w.close();
                resolve({ d, latencyMs: Date.now() - written });
                return;
              }
            }
          }
        },
        { intervalMs: 250, onError: reject },
      );
      const deadline = setTimeout(() => {
        w.close();
        reject(new Error("real codex: no rotation decision within 30 s"));
      }, 30_000);
      done = () => clearTimeout(deadline);
    });
    done();
    net.stop();
    const end = await exited;
    result = {
      latencyMs: decision.latencyMs,
      action: decision.d.action,
      reason: decision.d.reason,
      netCalls: net.calls,
      serverRequestsDuringDecision: server.requests.length - requestsBefore - server.requests.slice(requestsBefore).filter((r) => r.authorization === `Bearer ${key}`).length,
      turnRequests: server.turnRequests.length,
      exit: end.code,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

export async function bench() {
  const [follower, decide, server, protocol, config, fromRollout] = await Promise.all([
    load("session/rollout-follower.js"),
    load("quota/decide.js"),
    load("demo/model-server.js"),
    load("demo/responses-protocol.js"),
    load("demo/codex-config.js"),
    load("quota/from-rollout.js"),
  ]);
  toQuotaEvent = fromRollout.toQuotaEvent;
  const mods = { ...follower, ...decide, ...server, ...protocol, ...config };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cs-bench-quota-"));
  const rows = [];
  try {
    const net = countNetwork();
    const watch = [];
    const poll = [];
    // Alternate the two modes so machine load affects both alike.
    for (let i = 0; i < RUNS; i++) {
      watch.push(await measureOnce(dir, "watch", mods, i));
      poll.push(await measureOnce(dir, "poll", mods, i));
    }
    net.stop();
    const w = stats(watch);
    const p = stats(poll);
    rows.push({ name: "token_count line → rotate decision (fs.watch)", value: Number(w.median.toFixed(2)), unit: "ms", detail: `median of ${RUNS}; p95 ${w.p95.toFixed(2)} ms, max ${w.max.toFixed(2)} ms` });
    rows.push({ name: "token_count line → rotate decision (250 ms poll)", value: Number(p.median.toFixed(1)), unit: "ms", detail: `median of ${RUNS}; p95 ${p.p95.toFixed(1)} ms (the supervisor loop's default pollMs)` });
    rows.push({ name: "fs.watch vs 250 ms poll latency", ratio: w.median / p.median, detail: "median ratio, same run, alternating" });

    // The pure decision itself: fold one token_count and decide.
    const { applyQuotaEvent, decideFromState, initialQuotaState } = decide;
    const ev = { kind: "token_count", rateLimits: JSON.parse(tokenCount(96)).payload.rate_limits };
    const N = 200_000;
    let s = initialQuotaState();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      s = applyQuotaEvent(s, ev);
      decideFromState(s, Date.now());
    }
    const perUs = ((performance.now() - t0) * 1000) / N;
    rows.push({ name: "fold + decide per token_count (pure)", value: Number(perUs.toFixed(3)), unit: "µs", detail: `${N} iterations` });

    let real = null;
    if (fs.existsSync(NATIVE)) {
      real = await realCodexRun(mods);
      rows.push({
        name: "real codex: token_count written → decision",
        value: real.latencyMs,
        unit: "ms",
        detail: `codex exec at 96 % used → ${real.action} (${real.reason}); from codex's own line timestamp (ms resolution, includes its write)`,
      });
    }
    const quotaRequests = net.calls + (real ? real.netCalls + real.serverRequestsDuringDecision : 0);
    rows.push({
      name: "model requests spent on quota",
      value: quotaRequests,
      unit: "requests",
      detail: `network calls by the follow+decide path: ${net.calls} synthetic, ${real ? real.netCalls : "n/a"} real; model server requests not made by codex's own turn: ${real ? real.serverRequestsDuringDecision : "n/a"} (codex made ${real ? real.turnRequests : "n/a"} turn request)`,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// Run alone: node scripts/bench/quota.mjs
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await bench()) console.log(JSON.stringify(r));
}
