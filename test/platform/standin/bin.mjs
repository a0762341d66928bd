// Makes a private bin directory holding the macOS stand-ins (ps, sysctl, lsof) as small sh wrappers
// that run the .mjs next to this file with this Node, plus the settings they read and the log every
// call is appended to. Shared by the test simulation (../macos-sim.ts) and the bench.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const STANDIN_TOOLS = ["ps", "sysctl", "lsof"];

/** @param {{ restricted: string[] }} opts */
export function makeStandinBin(opts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-macos-sim-"));
  const binDir = path.join(dir, "bin");
  fs.mkdirSync(binDir);
  const callsFile = path.join(dir, "calls.log");
  const configFile = path.join(dir, "config.json");
  fs.writeFileSync(callsFile, "");
  fs.writeFileSync(configFile, JSON.stringify({ callsFile, restricted: opts.restricted }));
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  for (const tool of STANDIN_TOOLS) {
    const script = path.join(HERE, `${tool}.mjs`);
    fs.writeFileSync(path.join(binDir, tool), `#!/bin/sh\nMACOS_SIM_CONFIG=${q(configFile)} exec ${q(process.execPath)} ${q(script)} "$@"\n`, { mode: 0o755 });
  }
  return {
    dir,
    binDir,
    /** Every call since the last reset: "<tool> <args…>". */
    calls: () => fs.readFileSync(callsFile, "utf8").split("\n").filter(Boolean),
    reset: () => fs.writeFileSync(callsFile, ""),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
