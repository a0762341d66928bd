// The two config fields the shim needs, read with a plain JSON.parse: the hot path must not load zod
// (lib/config/schema.ts) just to learn that there is no config file. Full validation happens when the
// supervisor or the CLI loads the config. Errors are raised only for a field that is actually consulted.
import { existsSync, readFileSync } from "node:fs";
import { UsageError } from "../errors.js";
import { configFile, supervisorHome } from "../paths.js";

export interface ConfigPeek {
  file: string;
  /** Parsed top-level object, null when the file is missing; "corrupt" with the reason otherwise. */
  state: { kind: "missing" } | { kind: "ok"; value: Record<string, unknown> } | { kind: "corrupt"; why: string };
}

export function peekConfig(env: NodeJS.ProcessEnv): ConfigPeek {
  const file = configFile(supervisorHome(env));
  // existsSync first: the usual case is no config file, and a thrown ENOENT costs more than a stat.
  if (!existsSync(file)) return { file, state: { kind: "missing" } };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { file, state: { kind: "missing" } };
    return { file, state: { kind: "corrupt", why: `cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})` } };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { file, state: { kind: "corrupt", why: "is not a JSON object" } };
    }
    return { file, state: { kind: "ok", value: value as Record<string, unknown> } };
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
