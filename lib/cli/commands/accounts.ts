// `codex-supervisor accounts add|import|list|use|remove|enable|disable`.
// Over 300 lines: the argv specs and help texts of seven subcommands are half of it.
// Usage errors (unknown or duplicate names, bad files, missing variables, bad flags) exit 2 and change
// nothing. A secret is never taken from argv and never printed: error messages do not echo argument
// values that could be a key (flag values, extra positionals, malformed names).
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { activate, codexAuthFile, describeSync } from "../../accounts/activate.js";
import { addAccount, newAccount } from "../../accounts/adopt.js";
import { readCredentialStore, storeProblem } from "../../accounts/credential-store.js";
import { importLogin } from "../../accounts/import-login.js";
import { captureCodexLogin } from "../../accounts/login.js";
import { ownershipOf } from "../../accounts/owner.js";
import { removeAccount } from "../../accounts/remove.js";
import { ACCOUNT_NAME_RE, AuthBlobSchema, describeIssues, type Account, type AuthBlob } from "../../accounts/schema.js";
import { findAccount, readAccounts, updateAccounts } from "../../accounts/store.js";
import { accountListRows, formatAccountsTable } from "../../accounts/view.js";
import { loadConfig } from "../../config/load.js";
import { UsageError } from "../../errors.js";
import { lockOptionsFrom, type StorageLockOptions } from "../../lock/options.js";
import { checkName, safeToEcho } from "../../text/user-text.js";
import { command, parseCommand, parseGroup, renderGroupHelp, renderHelp, type CommandSpec, type GroupSpec } from "../argv.js";
import { codexHome, supervisorHome } from "../../paths.js";

const NAME_ARG = { name: "<name>", min: 1, max: 1 };
const KEY_HINT = (option: string) =>
  /key|token|secret/i.test(option) ? " (a key is never taken from the command line; use --api-key-env <VAR>)" : null;

const SPECS = {
  add: command({
    name: "accounts add",
    synopsis: "<name> [--device-auth | --from-file <auth.json> | --api-key-env <VAR>]",
    about: `Stores a new account named <name> (letters, digits, . _ @ + -; at most 64 characters). With no
option it runs the real \`codex login\` with CODEX_HOME set to a temporary directory, so your
current login is untouched, and captures the auth.json it writes. An interrupted login (Ctrl+C,
SIGTERM, SIGHUP) leaves nothing behind.`,
    options: {
      "device-auth": { type: "boolean", help: "the same with `codex login --device-auth` (a code to enter on another\ndevice: for a headless or remote machine)" },
      "from-file": { type: "string", value: "<auth.json>", help: "take an existing codex auth.json (it is validated, not modified)" },
      "api-key-env": {
        type: "string",
        value: "<VAR>",
        help: "take an API key from environment variable VAR (passed to `codex login\n--with-api-key` on stdin). A key is never accepted on the command line.",
      },
    },
    args: NAME_ARG,
    quiet: true,
    unknownOptionHint: KEY_HINT,
  }),
  import: command({
    name: "accounts import",
    synopsis: "[<name>]",
    about: `Stores the login CODEX_HOME/auth.json holds now (what \`codex login\` wrote) as an account and makes it
the active one — the usual first step when you are already logged in. <name> defaults to the email's
local part ("amy"), or "api-key", made unique. A login that is stored already is named, not added twice.`,
    options: {},
    args: { name: "[<name>]", min: 0, max: 1 },
    quiet: true,
    unknownOptionHint: KEY_HINT,
  }),
  list: command({
    name: "accounts list",
    synopsis: "[--json]",
    about: `Lists the stored accounts: kind, email and plan when known, the last seen usage of the 5h and 7d
windows with their reset times, the active account (*), disabled and cooling-down accounts.`,
    options: {
      json: {
        type: "boolean",
        help: "an array of objects with the fields name, kind, email, plan, active, enabled,\nprimaryUsedPercent, primaryResetsAt, secondaryUsedPercent, secondaryResetsAt,\ncoolingDownUntil (null when unknown). No credential is ever printed.",
      },
    },
    quiet: true,
    unknownOptionHint: KEY_HINT,
  }),
  use: command({
    name: "accounts use",
    synopsis: "<name> [--force]",
    about: `Makes <name> the active account: first the login in CODEX_HOME/auth.json is stored under the account
it belongs to (if it is newer than the stored copy), then <name>'s credentials are written to
CODEX_HOME/auth.json. Supervised sessions of this CODEX_HOME follow at their next idle point.`,
    options: {
      force: {
        type: "boolean",
        help: "replace CODEX_HOME/auth.json even when it holds a login that is not in the store (it is\nkept first, as a disabled account with a generated name) or cannot be read (the file is\nmoved aside next to it). Without --force both are refused.",
      },
    },
    args: NAME_ARG,
    quiet: true,
    unknownOptionHint: KEY_HINT,
  }),
  remove: command({
    name: "accounts remove",
    synopsis: "<name> [--yes]",
    about: `Forgets the account (its stored credentials are deleted). If CODEX_HOME/auth.json holds its login,
auth.json is switched to the best other enabled account; with none, codex stays logged in with it and
a later \`accounts use <name>\` replaces it. On a terminal it asks first.`,
    options: { yes: { type: "boolean", help: "do not ask (needed when there is no terminal)" } },
    args: NAME_ARG,
    quiet: true,
    unknownOptionHint: KEY_HINT,
  }),
  enable: command({
    name: "accounts enable",
    synopsis: "<name>",
    about: "Lets rotation choose the account again.",
    options: {},
    args: NAME_ARG,
    quiet: true,
    unknownOptionHint: KEY_HINT,
  }),
  disable: command({
    name: "accounts disable",
    synopsis: "<name>",
    about: "Rotation never moves to a disabled account (`accounts use` refuses it too).",
    options: {},
    args: NAME_ARG,
    quiet: true,
    unknownOptionHint: KEY_HINT,
  }),
};

