// The CODEX_HOME/config.toml that points the real codex at the loopback model server (used by the
// `demo` command and by the test bed). Pure. Besides the provider it turns off everything that would
// reach the network at start: update check, analytics, feedback, plugin sync (api.github.com,
// chatgpt.com) and OTEL. Measured on codex 0.169.0 with strace: with these off, no DNS query at all;
// all keys are accepted by `codex exec --strict-config`.

export interface MockConfigOptions {
  /** The model server's base URL (`ModelServer.baseUrl`, ends in /v1). */
  baseUrl: string;
  /** Directories codex must treat as trusted (no "Trust this folder?" prompt). */
  trustedDirs?: string[];
  model?: string;
  /** Extra TOML placed with the top-level keys (before any table). */
  extraTopLevel?: string;
  /** Extra TOML tables appended at the end. */
  extraTables?: string;
}

/** A TOML basic string: JSON's escapes are valid TOML basic-string escapes. */
export function tomlString(s: string): string {
  return JSON.stringify(s);
}

export function mockProviderConfigToml(o: MockConfigOptions): string {
  const lines = [
    `model = ${tomlString(o.model ?? "mock-model")}`,
    `model_provider = "mock"`,
    `check_for_update_on_startup = false`,
    ...(o.extraTopLevel ? [o.extraTopLevel.trimEnd()] : []),
    ``,
    `[model_providers.mock]`,
    `name = "mock"`,
    `base_url = ${tomlString(o.baseUrl)}`,
    `wire_api = "responses"`,
    // The bearer comes from CODEX_HOME/auth.json (OPENAI_API_KEY), so the server sees which account asked.
    `requires_openai_auth = true`,
    ``,
    `[analytics]`,
    `enabled = false`,
    ``,
    `[feedback]`,
    `enabled = false`,
    ``,
    `[features]`,
    `plugins = false`,
    ``,
    `[otel]`,
    `exporter = "none"`,
    `metrics_exporter = "none"`,
    `trace_exporter = "none"`,
  ];
  for (const dir of o.trustedDirs ?? []) {
    lines.push(``, `[projects.${tomlString(dir)}]`, `trust_level = "trusted"`);
  }
  if (o.extraTables) lines.push(``, o.extraTables.trimEnd());
  return lines.join("\n") + "\n";
}
