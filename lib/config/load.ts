// loadConfig(env): <home>/config.json (missing = defaults), strictly validated, then the CODEX_AUTH_*
// overrides, parsed and validated the same way. Every error is a ConfigError that names the file and
// field, or the variable, and says what was expected. Before anything is read, CODEX_HOME and the
// home must be fit to use (lib/fs/trust.ts): an UnsafePathError or CodexHomeMissingError otherwise.
import { DomainError } from "../errors.js";
import { reasonOf } from "../fs/errors.js";
import { readTextNoFollow } from "../fs/nofollow.js";
import { assertCodexHomeUsable, assertTrustedHome } from "../fs/trust.js";
import { codexHome, configFile, supervisorHome, type Env } from "../paths.js";
import { parseSwitch } from "./opt-in.js";
import {
  CONFIG_FIELD_NAMES,
  CONFIG_FIELDS,
  configFileSchema,
  crossFieldProblems,
  defaultConfig,
  type Config,
  type ConfigField,
} from "./schema.js";

export class ConfigError extends DomainError {
  constructor(message: string) {
    super("config-invalid", message);
    this.name = "ConfigError";
  }
}

type ConfigSource = "default" | "file" | "env";

export interface LoadedConfig {
  config: Config;
  /** The config file that was looked at. */
  file: string;
  fileState: "missing" | "ok";
  /** Where each field's value came from (for `doctor`). */
  sources: Record<ConfigField, ConfigSource>;
}

/** Short, bounded rendering of a bad value for a message (never the whole of a huge value). */
function show(value: unknown): string {
  let s: string;
  try {
    s = value === undefined ? "nothing" : JSON.stringify(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Case-insensitive / near-miss suggestion for an unknown field (a typo such as sigintWaitMS). */
function suggest(key: string): string {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  for (const f of CONFIG_FIELD_NAMES) {
    if (f.toLowerCase() === k) return f;
  }
  let best: { f: string; d: number } | null = null;
  for (const f of CONFIG_FIELD_NAMES) {
    const d = editDistance(k, f.toLowerCase());
    if (d <= 3 && (!best || d < best.d)) best = { f, d };
  }
  return best ? best.f : "";
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

function readConfigFile(file: string): { state: "missing" } | { state: "ok"; value: unknown } {
  let text: string | null;
  try {
    text = readTextNoFollow(file);
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${reasonOf(err)}`);
  }
  if (text === null) return { state: "missing" };
  try {
    return { state: "ok", value: JSON.parse(text) };
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON (${(err as Error).message}); expected an object such as {"codexCliSessionSupervisor": true}`);
  }
}

function fileProblems(file: string, value: unknown): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [`expected a JSON object of settings, got ${show(value)}`];
  }
  const r = configFileSchema.safeParse(value);
  if (r.success) return [];
  const out: string[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const hint = suggest(key);
        out.push(`unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}; known fields: ${CONFIG_FIELD_NAMES.join(", ")}`);
      }
      continue;
    }
    const field = issue.path[0];
    if (typeof field === "string" && Object.hasOwn(CONFIG_FIELDS, field)) {
      const f = field as ConfigField;
      out.push(`field "${f}": expected ${CONFIG_FIELDS[f].expected}, got ${show((value as Record<string, unknown>)[f])}`);
    } else {
      out.push(issue.message);
    }
  }
  return out;
}

/** Parse one CODEX_AUTH_* value for `field`; returns the value or a problem text. */
function parseEnvValue(field: ConfigField, raw: string): { ok: true; value: unknown } | { ok: false } {
  const spec = CONFIG_FIELDS[field];
  let candidate: unknown;
  switch (spec.kind) {
    case "switch": {
      const b = parseSwitch(raw);
      if (b === null) return { ok: false };
      candidate = b;
      break;
    }
    case "path":
    case "text":
      candidate = raw;
      break;
    case "ms":
    case "count":
      if (!/^\s*\d+\s*$/.test(raw)) return { ok: false };
      candidate = Number(raw);
      break;
    case "percent":
      if (!/^\s*\d+(\.\d+)?\s*$/.test(raw)) return { ok: false };
      candidate = Number(raw);
      break;
    case "choice":
      candidate = raw.trim().toLowerCase();
      break;
  }
  const r = (spec.schema as import("zod/mini").ZodMiniType).safeParse(candidate);
  return r.success ? { ok: true, value: r.data } : { ok: false };
}

/**
 * Load and validate. `env` supplies the home (CODEX_AUTH_SUPERVISOR_HOME / CODEX_HOME / HOME) and
 * the overrides. An empty override counts as unset, except the opt-in switch where "" means off
 * (docs/architecture.md §1, Config).
 */
export function loadConfigDetailed(env: Env = process.env, home: string = supervisorHome(env)): LoadedConfig {
  // Whose files these are comes first: a config planted by someone else is never read.
  assertCodexHomeUsable(codexHome(env), false);
  assertTrustedHome(home);
  const file = configFile(home);
  const config = defaultConfig() as unknown as Record<ConfigField, unknown>;
  const sources = Object.fromEntries(CONFIG_FIELD_NAMES.map((f) => [f, "default"])) as Record<ConfigField, ConfigSource>;

  const read = readConfigFile(file);
  if (read.state === "ok") {
    const problems = fileProblems(file, read.value);
    if (problems.length === 1) throw new ConfigError(`config file ${file}: ${problems[0]}`);
    if (problems.length > 1) throw new ConfigError(`config file ${file} has ${problems.length} problems:\n  ${problems.join("\n  ")}`);
    for (const [k, v] of Object.entries(read.value as Record<string, unknown>)) {
      if (v === undefined) continue;
      config[k as ConfigField] = v;
      sources[k as ConfigField] = "file";
    }
  }

  const envProblems: string[] = [];
  for (const f of CONFIG_FIELD_NAMES) {
    const spec = CONFIG_FIELDS[f];
    const raw = env[spec.env];
    if (raw === undefined) continue;
    if (raw.trim() === "" && spec.kind !== "switch") continue;
    const parsed = parseEnvValue(f, raw);
    if (!parsed.ok) {
      envProblems.push(`environment variable ${spec.env} (config field ${f}): expected ${spec.expected}, got ${show(raw)}`);
      continue;
    }
    config[f] = parsed.value;
    sources[f] = "env";
  }
  if (envProblems.length > 0) throw new ConfigError(envProblems.join("\n"));

  const final = config as unknown as Config;
  const cross = crossFieldProblems(final);
  if (cross.length > 0) {
    throw new ConfigError(
      cross
        .map((p) => {
          // Blame where the user set one of the pair (the field itself first).
          const origin = (f: ConfigField) =>
            sources[f] === "env" ? `environment variable ${CONFIG_FIELDS[f].env}` : sources[f] === "file" ? `config file ${file}` : null;
          const where = origin(p.field) ?? origin(p.other) ?? "defaults";
          return `${where}: field "${p.field}" ${p.message}`;
        })
        .join("\n"),
    );
  }
  return { config: final, file, fileState: read.state, sources };
}

/** The validated configuration (defaults + config.json + CODEX_AUTH_* overrides). Throws ConfigError. */
export function loadConfig(env: Env = process.env): Config {
  return loadConfigDetailed(env).config;
}
