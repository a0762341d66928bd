// The two config fields the shim needs, read with a plain JSON.parse: the hot path must not load zod
// (lib/config/schema.ts) just to learn that there is no config file. Full validation happens when the
// supervisor or the CLI loads the config. Errors are raised only for a field that is actually consulted.
//
// Trust, cheaply: the usual case (no config) costs one lstat. A config that exists is used only if it
// is ours alone — a regular file (never a symlink) owned by the user and not writable by group/others,
// and the file opened is the one examined (fstat matches) — else UnsafePathError (exit 2): a config
// planted by another user could name the "real codex" we run (docs/architecture.md §4, "Trust").
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type Stats } from "node:fs";
import { UsageError } from "../errors.js";
import { ownProblem, UnsafePathError } from "../fs/trust.js";
import { configFile, supervisorHome } from "../paths.js";

/** What was verified about the config file (for a cache keyed on it). */
interface ConfigFileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  uid: number;
  mode: number;
}

export interface ConfigPeek {
  file: string;
  /** Parsed top-level object, null when the file is missing; "corrupt" with the reason otherwise. */
  state:
    | { kind: "missing" }
    | { kind: "ok"; value: Record<string, unknown>; identity: ConfigFileIdentity }
    | { kind: "corrupt"; why: string };
}

function refuseUnlessOurs(file: string, st: Stats): void {
  const bad = ownProblem(st, "file", file);
  if (bad) throw new UnsafePathError(file, "the config file", bad.problem, `fix: ${bad.fix}`);
}

export function peekConfig(env: NodeJS.ProcessEnv): ConfigPeek {
  const file = configFile(supervisorHome(env));
  let before: Stats | undefined;
  try {
    before = lstatSync(file, { throwIfNoEntry: false });
  } catch (err) {
    return { file, state: { kind: "corrupt", why: `cannot be examined (${(err as NodeJS.ErrnoException).code ?? "error"})` } };
  }
  if (!before) return { file, state: { kind: "missing" } };
  refuseUnlessOurs(file, before);
  let text: string;
  let st: Stats;
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      st = fstatSync(fd);
      text = readFileSync(fd, "utf8");
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { file, state: { kind: "missing" } };
    if ((err as NodeJS.ErrnoException).code === "ELOOP") refuseUnlessOurs(file, lstatSync(file));
    return { file, state: { kind: "corrupt", why: `cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})` } };
  }
  // Replaced between the lstat and the open: judge what was opened.
  if (st.dev !== before.dev || st.ino !== before.ino) refuseUnlessOurs(file, st);
  const identity: ConfigFileIdentity = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, uid: st.uid, mode: st.mode };
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { file, state: { kind: "corrupt", why: "is not a JSON object" } };
    }
    return { file, state: { kind: "ok", value: value as Record<string, unknown>, identity } };
  } catch (err) {
    return { file, state: { kind: "corrupt", why: `is not valid JSON (${(err as Error).message})` } };
  }
}

function fieldValue(peek: ConfigPeek, name: string): unknown {
  if (peek.state.kind === "corrupt") {
    throw new UsageError(`config ${peek.file} ${peek.state.why}; needed for field ${name}`);
  }
  return peek.state.kind === "ok" ? peek.state.value[name] : undefined;
}

/** `realCodexBin`: a non-empty string, or null when absent/null. */
export function peekRealCodexBin(peek: ConfigPeek): string | null {
  const v = fieldValue(peek, "realCodexBin");
  if (v === undefined || v === null) return null;
  if (typeof v !== "string" || v.length === 0) {
    throw new UsageError(`config ${peek.file}: field realCodexBin must be a non-empty string (a path to the real codex)`);
  }
  return v;
}

/** `codexCliSessionSupervisor`: a boolean (absent = false). */
export function peekSupervisorOptIn(peek: ConfigPeek): boolean {
  const v = fieldValue(peek, "codexCliSessionSupervisor");
  if (v === undefined) return false;
  if (typeof v !== "boolean") {
    throw new UsageError(`config ${peek.file}: field codexCliSessionSupervisor must be true or false`);
  }
  return v;
}
