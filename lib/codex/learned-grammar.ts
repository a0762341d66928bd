// The installed codex's grammar, for routing on the opted-in path: its `--help` (root, resume, fork,
// exec, exec resume, exec fork) read once per codex binary (never from a script) and merged over the
// shipped tables (help-grammar.ts). Cached in our home keyed by the binary's identity (realpath, inode, size, mtime),
// so later launches read one small file. Any failure — codex cannot print its help, the cache is not
// ours — falls back to what is known: the shipped grammar is always there.
import { spawn } from "node:child_process";
import { lstatSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { ensureDir, readJsonFile, writeFileAtomic } from "../fs/atomic.js";
import { SHIPPED_GRAMMAR, type Grammar } from "./grammar.js";
import { grammarFromHelp, type HelpTexts } from "./help-grammar.js";
import { stripOurEnv } from "./env.js";
import { launchSpec, type LaunchSpec } from "./native-launch.js";
import { candidateKind, type ResolvedCodex } from "./resolve-real-codex.js";

/** Bump when help-grammar.ts would parse the same help differently: older entries are then ignored. */
const CACHE_FORMAT = 1;
const KEEP_ENTRIES = 8;
const HELP_TIMEOUT_MS = 5_000;

export const grammarCacheFile = (home: string) => path.join(home, "codex-grammar.json");

const HELPS: ReadonlyArray<[keyof HelpTexts, string[]]> = [
  ["root", []],
  ["resume", ["resume"]],
  ["fork", ["fork"]],
  ["exec", ["exec"]],
  ["execResume", ["exec", "resume"]],
  ["execFork", ["exec", "fork"]],
];

interface LearnedGrammar {
  grammar: Grammar;
  /** "cache": read from our cache; "help": just learned; "shipped": nothing learned (why in `reason`). */
  source: "cache" | "help" | "shipped";
  reason?: string;
}

/** Who the binary is: a new install (new inode, size or mtime) is a new key. */
function identityOf(spec: Pick<LaunchSpec, "command" | "args">, argvLength: number): string | null {
  try {
    const files = [spec.command, ...spec.args.slice(0, spec.args.length - argvLength)];
    return files
      .map((f) => {
        const real = realpathSync(f);
        const st = statSync(real);
        return `${real}|${st.ino}|${st.size}|${st.mtimeMs}`;
      })
      .join(";");
  } catch {
    return null;
  }
}

function isScript(file: string): boolean {
  try {
    return candidateKind(realpathSync(file)) !== "binary";
  } catch {
    return true;
  }
}

interface CacheEntry {
  key: string;
  grammar: Grammar;
}

function isOptionList(v: unknown): boolean {
  return Array.isArray(v) && v.every((o) => o !== null && typeof o === "object" && typeof (o as { long?: unknown }).long === "string" && typeof (o as { takesValue?: unknown }).takesValue === "boolean");
}

function isGrammar(v: unknown): v is Grammar {
  const g = v as Grammar | null;
  return (
    g !== null &&
    typeof g === "object" &&
    isOptionList(g.rootOptions) &&
    Array.isArray(g.subcommands) &&
    g.subcommands.every((s) => typeof s?.name === "string" && Array.isArray(s.aliases) && typeof s.interactive === "boolean") &&
    isOptionList(g.sessionOptions?.resume) &&
    isOptionList(g.sessionOptions?.fork) &&
    isOptionList(g.exec?.options) &&
    isOptionList(g.exec?.resume) &&
    isOptionList(g.exec?.fork) &&
    Array.isArray(g.exec?.subcommands)
  );
}

/** Our cache's entries; [] when missing, corrupt, or not a private file of ours (never followed as a link). */
function readCache(file: string): CacheEntry[] {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || (st.mode & 0o022) !== 0 || (typeof process.getuid === "function" && st.uid !== process.getuid())) return [];
    const r = readJsonFile(file);
    if (r.kind !== "ok") return [];
    const v = r.value as { format?: unknown; entries?: unknown };
    if (v?.format !== CACHE_FORMAT || !Array.isArray(v.entries)) return [];
    return v.entries.filter((e): e is CacheEntry => typeof e?.key === "string" && isGrammar(e.grammar));
  } catch {
    return [];
  }
}

function helpText(spec: Pick<LaunchSpec, "command" | "args" | "env">, prefix: string[], args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(spec.command, [...prefix, ...args, "--help"], { env: spec.env, stdio: ["ignore", "pipe", "ignore"], timeout: HELP_TIMEOUT_MS });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("error", () => resolve(undefined));
    // An older codex without this subcommand prints its parent's help instead: not this one's.
    const usage = new RegExp(`^Usage: \\S+${args.map((a) => ` ${a}`).join("")}(?: |$)`, "m");
    child.once("close", (code) => resolve(code === 0 && usage.test(out) ? out : undefined));
  });
}

/**
 * The grammar of the codex `spec` starts (a launch spec for an empty argv: command, the arguments before
 * the user's, env), learned once per binary and cached in `home`.
 */
export async function installedGrammar(spec: Pick<LaunchSpec, "command" | "args" | "env" | "native">, home: string): Promise<LearnedGrammar> {
  // Only codex itself is asked: the native binary behind the npm launcher, or an executable that is
  // not a script. A script (a user's wrapper, a stand-in) may do anything when run; it routes by the
  // shipped grammar.
  if (!spec.native && isScript(spec.command)) return { grammar: SHIPPED_GRAMMAR, source: "shipped", reason: `${spec.command} is a script` };
  const key = identityOf(spec, 0);
  if (key === null) return { grammar: SHIPPED_GRAMMAR, source: "shipped", reason: `cannot stat ${spec.command}` };
  const file = grammarCacheFile(home);
  const entries = readCache(file);
  const hit = entries.find((e) => e.key === key);
  if (hit) return { grammar: hit.grammar, source: "cache" };


  const texts: HelpTexts = {};
  const got = await Promise.all(HELPS.map(([, args]) => helpText(spec, spec.args, args)));
  HELPS.forEach(([name], i) => {
    if (got[i] !== undefined) texts[name] = got[i];
  });
  // A codex that cannot print its help is remembered too: it is not asked again on every launch.
  const grammar = texts.root === undefined ? SHIPPED_GRAMMAR : grammarFromHelp(texts);
  try {
    ensureDir(home);
    const kept = [{ key, grammar }, ...entries.filter((e) => e.key !== key)].slice(0, KEEP_ENTRIES);
    writeFileAtomic(file, JSON.stringify({ format: CACHE_FORMAT, entries: kept }), { mode: 0o600 });
  } catch {
    // A read-only or full home only means learning again next time.
  }
  return texts.root === undefined ? { grammar, source: "shipped", reason: `${spec.command} --help did not answer` } : { grammar, source: "help" };
}

/** The grammar of `real`, as the supervised paths use it: learned from it when it is codex itself. */
export async function grammarOf(real: ResolvedCodex, env: NodeJS.ProcessEnv, home: string): Promise<Grammar> {
  return (await installedGrammar(launchSpec(real, [], stripOurEnv(env)), home)).grammar;
}
