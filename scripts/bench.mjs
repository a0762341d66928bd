#!/usr/bin/env node
// `npm run bench [-- <module>...]`: run every scripts/bench/*.mjs module (each exports
// `async function bench(): Promise<Array<{name, ratio?, value?, unit?, detail}>>`), print one table,
// and — when every module was run — regenerate docs/performance.md with the table, the machine and
// each module's method (its header comment). Ratios are measured side by side inside each module,
// never against stored times.
//
// Each module runs in its own Node process, one after the other: a module that throws, exits, or
// leaves a handle open cannot take the others down or skew them (no shared patched globals, no warm
// caches inherited), and one that hangs is ended after BENCH_TIMEOUT_S (its row says so). Results
// come back on fd 3, so a module's own output goes to the terminal untouched. Each module runs in its
// own process group, so a hung one is ended together with the fixtures it started (except any it
// setsid()'d), and Ctrl+C on the runner ends the running module's group too.
//
// BENCH_QUICK=1: fewer iterations in every module (for a smoke run; figures are noisier).
// --no-write: print the table only.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = path.join(root, "scripts", "bench");
const docFile = path.join(root, "docs", "performance.md");
const args = process.argv.slice(2);
const noWrite = args.includes("--no-write");
const only = args.filter((a) => !a.startsWith("--"));
const quick = process.env.BENCH_QUICK === "1";
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 360);

const all = readdirSync(dir).filter((f) => f.endsWith(".mjs")).sort();
const unknown = only.filter((m) => !all.includes(`${m}.mjs`));
if (unknown.length > 0) {
  console.error(`bench: no module ${unknown.map((m) => `scripts/bench/${m}.mjs`).join(", ")} (have: ${all.map((f) => path.basename(f, ".mjs")).join(", ")})`);
  process.exit(2);
}
const files = all.filter((f) => only.length === 0 || only.includes(path.basename(f, ".mjs")));

// Quick mode: fewer iterations through each module's own knobs (an explicit setting wins).
const quickDefaults = { BENCH_PAIRS: "10", BENCH_RESTARTS: "4", BENCH_QUOTA_RUNS: "8", BENCH_LS_RUNS: "5", BENCH_STATUSLINE_RUNS: "7" };
const childEnv = { ...process.env };
if (quick) for (const [k, v] of Object.entries(quickDefaults)) childEnv[k] ??= v;

// The child: import the module, run bench(), send the rows (or the error) back on fd 3.
const CHILD = `
import { writeSync } from "node:fs";
const send = (o) => writeSync(3, JSON.stringify(o));
try {
  const mod = await import(process.argv[1]);
  if (typeof mod.bench !== "function") throw new Error("does not export bench()");
  send({ rows: await mod.bench() });
  process.exit(0);
} catch (err) {
  send({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}
`;

/** The module process we started and its process group (pgid = its pid, from `detached`). */
let running = null;
function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (running) killGroup(running);
    process.stderr.write(`bench: ${sig}: stopped (the running module's temp dirs may be left)\n`);
    process.exit(130);
  });
}

function runModule(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, pathToFileURL(path.join(dir, file)).href], {
      cwd: root,
      env: childEnv,
      stdio: ["ignore", "inherit", "inherit", "pipe"],
      detached: true, // its own process group (see the header)
    });
    running = child;
    let out = "";
    child.stdio[3].setEncoding("utf8").on("data", (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child); // its finally blocks do not run, so the row says what may be left
    }, timeoutS * 1000);
    child.once("error", (err) => {
      clearTimeout(timer);
      resolve({ error: `could not start: ${err.message}` });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      running = null;
      if (timedOut) return resolve({ error: `no result within BENCH_TIMEOUT_S=${timeoutS} s; ended (it may have left temp dirs or processes)` });
      try {
        resolve(JSON.parse(out));
      } catch {
        resolve({ error: `exited ${code ?? signal} without a result` });
      }
    });
  });
}

const started = new Date();
const loadStart = os.loadavg();
const rows = [];
let failed = 0;
for (const f of files) {
  const module = path.basename(f, ".mjs");
  process.stderr.write(`bench: ${module} ...\n`);
  const t0 = Date.now();
  const r = await runModule(f);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.error || !Array.isArray(r.rows)) {
    failed++;
    const msg = r.error ?? "bench() did not return an array";
    process.stderr.write(`bench: ${module} FAILED after ${secs} s:\n${msg}\n`);
    rows.push({ module, name: "(module failed)", failed: true, detail: msg.split("\n")[0] });
  } else {
    process.stderr.write(`bench: ${module} done in ${secs} s\n`);
    for (const row of r.rows) rows.push({ module, ...row });
  }
}
const loadEnd = os.loadavg();
const finished = new Date();