const GROUP: GroupSpec = {
  name: "accounts",
  commands: {
    add: { usage: "<name>", summary: "log in with `codex login` (in a temporary CODEX_HOME) and store the account" },
    import: { usage: "[<name>]", summary: "store the login CODEX_HOME/auth.json holds now (e.g. your first account)" },
    list: { usage: "[--json]", summary: "the stored accounts, their last seen 5h/7d usage and state" },
    use: { usage: "<name>", summary: "make <name> the active account (writes CODEX_HOME/auth.json)" },
    remove: { usage: "<name>", summary: "forget an account" },
    enable: { usage: "<name>", summary: "let rotation use an account again" },
    disable: { usage: "<name>", summary: "keep rotation away from an account" },
  },
  quiet: true,
};

interface Parsed {
  positionals: string[];
  /** Given flags by their `--name`: a value, or true for a switch. */
  flags: Map<string, string | true>;
}

/** The argv layer's result in the shape the subcommands below read. */
function flagsOf(p: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] }): Parsed {
  const flags = new Map<string, string | true>();
  for (const [k, v] of Object.entries(p.values)) if (v !== undefined && v !== false) flags.set(`--${k}`, typeof v === "string" ? v : true);
  return { positionals: p.positionals, flags };
}

/** Exactly one positional: the account name. */
function oneName(cmd: string, p: Parsed): string {
  if (p.positionals.length === 0) throw new UsageError(`accounts ${cmd}: missing <name> (see --help)`);
  if (p.positionals.length > 1) throw new UsageError(`accounts ${cmd}: expected one <name>, got ${p.positionals.length} arguments`);
  return p.positionals[0]!;
}

function checkNewName(cmd: string, name: string): void {
  // Not echoed when invalid: a mistyped command line may have put a key here.
  if (/^sk-/i.test(name)) throw new UsageError(`accounts ${cmd}: the account name looks like an API key; give the key with --api-key-env <VAR>`);
  if (!ACCOUNT_NAME_RE.test(name)) {
    throw new UsageError(`accounts ${cmd}: invalid account name: use 1-64 letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit`);
  }
  checkName(`accounts ${cmd}: the account name`, name); // the shared rules too (not a secret, printable)
}

const MAX_AUTH_FILE_BYTES = 1024 * 1024;

