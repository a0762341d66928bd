#!/usr/bin/env node
// Bundle the shim's hot path (dist/shim/main.js and the modules it imports statically) into ONE file,
// dist/shim/bundle.js. Why: on Node 20 each extra ES module costs ~0.6 ms of start-up, and the shim
// must start codex as fast as the official launcher (one module). Run by scripts/build.mjs after tsc.
// The supervised path gets the same treatment (bundleSupervisor below): ~46 modules → one file saves
// ~12 ms of every supervised launch (docs/performance.md).
//
// Deliberately tiny and strict: it accepts only what tsc emits for our hot-path modules —
// single-line `import { a, b as c } from "<spec>";`, `import x from "node:<m>";` and
// `export function|async function|class|const|let NAME`, `export { a, b as c } from "./x.js";` and
// literal relative `import("./x.js")` (pointed at the bundled copy, or re-aimed from the bundle's
// directory) — and fails the build on anything else (namespace imports of our modules, cycles,
// computed dynamic imports or import.meta outside the bundle's directory), so it can never silently
// mis-bundle.
// Each module becomes a function scope; node: builtins are imported once at the top.
import { createHash } from "node:crypto";
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const IMPORT_RE = /^import\s+(.+?)\s+from\s+"([^"]+)";[ \t]*$/gm;
const REEXPORT_RE = /^export\s+\{([^}]*)\}\s+from\s+"([^"]+)";[ \t]*$/gm;
const EXPORT_DECL_RE = /^export\s+(?:async\s+function\*?|function\*?|class|const|let)\s+([A-Za-z_$][\w$]*)/gm;

function fail(msg) {
  throw new Error(`bundle-shim: ${msg}`);
}

