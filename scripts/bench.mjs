#!/usr/bin/env node
// `npm run bench`: run every scripts/bench/*.mjs module (each exports
// `async function bench(): Promise<Array<{name, ratio?, value?, unit?, detail}>>`) one after the other
// and print one table. Ratios are measured side by side inside each module, never against stored times.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "bench");
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".mjs"))
  .filter((f) => only.length === 0 || only.includes(path.basename(f, ".mjs")))
  .sort();

const rows = [];
let failed = false;
for (const f of files) {
  const mod = await import(pathToFileURL(path.join(dir, f)).href);
  if (typeof mod.bench !== "function") {
    console.error(`bench: ${f} does not export bench()`);
    failed = true;
    continue;
  }
  try {
    for (const r of await mod.bench()) rows.push({ module: path.basename(f, ".mjs"), ...r });
  } catch (err) {
    console.error(`bench: ${f} failed: ${err instanceof Error ? err.stack : String(err)}`);
    failed = true;
  }
}

const fmt = (r) => (r.ratio !== undefined ? `ratio ${r.ratio.toFixed(3)}` : r.value !== undefined ? `${r.value}${r.unit ? " " + r.unit : ""}` : "");
const table = rows.map((r) => [r.module, r.name, fmt(r), r.detail ?? ""]);
const widths = [0, 1, 2].map((i) => Math.max(...table.map((t) => t[i].length), 6));
for (const t of table) console.log(`${t[0].padEnd(widths[0])}  ${t[1].padEnd(widths[1])}  ${t[2].padEnd(widths[2])}  ${t[3]}`);
if (rows.length === 0) console.log("bench: no results");
process.exit(failed ? 1 : 0);