/** Read and validate an auth.json given with --from-file; every error names the file and the problem. */
function readAuthFile(file: string): AuthBlob {
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
  /** Ask a yes/no question on the terminal; null when there is no terminal to ask on. */
  confirm: ((question: string) => Promise<boolean>) | null;
}

/** y/yes (any case) is yes; anything else, end of input or Ctrl+C is no. */
function terminalConfirm(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    const finish = (yes: boolean) => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(yes);
    };
    rl.on("SIGINT", () => {
      process.stderr.write("\n");
      finish(false);
    });
    rl.on("close", () => finish(false));
    rl.question(question, (a) => finish(/^\s*y(es)?\s*$/i.test(a)));
  });
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
  checkNewName("add", name);
  const fromFile = p.flags.get("--from-file");
  const keyVar = p.flags.get("--api-key-env");
  const deviceAuth = p.flags.has("--device-auth");
  if ([fromFile !== undefined, keyVar !== undefined, deviceAuth].filter(Boolean).length > 1) {
    throw new UsageError("accounts add: --from-file, --api-key-env and --device-auth cannot be used together");
  }
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
      ...(deviceAuth ? { deviceAuth: true } : {}),
    });
  }

  const account = newAccount(name, auth, new Date());
  const hasActive = await updateAccounts(
    ctx.home,
    (draft) => {
      if (findAccount(draft, name)) throw new UsageError(`accounts add: an account named '${name}' already exists`);
      const same = draft.accounts.find((a) => ownershipOf(auth, a.auth) === "same");
      if (same) throw new UsageError(`${source} is already stored as account '${same.name}'`);
      addAccount(draft, account);
      return draft.active !== null;
    },
    lock,
    { codexHome: ctx.codexHome },
  );
  ctx.out(`added account '${name}' (${describeAccount(account)})\n`);
  if (!hasActive) ctx.err(`make it the active account with: codex-supervisor accounts use ${name}\n`);
  return 0;
}

async function cmdImport(ctx: Ctx, p: Parsed): Promise<number> {
  if (p.positionals.length > 1) throw new UsageError(`accounts import: expected at most one <name>, got ${p.positionals.length} arguments`);
  const name = p.positionals[0];
  if (name !== undefined) checkNewName("import", name);
  const { lock } = lockOptions(ctx.env);
  const r = await importLogin({ home: ctx.home, codexHome: ctx.codexHome, lock, ...(name !== undefined ? { name } : {}) });
  const file = codexAuthFile(ctx.codexHome);
  if (r.status === "already") {
    ctx.out(`the login in ${file} is already stored as account '${r.account.name}' (${describeAccount(r.account)})\n`);
  } else {
    ctx.out(`imported the login in ${file} as account '${r.account.name}' (${describeAccount(r.account)}); it is the active account\n`);
  }
  return 0;
}

async function cmdList(ctx: Ctx, p: Parsed): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError(`accounts list: unexpected argument (see --help)`);
  const store = readAccounts(ctx.home);
  const rows = accountListRows(store);
  if (p.flags.has("--json")) ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
  else ctx.out(formatAccountsTable(rows, Date.now(), store.accounts.map((a) => a.usage.observedAt ?? null)));
  return 0;
}

async function cmdUse(ctx: Ctx, p: Parsed): Promise<number> {
  const name = oneName("use", p);
  const { lock } = lockOptions(ctx.env);
  const r = await activate({ home: ctx.home, codexHome: ctx.codexHome, name, lock, overwriteForeign: p.flags.has("--force"), overwriteUnreadable: p.flags.has("--force") });
  if (r.imported !== null) {
    ctx.err(`CODEX_HOME/auth.json held a login that was not in the store; it is kept as account '${r.imported}' (disabled: \`codex-supervisor accounts enable ${r.imported}\` lets rotation use it)\n`);
  }
  else if (r.sync.status !== "missing" && r.sync.status !== "unchanged" && r.sync.status !== "foreign") ctx.err(`${describeSync(r.sync)}\n`);
  if (r.keptAside !== null) ctx.err(`the unreadable CODEX_HOME/auth.json was moved aside to ${r.keptAside}\n`);
  ctx.out(r.previous === name ? `active account: ${name} (unchanged)\n` : `active account: ${name}${r.previous ? ` (was ${r.previous})` : ""}\n`);
  const store = storeProblem(readCredentialStore(ctx.codexHome), ctx.codexHome);
  if (store) ctx.err(`note: ${store.problem}: codex will not see this switch; ${store.fix}\n`);
  return 0;
}

