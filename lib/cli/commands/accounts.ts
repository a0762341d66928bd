// `codex-supervisor accounts add|list|use|remove|enable|disable`.
// Usage errors (unknown or duplicate names, bad files, missing variables, bad flags) exit 2 and change
// nothing. A secret is never taken from argv and never printed: error messages do not echo argument
// values that could be a key (flag values, extra positionals, malformed names).
import fs from "node:fs";
import path from "node:path";
import { activate, describeSync } from "../../accounts/activate.js";
import { identityFromAuth } from "../../accounts/jwt.js";
import { captureCodexLogin } from "../../accounts/login.js";
import { ownershipOf } from "../../accounts/owner.js";
import { ACCOUNT_NAME_RE, accountKindOf, AuthBlobSchema, describeIssues, type Account, type AuthBlob } from "../../accounts/schema.js";
import { findAccount, readAccounts, updateAccounts } from "../../accounts/store.js";
import { accountListRows, formatAccountsTable } from "../../accounts/view.js";
import { loadConfig } from "../../config/load.js";
import { UsageError } from "../../errors.js";
import { checkName, safeToEcho } from "../../text/user-text.js";
import { lockOptionsFrom, type StorageLockOptions } from "../../lock/options.js";
import { codexHome, supervisorHome } from "../../paths.js";

const HELP: Record<string, string> = {
  accounts: `Usage: codex-supervisor accounts <command> [options]

Commands:
  add <name>              log in with \`codex login\` (in a temporary CODEX_HOME) and store the account
  list [--json]           the stored accounts, their last seen 5h/7d usage and state
  use <name>              make <name> the active account (writes CODEX_HOME/auth.json)
  remove <name>           forget an account
  enable <name>           let rotation use an account again
  disable <name>          keep rotation away from an account

Run \`codex-supervisor accounts <command> --help\` for a command's options.
`,
  add: `Usage: codex-supervisor accounts add <name> [--from-file <auth.json> | --api-key-env <VAR>]

Stores a new account named <name> (letters, digits, . _ @ + -; at most 64 characters).
  (no option)              runs the real \`codex login\` with CODEX_HOME set to a temporary directory,
                           so your current login is untouched, and captures the auth.json it writes
  --from-file <auth.json>  take an existing codex auth.json (it is validated, not modified)
  --api-key-env <VAR>      take an API key from environment variable VAR (passed to
                           \`codex login --with-api-key\` on stdin). A key is never accepted on the
                           command line.
`,
  list: `Usage: codex-supervisor accounts list [--json]

Lists the stored accounts: kind, email and plan when known, the last seen usage of the 5h and 7d
windows with their reset times, the active account (*), disabled and cooling-down accounts.
  --json   an array of objects with the fields name, kind, email, plan, active, enabled,
           primaryUsedPercent, primaryResetsAt, secondaryUsedPercent, secondaryResetsAt,
           coolingDownUntil (null when unknown). No credential is ever printed.
`,
  use: `Usage: codex-supervisor accounts use <name> [--force]

Makes <name> the active account: first the credentials codex refreshed in CODEX_HOME/auth.json are
synced back into the store for the account that was active, then <name>'s credentials are written
to CODEX_HOME/auth.json. A running codex keeps the account it started with.
  --force   replace CODEX_HOME/auth.json even when it holds a login that is not in the store, or
            cannot be read (without it both are refused: the file may hold the only copy of a
            refresh token, which replacing it would lose)
`,
  remove: `Usage: codex-supervisor accounts remove <name>

Forgets the account (its stored credentials are deleted). CODEX_HOME/auth.json is not changed.
`,
  enable: `Usage: codex-supervisor accounts enable <name>

Lets rotation choose the account again.
`,
  disable: `Usage: codex-supervisor accounts disable <name>

Rotation never moves to a disabled account (\`accounts use\` refuses it too).
`,
};

type FlagKind = "bool" | "value";

interface Parsed {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** Parse `args` against `spec`; help flags are handled by the caller first. */
function parseArgs(cmd: string, args: string[], spec: Record<string, FlagKind>): Parsed {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      const eq = a.indexOf("=");
      // Never echo what follows '=': `--api-key=sk-...` must not end up in the terminal or a log.
      const name = eq >= 0 ? a.slice(0, eq) : a;
      const kind = spec[name];
      if (!kind) {
        const hint = /key|token|secret/i.test(name) ? " (a key is never taken from the command line; use --api-key-env <VAR>)" : "";
        throw new UsageError(`accounts ${cmd}: unknown option '${name}'${hint} (see --help)`);
      }
      if (flags.has(name)) throw new UsageError(`accounts ${cmd}: ${name} given twice`);
      if (kind === "bool") {
        if (eq >= 0) throw new UsageError(`accounts ${cmd}: ${name} takes no value`);
        flags.set(name, true);
      } else if (eq >= 0) {
        flags.set(name, a.slice(eq + 1));
      } else {
        const v = args[i + 1];
        if (v === undefined) throw new UsageError(`accounts ${cmd}: ${name} needs a value`);
        flags.set(name, v);
        i++;
      }
      continue;
    }
    positionals.push(a);
  }
  return { positionals, flags };
}

