// Types of bin.mjs (a plain .mjs so the stand-ins run without a build step).
export declare const STANDIN_TOOLS: readonly string[];

export interface StandinBin {
  dir: string;
  binDir: string;
  /** Every call since the last reset: "<tool> <args…>". */
  calls(): string[];
  reset(): void;
  dispose(): void;
}

export declare function makeStandinBin(opts: { restricted: string[] }): StandinBin;