export function bundleShim(
  entry = path.join(root, "dist", "shim", "main.js"),
  out = path.join(root, "dist", "shim", "bundle.js"),
  { packages = false, fallback = null } = {},
) {
  const modules = new Map(); // abs path → { id, body, exportsList }
  const builtins = new Map(); // "node:fs" (or, with `packages`, "proper-lockfile") → identifier
  const order = [];
  const visiting = new Set();

  const builtinId = (spec) => {
    if (!builtins.has(spec)) builtins.set(spec, `__builtin_${spec.replace(/[^A-Za-z0-9]/g, "_")}`);
    return builtins.get(spec);
  };

  function load(file) {
    if (modules.has(file)) return modules.get(file);
    if (visiting.has(file)) fail(`import cycle through ${path.relative(root, file)}`);
    visiting.add(file);
    let src = readFileSync(file, "utf8");
    src = src.replace(/^export \{\};\s*$/m, "");
    // `export { a, b as c } from "./x.js";` (a re-export of one of our modules): bind and re-export.
    const reexports = [];
    src = src.replace(REEXPORT_RE, (_m, list, spec) => {
      if (!spec.startsWith(".")) fail(`${path.relative(root, file)}: re-export of ${spec}`);
      reexports.push({ list, spec });
      return "";
    });
    if (/^\s*export\s*(\{|\*|default)/m.test(src)) fail(`${path.relative(root, file)}: unsupported export form`);
    if (/^import\s+["']/m.test(src)) fail(`${path.relative(root, file)}: side-effect import`);
    const prelude = [];
    src = src.replace(IMPORT_RE, (_m, clause, spec) => {
      // With `packages`, a bare package import stays a real import at the top of the bundle, bound
      // the same way as a builtin (default import = the namespace's `default`).
      if (spec.startsWith("node:") || (packages && /^[@a-z]/.test(spec))) {
        const id = builtinId(spec);
        const named = /^\{(.*)\}$/.exec(clause.trim());
        if (named) prelude.push(`const {${named[1].replace(/\s+as\s+/g, ": ")}} = ${id};`);
        else if (/^[A-Za-z_$][\w$]*$/.test(clause.trim())) prelude.push(`const ${clause.trim()} = ${id}.default ?? ${id};`);
        else fail(`${path.relative(root, file)}: unsupported import of ${spec}`);
        return "";
      }
      if (!spec.startsWith(".")) fail(`${path.relative(root, file)}: bare import ${spec} would not be bundled`);
      const named = /^\{(.*)\}$/.exec(clause.trim());
      if (!named) fail(`${path.relative(root, file)}: only named imports of our modules are supported (${clause})`);
      const dep = load(path.resolve(path.dirname(file), spec));
      prelude.push(`const {${named[1].replace(/\s+as\s+/g, ": ")}} = ${dep.id};`);
      return "";
    });
    if (/^\s*import\s/m.test(src)) fail(`${path.relative(root, file)}: an import the bundler did not understand`);
    const exportsList = [];
    for (const { list, spec } of reexports) {
      const dep = load(path.resolve(path.dirname(file), spec));
      const names = list.split(",").map((x) => x.trim()).filter(Boolean);
      for (const n of names) {
        const m = /^([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/.exec(n);
        if (!m) fail(`${path.relative(root, file)}: re-export the bundler did not understand (${n})`);
        prelude.push(`const { ${m[1]}: ${m[2] ?? m[1]} } = ${dep.id};`);
        exportsList.push(m[2] ?? m[1]);
      }
    }
    src = src.replace(EXPORT_DECL_RE, (m, name) => {
      exportsList.push(name);
      return m.replace(/^export\s+/, "");
    });
    if (/^export\s/m.test(src)) fail(`${path.relative(root, file)}: an export the bundler did not understand`);
    const id = `__mod_${modules.size}_${path.basename(file, ".js").replace(/[^A-Za-z0-9]/g, "_")}`;
    const mod = { id, file, body: `${prelude.join("\n")}\n${src}`, exportsList };
    modules.set(file, mod);
    visiting.delete(file);
    order.push(mod);
    return mod;
  }

  const main = load(entry);
  const outDir = path.dirname(out);
  for (const m of order) {
    const rel = path.relative(root, m.file);
    const sameDir = path.dirname(m.file) === outDir;
    // A relative dynamic import resolves against the file it is written in: point it at the bundled
    // copy (same instance as the static imports) or re-aim it from the bundle's directory.
    m.body = m.body.replace(/\bimport\("(\.[^"]+)"\)/g, (_m, spec) => {
      const target = path.resolve(path.dirname(m.file), spec);
      if (modules.has(target)) return `Promise.resolve(${modules.get(target).id})`;
      let again = path.relative(outDir, target);
      if (!again.startsWith(".")) again = `./${again}`;
      return `import("${again}")`;
    });
    // Anything else that depends on the module's own location only works from the bundle's directory.
    if (!sameDir && /\bimport\((?!Promise)(?!")/.test(m.body.replace(/\bimport\("[^"]*"\)/g, ""))) fail(`${rel}: a dynamic import with a computed specifier`);
    if (!sameDir && /\bimport\.meta\b/.test(m.body.replace(/createRequire\(import\.meta\.url\)\("[^".][^"]*"\)/g, ""))) {
      fail(`${rel}: import.meta (other than createRequire(import.meta.url)("<package>")) would point at the bundle`);
    }
  }
  const parts = [
    `// GENERATED by scripts/bundle-shim.mjs from ${path.relative(root, entry)} and its static imports. Do not edit.`,
    ...[...builtins].map(([spec, id]) => `import * as ${id} from "${spec}";`),
  ];
  const bodies = [];
  for (const m of order) {
    bodies.push(`// ---- ${path.relative(path.join(root, "dist"), m.file)}`);
    bodies.push(`const ${m.id} = (() => {\n${m.body}\nreturn { ${m.exportsList.join(", ")} };\n})();`);
  }
  if (fallback) {
    // A bundle older than its sources (rebuilt with plain tsc, no bundle step) must not run stale code:
    // each source's size and mtime is recorded here and checked at load (46 stats, well under 1 ms);
    // when a stat differs (tsc rewrites every file, mostly unchanged), the recorded content hash
    // decides; on any real difference the unbundled entry runs instead.
    const sources = order.map((m) => {
      const st = statSync(m.file);
      let rel = path.relative(outDir, m.file);
      if (!rel.startsWith(".")) rel = `./${rel}`;
      return [rel, st.size, st.mtimeMs, createHash("sha256").update(readFileSync(m.file)).digest("hex")];
    });
    parts.push(`import { readFileSync as __readFileSync, statSync as __statSync } from "node:fs";`);
    parts.push(`import { createHash as __createHash } from "node:crypto";`);
    parts.push(`const __sources = ${JSON.stringify(sources)};`);
    parts.push(
      [
        "function __fresh() {",
        "  try {",
        "    for (const [rel, size, mtimeMs, sha256] of __sources) {",
        "      const file = new URL(rel, import.meta.url);",
        "      const st = __statSync(file);",
        "      if (st.size === size && st.mtimeMs === mtimeMs) continue;",
        '      if (__createHash("sha256").update(__readFileSync(file)).digest("hex") !== sha256) return false;',
        "    }",
        "    return true;",
        "  } catch {",
        "    return false;",
        "  }",
        "}",
      ].join("\n"),
    );
    parts.push(`const __main = __fresh() ? (() => {\n${bodies.join("\n")}\nreturn ${main.id};\n})() : await import(${JSON.stringify(fallback)});`);
    parts.push(`export const { ${main.exportsList.join(", ")} } = __main;`);
  } else {
    parts.push(...bodies);
    parts.push(`export const { ${main.exportsList.join(", ")} } = ${main.id};`);
  }
  const text = parts.join("\n") + "\n";
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, out);
  return { out, modules: order.map((m) => path.relative(root, m.file)) };
}

/**
 * The supervised path (dist/supervisor/entry.js: ~46 of our modules plus proper-lockfile, cross-spawn,
 * signal-exit) as ONE file, dist/supervisor/bundle.js, which the shim imports when opted in. Packages
 * stay real imports. The bundle checks at load that its sources are unchanged and otherwise runs
 * ./entry.js, so a later `tsc`-only build never runs stale code.
 */
export function bundleSupervisor(out = path.join(root, "dist", "supervisor", "bundle.js")) {
  return bundleShim(path.join(path.dirname(out), "entry.js"), out, { packages: true, fallback: "./entry.js" });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  bundleShim();
  bundleSupervisor();
}
