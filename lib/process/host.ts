// The one place that picks the process-table port from the platform we run on. Every lib/process
// function takes a port and defaults to this one; tests pass another explicitly.
import { DomainError } from "../errors.js";
import { linuxPlatform } from "./linux.js";
import { macosPlatform } from "./macos.js";
import type { ProcessPlatform } from "./platform.js";

/** Supervision needs a process table we can read: Linux (/proc) or macOS (ps). */
class UnsupportedPlatformError extends DomainError {
  constructor(platform: string) {
    super("unsupported-platform", `supervising codex needs Linux or macOS to track its processes; this is ${platform} (plain \`codex\` passthrough works everywhere)`);
    this.name = "UnsupportedPlatformError";
  }
}

let host: ProcessPlatform | null = null;

export function hostPlatform(): ProcessPlatform {
  if (host) return host;
  if (process.platform === "linux") host = linuxPlatform;
  else if (process.platform === "darwin") host = macosPlatform();
  else throw new UnsupportedPlatformError(process.platform);
  return host;
}