async function cmdRemove(ctx: Ctx, p: Parsed): Promise<number> {
  const name = oneName("remove", p);
  const c = loadConfig(ctx.env);
  if (!p.flags.has("--yes")) {
    const a = findAccount(readAccounts(ctx.home), name);
    if (!a) throw new UsageError(`accounts remove: no account named ${safeToEcho(name)}`);
    if (ctx.confirm === null) throw new UsageError(`accounts remove: this deletes the stored credentials of '${name}'; pass --yes to confirm (there is no terminal to ask on)`);
    if (!(await ctx.confirm(`Remove account '${name}' (${describeAccount(a)})? Its stored credentials are deleted. [y/N] `))) {
      ctx.err(`accounts remove: '${name}' was not removed\n`);
      return 1;
    }
  }
  const r = await removeAccount({
    home: ctx.home,
    codexHome: ctx.codexHome,
    name,
    lock: lockOptionsFrom(c),
    rotateAtRemainingPercent: c.rotateAtRemainingPercent,
  });
  ctx.out(`removed account '${name}'\n`);
  if (r.switchedTo !== null) ctx.err(`it was the login in CODEX_HOME/auth.json; that is now '${r.switchedTo}'\n`);
  if (r.released) ctx.err(`CODEX_HOME/auth.json still holds its login (codex stays logged in); \`accounts use <name>\` replaces it once you have another account\n`);
  return 0;
}

async function cmdSetEnabled(ctx: Ctx, p: Parsed, enabled: boolean): Promise<number> {
  const cmd = enabled ? "enable" : "disable";
  const name = oneName(cmd, p);
  const { lock } = lockOptions(ctx.env);
  // `enable` is also how a user says "this account is fine again": it ends a cool-down.
  let coolDownEnded: string | null = null;
  const changed = await updateAccounts(
    ctx.home,
    (draft) => {
      const a = findAccount(draft, name);
      if (!a) throw new UsageError(`accounts ${cmd}: no account named ${safeToEcho(name)}`);
      if (enabled && a.coolingDownUntil !== undefined) {
        if (Date.parse(a.coolingDownUntil) > Date.now()) coolDownEnded = a.coolingDownUntil;
        delete a.coolingDownUntil;
      }
      if (a.enabled === enabled) return coolDownEnded !== null;
      a.enabled = enabled;
      return true;
    },
    lock,
    { codexHome: ctx.codexHome },
  );
  const line =
    coolDownEnded !== null ? `account '${name}' enabled; its cool-down (until ${coolDownEnded}) is cleared` : changed ? `account '${name}' ${cmd}d` : `account '${name}' was already ${cmd}d`;
  ctx.out(`${line}\n`);
  return 0;
}

export async function run(args: string[], io?: Partial<Ctx>): Promise<number> {
  const env = io?.env ?? process.env;
  const ctx: Ctx = {
    env,
    home: io?.home ?? supervisorHome(env),
    codexHome: io?.codexHome ?? codexHome(env),
    out: io?.out ?? ((s) => void process.stdout.write(s)),
    err: io?.err ?? ((s) => void process.stderr.write(s)),
    confirm: io?.confirm !== undefined ? io.confirm : process.stdin.isTTY && process.stderr.isTTY ? terminalConfirm : null,
  };
  const group = parseGroup(GROUP, args);
  if (group.kind !== "command") {
    (group.kind === "help" ? ctx.out : ctx.err)(renderGroupHelp(GROUP));
    return group.kind === "help" ? 0 : 2;
  }
  const sub = group.name as keyof typeof SPECS;
  const spec: CommandSpec = SPECS[sub];
  const parsed = parseCommand(spec, group.args);
  if (parsed.help) {
    ctx.out(renderHelp(spec));
    return 0;
  }
  const p = flagsOf(parsed);
  switch (sub) {
    case "add":
      return cmdAdd(ctx, p);
    case "import":
      return cmdImport(ctx, p);
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