/** Exactly one positional: the account name. */
function oneName(cmd: string, p: Parsed): string {
  if (p.positionals.length === 0) throw new UsageError(`accounts ${cmd}: missing <name> (see --help)`);
  if (p.positionals.length > 1) throw new UsageError(`accounts ${cmd}: expected one <name>, got ${p.positionals.length} arguments`);
  return p.positionals[0]!;
}

function checkNewName(name: string): void {
  // Not echoed when invalid: a mistyped command line may have put a key here.
  if (/^sk-/i.test(name)) throw new UsageError("accounts add: the account name looks like an API key; give the key with --api-key-env <VAR>");
  checkName("accounts add: the account name", name);
  if (!ACCOUNT_NAME_RE.test(name)) {
    throw new UsageError("accounts add: invalid account name: use 1-64 letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit");
  }
}

const MAX_AUTH_FILE_BYTES = 1024 * 1024;

/** Read and validate an auth.json given with --from-file; every error names the file and the problem. */
export function readAuthFile(file: string): AuthBlob {
  const where = `--from-file ${file}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === "ENOENT" ? `${where}: no such file` : `${where}: cannot be read (${code ?? "error"})`);
  }
  if (!st.isFile()) throw new UsageError(`${where}: not a regular file`);
  if (st.size > MAX_AUTH_FILE_BYTES) throw new UsageError(`${where}: ${st.size} bytes is too large for an auth.json`);
  let raw: string;
  try {
    raw = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`${where}: cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new UsageError(`${where}: ${raw.trim() === "" ? "the file is empty" : "not valid JSON"}`);
  }
  const r = AuthBlobSchema.safeParse(value);
  if (!r.success) throw new UsageError(`${where}: not a codex auth.json: ${describeIssues(r.error)}`);
  return r.data;
}

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function keyFromEnv(variable: string, env: NodeJS.ProcessEnv): string {
  if (!ENV_NAME_RE.test(variable)) {
    throw new UsageError("accounts add: --api-key-env takes the NAME of an environment variable holding the key (the value given is not a variable name)");
  }
  const v = env[variable];
  if (v === undefined) throw new UsageError(`accounts add: environment variable ${variable} is not set`);
  const key = v.trim();
  if (key === "") throw new UsageError(`accounts add: environment variable ${variable} is empty`);
  if (/[\r\n]/.test(key)) throw new UsageError(`accounts add: environment variable ${variable} holds more than one line`);
  return key;
}

interface Ctx {
  env: NodeJS.ProcessEnv;
  home: string;
  codexHome: string;
  out: (s: string) => void;
  err: (s: string) => void;
}

function lockOptions(env: NodeJS.ProcessEnv): { lock: StorageLockOptions; realCodexBin: string | null } {
  const c = loadConfig(env);
  return { lock: lockOptionsFrom(c), realCodexBin: c.realCodexBin };
}

function describeAccount(a: Pick<Account, "kind" | "identity">): string {
  return [a.kind, a.identity.email, a.identity.plan].filter(Boolean).join(", ");
}

async function cmdAdd(ctx: Ctx, p: Parsed): Promise<number> {
  const name = oneName("add", p);
  checkNewName(name);
  const fromFile = p.flags.get("--from-file");
  const keyVar = p.flags.get("--api-key-env");
  if (fromFile !== undefined && keyVar !== undefined) throw new UsageError("accounts add: --from-file and --api-key-env cannot be used together");
  // Fail before a (possibly interactive) login when the name is taken or the store is unusable.
  if (findAccount(readAccounts(ctx.home), name)) throw new UsageError(`accounts add: an account named '${name}' already exists`);
  const key = typeof keyVar === "string" ? keyFromEnv(keyVar, ctx.env) : null;
  const { lock, realCodexBin } = lockOptions(ctx.env);

  let auth: AuthBlob;
  let source = "accounts add: this login";
  if (typeof fromFile === "string") {
    const file = path.resolve(fromFile);
    auth = readAuthFile(file);
    source = `accounts add: the login in --from-file ${file}`;
  } else {
    auth = await captureCodexLogin({
      home: ctx.home,
      env: ctx.env,
      configRealCodexBin: realCodexBin,
      ...(key !== null ? { apiKey: { key, keyEnvVar: keyVar as string } } : {}),
    });
  }

  const account: Account = {
    name,
    kind: accountKindOf(auth),
    auth,
    identity: identityFromAuth(auth),
    usage: {},
    enabled: true,
    addedAt: new Date().toISOString(),
  };
  const hasActive = await updateAccounts(
    ctx.home,
    (draft) => {
      if (findAccount(draft, name)) throw new UsageError(`accounts add: an account named '${name}' already exists`);
      const same = draft.accounts.find((a) => ownershipOf(auth, a.auth) === "same");
      if (same) throw new UsageError(`${source} is already stored as account '${same.name}'`);
      draft.accounts.push(account);
      return draft.active !== null;
    },
    lock,
    { codexHome: ctx.codexHome },
  );
  ctx.out(`added account '${name}' (${describeAccount(account)})\n`);
  if (!hasActive) ctx.err(`make it the active account with: codex-supervisor accounts use ${name}\n`);
  return 0;
}

