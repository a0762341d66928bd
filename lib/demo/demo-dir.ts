// Where the demo keeps its throw-away CODEX_HOME and supervisor home. Not under the temp dir: codex
// refuses to create its helper binaries (PATH aliases) under it and prints "Refusing to create helper
// binaries under temporary dir" on the newcomer's screen. The user's cache dir is the conventional
// place for disposable per-user state, and the run's directory is removed on exit.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** `${XDG_CACHE_HOME:-~/.cache}/codex-supervisor` (pure; a relative XDG_CACHE_HOME is ignored, per the XDG spec). */
export function demoCacheBase(env: NodeJS.ProcessEnv, homeDir: string): string {
  const xdg = env.XDG_CACHE_HOME;
  const cache = xdg && path.isAbsolute(xdg) ? xdg : path.join(homeDir, ".cache");
  return path.join(cache, "codex-supervisor");
}

/** A fresh private `<cache>/codex-supervisor/demo-XXXXXX` (0700), realpath'd. */
export function makeDemoRoot(env: NodeJS.ProcessEnv, homeDir: string = os.homedir()): string {
  const base = demoCacheBase(env, homeDir);
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  return fs.realpathSync(fs.mkdtempSync(path.join(base, "demo-")));
}
