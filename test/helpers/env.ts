// The one environment for every process a test starts: built from an allow-list, never a copy of the
// runner's environment minus some keys, so nothing of the developer's shell reaches a test — no
// CODEX_* (a CODEX_HOME, a job marker, our own settings), OPENAI_*, TMUX*, NODE_OPTIONS, XDG_*, npm_*,
// no dotfiles — unless the test adds it. What the allow-list keeps, and why:
// - PATH, the runner's: node, sh, tmux, script, ps are found where the machine has them. A test that
//   decides which codex is found puts its own directories first.
// - HOME: the caller's, else one empty directory of this test process (removed at exit). codex and
//   bash read rc files and ~/.codex from it; a developer's dotfiles can start background jobs that
//   would read as our leftovers. One per process, not per call: a test that runs a command twice
//   expects the same home both times (the shim's launch record is keyed on what HOME resolves to).
// - TMPDIR, the runner's when it has one: a child's temp files land where the test's os.tmpdir() looks.
// - LANG=C.UTF-8, fixed (no LC_*): the same text and width rules on every machine.
// - No TERM: a test that means "a terminal" runs the program in tmux (which sets TERM itself) or under
//   `script`, and passes TERM explicitly.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

let processHome: string | null = null;

/** The empty HOME of this test process, made on first use. */
export function privateUserHome(): string {
  if (processHome === null) {
    const made = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "cxs-user-")));
    processHome = made;
    process.once("exit", () => fs.rmSync(made, { recursive: true, force: true }));
  }
  return processHome;
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
