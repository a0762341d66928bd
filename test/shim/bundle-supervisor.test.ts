// scripts/bundle-shim.mjs with the options the supervised path uses (packages kept as imports, a
// fallback entry): on a small module graph in a temp dir it must keep one instance per module (a
// literal dynamic import of a bundled module gets the bundled copy), re-export names, keep a package
// import working, and run the plain entry instead as soon as a source's content changes (a tsc-only
// rebuild after the bundle) — but not when a source was merely rewritten with the same content.
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { removeDir, ROOT, tempDir } from "./shim-harness.js";

let dir: string;
let bundle: string;

const files: Record<string, string> = {
  "sup/entry.js": [
    'import { counter, bump } from "../lib/state.js";',
    'import { MARK } from "../lib/reexport.js";',
    'import { onExit } from "signal-exit";',
    'import lockfile from "proper-lockfile";',
    "export async function probe() {",
    '  const again = await import("../lib/state.js");',
    "  bump();",
    "  return { sameInstance: again.counter() === counter(), mark: MARK, pkg: typeof onExit === \"function\" && typeof lockfile.lockSync === \"function\", url: import.meta.url };",
    "}",
  ].join("\n"),
  "lib/state.js": "let n = 0;\nexport function bump() {\n  n++;\n}\nexport function counter() {\n  return n;\n}\n",
  "lib/reexport.js": 'export { MARK } from "./mark.js";\n',
  "lib/mark.js": 'export const MARK = "v1";\n',
};

beforeAll(async () => {
  dir = tempDir("bundle-sup-");
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  const mod = (await import(path.join(ROOT, "scripts", "bundle-shim.mjs"))) as {
    bundleShim: (entry: string, out: string, opts: { packages: boolean; fallback: string }) => { modules: string[] };
  };
  bundle = path.join(dir, "sup", "bundle.js");
  mod.bundleShim(path.join(dir, "sup", "entry.js"), bundle, { packages: true, fallback: "./entry.js" });
});
afterAll(() => removeDir(dir));

/** Import the bundle in a fresh node and report what ran (the bundle or the plain entry) and how. */
function run(): { sameInstance: boolean; mark: string; pkg: boolean; url: string } {
  const code = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(JSON.stringify(await m.probe()));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as ReturnType<typeof run>;
}

it("the bundle runs its own copies: one instance per module, re-exports and packages work", () => {
  const r = run();
  expect(r).toMatchObject({ sameInstance: true, mark: "v1", pkg: true });
  expect(r.url.endsWith("/sup/bundle.js")).toBe(true);
});

it("a source rewritten with the same content (new mtime) still uses the bundle", () => {
  const f = path.join(dir, "lib", "mark.js");
  writeFileSync(f, files["lib/mark.js"]!);
  utimesSync(f, new Date(), new Date(Date.now() + 5000));
  expect(run().url.endsWith("/sup/bundle.js")).toBe(true);
});

it("a changed source makes the bundle run the plain entry (never stale code)", () => {
  writeFileSync(path.join(dir, "lib", "mark.js"), 'export const MARK = "v2";\n');
  const r = run();
  expect(r.url.endsWith("/sup/entry.js")).toBe(true);
  expect(r).toMatchObject({ sameInstance: true, mark: "v2", pkg: true });
});
