// The process-table ports every process suite runs on: Linux's /proc port, and the macOS port against
// the simulation (macos-sim.ts). A suite does
//   describe.each(platformCases())("$label", (pc) => { usePlatform(pc); … pc.platform … });
// and passes pc.platform explicitly to what it tests (CLI children get pc.cliEnv(env)).
import { afterAll, beforeAll } from "vitest";
import { linuxPlatform } from "../../lib/process/linux.js";
import type { ProcessPlatform } from "../../lib/process/platform.js";
import { startMacosSim, type MacosSim } from "./macos-sim.js";

export interface PlatformCase {
  readonly label: string;
  readonly kind: "linux" | "macos";
  readonly platform: ProcessPlatform;
  /** The simulation (macOS only; null on Linux). */
  readonly sim: MacosSim | null;
  /** The environment for a CLI child running on this platform. */
  cliEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  setUp(): void;
  tearDown(): void;
}

function linuxCase(): PlatformCase {
  return { label: "linux (/proc)", kind: "linux", platform: linuxPlatform, sim: null, cliEnv: (b) => b, setUp() {}, tearDown() {} };
}

function macosCase(): PlatformCase {
  let sim: MacosSim | null = null;
  const need = () => {
    if (!sim) throw new Error("macOS simulation not set up: call usePlatform(pc) in the describe");
    return sim;
  };
  return {
    label: "macos (simulated ps/sysctl/lsof)",
    kind: "macos",
    get platform() {
      return need().platform;
    },
    get sim() {
      return need();
    },
    cliEnv: (b) => need().env(b),
    setUp() {
      sim ??= startMacosSim();
      sim.install();
    },
    tearDown() {
      sim?.dispose();
      sim = null;
    },
  };
}

export function platformCases(): PlatformCase[] {
  return [linuxCase(), macosCase()];
}

/** Set the case up for the enclosing describe (the simulation's bin dir first on PATH) and tear it down after. */
export function usePlatform(pc: PlatformCase): void {
  beforeAll(() => pc.setUp());
  afterAll(() => pc.tearDown());
}
