// Which `codex` does the shell run, and is it our shim? Split into a pure verdict over the PATH
// entries (table-tested) and a small scan of the file system that produces those entries.
import fs from "node:fs";
import path from "node:path";
import { candidateKind } from "../codex/resolve-real-codex.js";
import type { Finding } from "./finding.js";

/** One PATH directory that holds an executable `codex`. */
export interface CodexOnPath {
  /** 0-based position of the directory in PATH. */
  index: number;
  dir: string;
  file: string;
  /** True when the file is our shim: the same file by realpath, or a byte-identical copy. */
  isShim: boolean;
}

const SHELLENV_FIX = 'add `eval "$(codex-supervisor shellenv)"` as the last PATH change in your shell rc, then open a new shell';

/** The verdict on PATH order. Pure. */
export function judgePathOrder(found: CodexOnPath[], shimDir: string): Finding[] {
  const first = found[0];
  const shim = found.find((c) => c.isShim);
  if (!first) {
    return [{ check: "path", level: "fail", message: `no \`codex\` on PATH at all (the shim is in ${shimDir})`, fix: SHELLENV_FIX }];
  }
  if (!shim) {
    return [
      {
        check: "path",
        level: "fail",
        message: `\`codex\` runs ${first.file}, not the shim; the shim directory ${shimDir} is not on PATH`,
        fix: SHELLENV_FIX,
      },
    ];
  }
  if (!first.isShim) {
    return [
      {
        check: "path",
        level: "fail",
        message: `\`codex\` runs ${first.file} (PATH entry ${first.index + 1}); the shim ${shim.file} comes later (PATH entry ${shim.index + 1}), so nothing is supervised`,
        fix: `put the shim directory before ${first.dir}: ${SHELLENV_FIX}`,
      },
    ];
  }
  return [{ check: "path", level: "ok", message: `\`codex\` is the shim (${first.file})` }];
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when `file` is the shim itself (realpath) or a copy of it (it carries the shim's marker). */
export function isShimFile(file: string, shimFile: string): boolean {
  try {
    if (fs.realpathSync(file) === fs.realpathSync(shimFile)) return true;
    return candidateKind(file) === "shim";
  } catch {
    return false;
  }
}

/** Every executable `codex` along `pathVar`, in PATH order (an empty entry means the current directory, as in sh). */
export function scanPathForCodex(pathVar: string, shimFile: string, cwd: string = process.cwd()): CodexOnPath[] {
  const out: CodexOnPath[] = [];
  const seen = new Set<string>();
  pathVar.split(path.delimiter).forEach((entry, index) => {
    const dir = path.resolve(cwd, entry === "" ? "." : entry);
    const file = path.join(dir, "codex");
    if (seen.has(file) || !isExecutableFile(file)) return;
    seen.add(file);
    out.push({ index, dir, file, isShim: isShimFile(file, shimFile) });
  });
  return out;
}
