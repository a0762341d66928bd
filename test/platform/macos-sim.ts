// The macOS simulation: stand-in `ps`, `sysctl` and `lsof` executables (test/platform/standin/) that
// answer in macOS's formats from the real process table, in a private bin directory to put first on
// PATH, plus a log of every call so a test can count them. The macOS port (lib/process/macos.ts) runs
// against them unchanged: it finds its tools on PATH like on a Mac.
//
// In-process tests pass `sim.platform` explicitly (install() puts the bin directory first on this
// process's PATH while a suite runs). A CLI child gets `sim.env(base)`: the same PATH plus a preload
// (preload-darwin.mjs) that makes process.platform "darwin", so the CLI's own composition
// (lib/process/host.ts) picks the macOS port as it would on a Mac.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { macosPlatform } from "../../lib/process/macos.js";
import type { ProcessPlatform } from "../../lib/process/platform.js";
import { makeStandinBin } from "./standin/bin.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export type SimTool = "ps" | "sysctl" | "lsof";

/**
 * Executables whose environment a real Mac (SIP on) does not show to ps: Apple's own, code-signing
 * restricted binaries. Node and the native codex show theirs. By executable name, as /proc/PID/exe says.
 */
export const APPLE_RESTRICTED = ["sh", "dash", "bash", "zsh", "sleep", "env", "cat", "true", "false", "tail", "head", "grep", "sed", "awk", "perl", "ruby"];

export interface MacosSim {
  readonly binDir: string;
  /** The macOS port, as a Mac's composition would build it. */
  readonly platform: ProcessPlatform;
  /** Every stand-in call since the last reset, e.g. "ps -wwEA -o pid=,…". */
  calls(tool?: SimTool): string[];
  reset(): void;
  /** Put the stand-ins first on this process's PATH (until uninstall()). */
  install(): void;
  uninstall(): void;
  /** The environment for a CLI child that should run as on a Mac. */
  env(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  dispose(): void;
}

export function startMacosSim(opts: { restricted?: readonly string[] } = {}): MacosSim {
  const bin = makeStandinBin({ restricted: [...(opts.restricted ?? APPLE_RESTRICTED)] });
  const binDir = bin.binDir;
  const preload = pathToFileURL(path.join(HERE, "preload-darwin.mjs")).href;
  let savedPath: string | undefined;
  let installed = false;
  const withBin = (p: string | undefined) => [binDir, ...(p ?? "").split(":").filter((d) => d !== "" && d !== binDir)].join(":");
  return {
    binDir,
    platform: macosPlatform(),
    calls(tool) {
      const lines = bin.calls();
      return tool ? lines.filter((l) => l.startsWith(`${tool} `) || l === tool) : lines;
    },
    reset() {
      bin.reset();
    },
    install() {
      if (installed) return;
      savedPath = process.env.PATH;
      process.env.PATH = withBin(savedPath);
      installed = true;
    },
    uninstall() {
      if (!installed) return;
      process.env.PATH = savedPath;
      installed = false;
    },
    env(base) {
      const nodeOptions = [base.NODE_OPTIONS, `--import=${preload}`].filter(Boolean).join(" ");
      return { ...base, PATH: withBin(base.PATH), NODE_OPTIONS: nodeOptions };
    },
    dispose() {
      this.uninstall();
      bin.dispose();
    },
  };
}
