// `doctor`: the installed codex's version and whether it is inside the range this release is tested
// against (lib/codex/tested-range.ts). Runs the real codex's `--version` the way the shim starts it.
import { spawnSync } from "node:child_process";
import { stripOurEnv } from "../codex/env.js";
import { launchSpec } from "../codex/native-launch.js";
import { resolveRealCodex } from "../codex/resolve-real-codex.js";
import { codexVersionOf, TESTED_CODEX, testedVerdict } from "../codex/tested-range.js";
import { DomainError } from "../errors.js";
import type { Env } from "../paths.js";
import type { Finding } from "./finding.js";

export function checkCodexVersion(env: Env, shimFile: string, configRealCodexBin: string | null): Finding[] {
  let spec;
  try {
    spec = launchSpec(resolveRealCodex({ env: env as NodeJS.ProcessEnv, shimFile, configRealCodexBin }), ["--version"], stripOurEnv(env as NodeJS.ProcessEnv));
  } catch (err) {
    if (err instanceof DomainError) return []; // the real-codex check already says why
    throw err;
  }
  const r = spawnSync(spec.command, spec.args, { env: spec.env, encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
  const version = r.status === 0 ? codexVersionOf(r.stdout) : null;
  const range = `${TESTED_CODEX.oldest} – ${TESTED_CODEX.newest}`;
  if (version === null) {
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split("\n")[0] ?? ""}`;
    return [{ check: "codex-version", level: "warn", message: `\`${spec.command} --version\` gave no version (${why})`, fix: "run it yourself to see what is wrong with the installed codex" }];
  }
  const verdict = testedVerdict(version);
  if (verdict === "tested") return [{ check: "codex-version", level: "ok", message: `codex ${version}, inside the tested range ${range}` }];
  return [
    {
      check: "codex-version",
      level: "warn",
      message:
        verdict === "newer"
          ? `codex ${version} is newer than the tested range ${range}; the supervisor routes by its own --help, but it is untested`
          : `codex ${version} is older than the tested range ${range}`,
      fix: verdict === "newer" ? `npm install -g @openai/codex@${TESTED_CODEX.newest} for a tested release, or upgrade codex-supervisor` : "npm install -g @openai/codex@latest",
    },
  ];
}
