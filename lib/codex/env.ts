// The one rule for what of our environment reaches codex: nothing whose upper-cased name starts with
// CODEX_AUTH_ or CODEX_MULTI_AUTH_ (our settings and any token material). Pure and dependency-free:
// the passthrough hot path imports it.

function isOurEnvKey(key: string): boolean {
  const k = key.toUpperCase();
  return k.startsWith("CODEX_AUTH_") || k.startsWith("CODEX_MULTI_AUTH_");
}

/** A copy of `env` without our keys. */
export function stripOurEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const key of Object.keys(env)) {
    if (!isOurEnvKey(key)) out[key] = env[key];
  }
  return out;
}