const num = (x, digits) => (Number.isInteger(x) ? String(x) : x.toFixed(digits));
function result(r) {
  if (r.failed) return "FAILED";
  const parts = [];
  if (r.value !== undefined) parts.push(`${num(r.value, 2)}${r.unit ? " " + r.unit : ""}`);
  if (r.ratio !== undefined) parts.push(`ratio ${r.ratio.toFixed(3)}`);
  return parts.join(", ");
}

// ---- the terminal table ----
const table = rows.map((r) => [r.module, r.name, result(r), r.detail ?? ""]);
const widths = [0, 1, 2].map((i) => Math.max(...table.map((t) => t[i].length), 6));
for (const t of table) console.log(`${t[0].padEnd(widths[0])}  ${t[1].padEnd(widths[1])}  ${t[2].padEnd(widths[2])}  ${t[3]}`);
if (rows.length === 0) console.log("bench: no results");

// ---- docs/performance.md ----
function cpuModel() {
  const c = os.cpus();
  return c.length > 0 ? c[0].model.trim() : "unknown";
}
/** A module's method: its leading `//` comment block, as written by its author. */
function method(file) {
  const lines = readFileSync(path.join(dir, file), "utf8").split("\n");
  const out = [];
  for (const l of lines) {
    if (!l.startsWith("//")) break;
    out.push(l.replace(/^\/\/ ?/, ""));
  }
  return out.join("\n").trim();
}
const cell = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");
const fmtLoad = (l) => l.map((x) => x.toFixed(2)).join(" / ");

function renderDoc() {
  const out = [];
  out.push("# Performance");
  out.push("");
  out.push("<!-- Generated by `npm run bench` (scripts/bench.mjs). Do not edit by hand: rerun it. -->");
  out.push("");
  out.push(
    "Every figure below is measured by `npm run bench`, which runs each `scripts/bench/*.mjs` module in its own",
    "Node process and rewrites this page. Comparisons are made **side by side in the same run** (alternating",
    "pairs, medians), never against times stored from another run or machine: absolute milliseconds depend",
    "on the machine and its load, the ratios and the overshoot beyond configured waits are what to compare.",
    "",
  );
  out.push("## Run");
  out.push("");
  out.push(`- Date: ${started.toISOString()} (took ${((finished - started) / 1000).toFixed(0)} s)${quick ? " — **quick run** (`BENCH_QUICK=1`: fewer iterations, noisier figures)" : ""}`);
  out.push(`- Machine: ${os.cpus().length} cores (${cpuModel()}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`);
  out.push(`- Node ${process.version}; codex ${codexVersion()}`);
  out.push(`- Load average (1 / 5 / 15 min) at start: ${fmtLoad(loadStart)}; at the end: ${fmtLoad(loadEnd)}`);
  out.push("");
  out.push("## Results");
  out.push("");
  out.push("| module | measurement | result | compared with / how |");
  out.push("|---|---|---|---|");
  for (const r of rows) out.push(`| ${r.module} | ${cell(r.name)} | ${cell(result(r))} | ${cell(r.detail ?? "")} |`);
  out.push("");
  out.push("## Method, per module");
  out.push("");
  out.push("Each module's own description (its header comment), so this page says exactly what was run.");
  out.push("");
  for (const f of files) {
    out.push(`### ${path.basename(f, ".mjs")} — \`scripts/bench/${f}\``);
    out.push("");
    out.push(method(f));
    out.push("");
  }
  return out.join("\n");
}

function codexVersion() {
  try {
    return JSON.parse(readFileSync(path.join(root, "node_modules", "@openai", "codex", "package.json"), "utf8")).version;
  } catch {
    return "not installed";
  }
}

if (noWrite) {
  process.stderr.write("bench: --no-write: docs/performance.md left as is\n");
} else if (only.length > 0) {
  process.stderr.write("bench: only some modules were run: docs/performance.md left as is (run all to regenerate it)\n");
} else if (rows.length > 0) {
  const { writeFileAtomic } = existsSync(path.join(root, "dist", "fs", "atomic.js"))
    ? await import(pathToFileURL(path.join(root, "dist", "fs", "atomic.js")).href)
    : { writeFileAtomic: null };
  const text = renderDoc();
  if (writeFileAtomic) writeFileAtomic(docFile, text, { mode: 0o644 });
  else (await import("node:fs")).writeFileSync(docFile, text);
  process.stderr.write(`bench: wrote ${path.relative(root, docFile)}\n`);
}
process.exit(failed > 0 ? 1 : 0);
