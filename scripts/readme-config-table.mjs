#!/usr/bin/env node
// `npm run docs:config`: rewrite the README's config table (between its config-table markers) from
// the one table of fields in lib/config/schema.ts (through dist/: build first). test/docs/readme.test.ts
// fails when the two differ, so a new field is one command away from documented.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { describeConfig } = await import(pathToFileURL(path.join(root, "dist", "config", "schema.js")).href);
const START = "<!-- config-table:start -->";
const END = "<!-- config-table:end -->";
const file = path.join(root, "README.md");
const readme = readFileSync(file, "utf8");
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a < 0 || b < a) {
  console.error(`docs:config: ${file} has no ${START} … ${END} markers`);
  process.exit(1);
}
const rows = describeConfig().map((r) => `| \`${r.field}\` | \`${r.env}\` | \`${r.default}\` | ${r.meaning} |`);
const table = ["| field | variable | default | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
const next = `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`;
if (next !== readme) writeFileSync(file, next);
console.log(`docs:config: ${rows.length} fields${next === readme ? " (unchanged)" : ` written to ${file}`}`);
