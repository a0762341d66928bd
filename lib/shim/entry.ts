// The Node side of shim/codex (POSIX sh), which starts it two ways:
//   node dist/shim/entry.js run <codex argv...>      the full path: opt-in, supervisor or passthrough
//   node dist/shim/entry.js decide [<record file>]   print a launch record for the sh to exec (decide.ts)
// The mode is an argument, not an environment variable: nothing of it can leak to codex.
// Loads the one-file bundle of lib/shim/main.ts (scripts/bundle-shim.mjs); a plain tsc build has none.
import { fileURLToPath } from "node:url";

type Shim = typeof import("./main.js");

const shimFile = fileURLToPath(new URL("../../shim/codex", import.meta.url));
const bundle = "./bundle.js";
let shim: Shim;
try {
  shim = (await import(bundle)) as Shim;
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  if (e?.code !== "ERR_MODULE_NOT_FOUND" || !String(e.message).includes("bundle.js")) throw err;
  shim = await import("./main.js");
}
const [mode, ...rest] = process.argv.slice(2);
if (mode === "decide") shim.runDecide(shimFile, rest[0] || null);
else if (mode === "run") await shim.runShim(shimFile, rest);
else {
  process.stderr.write("codex-supervisor: dist/shim/entry.js is started by shim/codex (run <argv> | decide [file])\n");
  process.exit(2);
}