async function cmdList(ctx: Ctx, p: Parsed): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError(`accounts list: unexpected argument (see --help)`);
  const rows = accountListRows(readAccounts(ctx.home));
  if (p.flags.has("--json")) ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
  else ctx.out(formatAccountsTable(rows, Date.now()));
  return 0;
}

async function cmdUse(ctx: Ctx, p: Parsed): Promise<number> {
  const name = oneName("use", p);
  const { lock } = lockOptions(ctx.env);
  const r = await activate({ home: ctx.home, codexHome: ctx.codexHome, name, lock, overwriteForeign: p.flags.has("--force"), overwriteUnreadable: p.flags.has("--force") });
  if (r.sync.status !== "missing" && r.sync.status !== "unchanged") ctx.err(`${describeSync(r.sync)}\n`);
  ctx.out(r.previous === name ? `active account: ${name} (unchanged)\n` : `active account: ${name}${r.previous ? ` (was ${r.previous})` : ""}\n`);
  return 0;
}

async function cmdRemove(ctx: Ctx, p: Parsed): Promise<number> {
  const name = oneName("remove", p);
  const { lock } = lockOptions(ctx.env);
  const wasActive = await updateAccounts(
    ctx.home,
    (draft) => {
      const i = draft.accounts.findIndex((a) => a.name === name);
      if (i < 0) throw new UsageError(`accounts remove: no account named ${safeToEcho(name)}`);
      draft.accounts.splice(i, 1);
      if (draft.active === name) {
        draft.active = null;
        return true;
      }
      return false;
    },
    lock,
    { codexHome: ctx.codexHome },
  );
  ctx.out(`removed account '${name}'\n`);
  if (wasActive) ctx.err(`it was the active account; CODEX_HOME/auth.json still holds its login until \`accounts use\` picks another\n`);
  return 0;
}

async function cmdSetEnabled(ctx: Ctx, p: Parsed, enabled: boolean): Promise<number> {
  const cmd = enabled ? "enable" : "disable";
  const name = oneName(cmd, p);
  const { lock } = lockOptions(ctx.env);
  const changed = await updateAccounts(
    ctx.home,
    (draft) => {
      const a = findAccount(draft, name);
      if (!a) throw new UsageError(`accounts ${cmd}: no account named ${safeToEcho(name)}`);
      if (a.enabled === enabled) return false;
      a.enabled = enabled;
      return true;
    },
    lock,
    { codexHome: ctx.codexHome },
  );
  ctx.out(changed ? `account '${name}' ${cmd}d\n` : `account '${name}' was already ${cmd}d\n`);
  return 0;
}

const SPECS: Record<string, Record<string, FlagKind>> = {
  add: { "--from-file": "value", "--api-key-env": "value" },
  list: { "--json": "bool" },
  use: { "--force": "bool" },
  remove: {},
  enable: {},
  disable: {},
};

export async function run(args: string[], io?: Partial<Ctx>): Promise<number> {
  const env = io?.env ?? process.env;
  const ctx: Ctx = {
    env,
    home: io?.home ?? supervisorHome(env),
    codexHome: io?.codexHome ?? codexHome(env),
    out: io?.out ?? ((s) => void process.stdout.write(s)),
    err: io?.err ?? ((s) => void process.stderr.write(s)),
  };
  const [sub, ...rest] = args;
  if (sub === undefined) {
    ctx.err(HELP.accounts!);
    return 2;
  }
  if (sub === "-h" || sub === "--help" || sub === "help") {
    ctx.out(HELP.accounts!);
    return 0;
  }
  const spec = Object.hasOwn(SPECS, sub) ? SPECS[sub] : undefined;
  if (!spec) {
    // Echo only what cannot be a key.
    const shown = /^-{0,2}[a-z][a-z-]{0,19}$/.test(sub.split("=")[0]!) ? ` '${sub.split("=")[0]}'` : "";
    throw new UsageError(`accounts: unknown ${sub.startsWith("-") ? "option" : "command"}${shown} (expected add, list, use, remove, enable or disable; see --help)`);
  }
  if (rest.includes("-h") || rest.includes("--help")) {
    ctx.out(HELP[sub]!);
    return 0;
  }
  const p = parseArgs(sub, rest, spec);
  switch (sub) {
    case "add":
      return cmdAdd(ctx, p);
    case "list":
      return cmdList(ctx, p);
    case "use":
      return cmdUse(ctx, p);
    case "remove":
      return cmdRemove(ctx, p);
    case "enable":
      return cmdSetEnabled(ctx, p, true);
    default:
      return cmdSetEnabled(ctx, p, false);
  }
}
