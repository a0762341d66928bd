// Find processes whose environment holds KEY=VALUE (Linux /proc; elsewhere nothing is found). The demo
// uses it with its own unique CODEX_HOME path, so it can only ever match processes it started.
import fs from "node:fs";

export function findProcessesWithEnv(key: string, value: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const needle = `${key}=${value}`;
  const out: number[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const pid = Number(n);
    if (pid === process.pid) continue;
    let env: string;
    try {
      env = fs.readFileSync(`/proc/${n}/environ`, "utf8");
    } catch {
      continue; // gone, or not ours
    }
    if (env.split("\0").includes(needle)) out.push(pid);
  }
  return out;
}
