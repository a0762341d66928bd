// The one environment for every process a test starts: built from an allow-list, never a copy of the
// runner's environment minus some keys, so nothing of the developer's shell reaches a test — no
// CODEX_* (a CODEX_HOME, a job marker, our own settings), OPENAI_*, TMUX*, NODE_OPTIONS, XDG_*, npm_*,
// no dotfiles — unless the test adds it. What the allow-list keeps, and why:
// - PATH, the runner's: node, sh, tmux, script, ps are found where the machine has them. A test that
//   decides which codex is found puts its own directories first.
// - HOME: the caller's, else one empty directory of this test file (removed after it). codex and
//   bash read rc files and ~/.codex from it; a developer's dotfiles can start background jobs that
//   would read as our leftovers. One per file, not per call: a test that runs a command twice
//   expects the same home both times. It lives in the runner's cache dir, not the temp dir, as a
//   user's home does: codex warns on stderr about a ~/.codex under the temp dir.
// - TMPDIR, the runner's when it has one: a child's temp files land where the test's os.tmpdir() looks.
// - LANG=C.UTF-8, fixed (no LC_*): the same text and width rules on every machine.
// - No TERM: a test that means "a terminal" runs the program in tmux (which sets TERM itself) or under
//   `script`, and passes TERM explicitly.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

let fileHome: string | null = null;
// Removed after the test file (a vitest worker is ended without running "exit" handlers). Registered
// when this module loads, i.e. while the file's tests are collected.
afterAll(() => {
  if (fileHome !== null) fs.rmSync(fileHome, { recursive: true, force: true });
  fileHome = null;
});

function homesDir(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  const dir = path.join(cache, "codex-supervisor", "test-homes");
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return os.tmpdir(); // no writable cache dir: codex's warning is the lesser evil
  }
}

/** The empty HOME of this test file, made on first use. */
export function privateUserHome(): string {
  if (fileHome === null) {
    fileHome = fs.realpathSync(fs.mkdtempSync(path.join(homesDir(), "home-")));
  }
  return fileHome;
}

/**
 * The allow-listed base plus `extra`, which wins; a key set to `undefined` in `extra` is left out
 * (e.g. `{ TMPDIR: undefined }`).
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: "HOME" in extra ? undefined : privateUserHome(),
    TMPDIR: process.env.TMPDIR,
    LANG: "C.UTF-8",
  };
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries({ ...base, ...extra })) if (v !== undefined) env[k] = v;
  return env;
}
