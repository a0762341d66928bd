// What `statusline` and `usage` need from <home>/accounts.json, read with JSON.parse and a check of
// exactly the fields they use: they run every few seconds (a status bar), so no zod, no lock, no
// write. Credentials are never copied out of the parsed text. Full validation stays with the
// accounts store (lib/accounts/store.ts); a file this reader cannot use is one error naming it.
import { assertTrustedHome } from "../fs/trust.js";
import fs from "node:fs";
import { DomainError } from "../errors.js";
import { accountsFile } from "../paths.js";

/** The layout version this reader understands (the store's schemaVersion). */
const SCHEMA_VERSION = 1;
/** Shown in a terminal: plain names only (the store's own rule), never control characters. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
const MAX_BYTES = 16 * 1024 * 1024;

export interface WindowPeek {
  usedPercent: number | null;
  windowMinutes: number | null;
  resetsAt: string | null;
}

export interface AccountPeek {
  name: string;
  kind: string | null;
  enabled: boolean;
  /** The 5 h window (codex's "primary"). */
  primary: WindowPeek;
  /** The 7 d window ("secondary"). */
  secondary: WindowPeek;
  /** When this usage was last seen (the token_count it came from). */
  observedAt: string | null;
  coolingDownUntil: string | null;
}

export interface AccountsPeek {
  file: string;
  active: string | null;
  accounts: AccountPeek[];
}

/** The store cannot be read for a status line: the user has to look at the named file. */
class AccountsPeekError extends DomainError {
  constructor(readonly file: string, detail: string) {
    super("accounts-store-invalid", `accounts store ${file}: ${detail}`);
    this.name = "AccountsPeekError";
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Field readers: each returns the value or throws the path and what was expected (never the value). */
class Fields {
  constructor(private readonly fail: (where: string, expected: string) => never) {}
  optNumber(o: Obj, key: string, where: string): number | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(`${where}.${key}`, "a number");
    return v;
  }
  optTime(o: Obj, key: string, where: string): string | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== "string" || !Number.isFinite(Date.parse(v))) this.fail(`${where}.${key}`, "an ISO date-time");
    return v;
  }
}

/** Parse the store's text (pure). Throws AccountsPeekError naming `file` and the field. */
export function parseAccountsPeek(file: string, raw: string): AccountsPeek {
  const fail = (where: string, expected: string): never => {
    throw new AccountsPeekError(file, `${where}: expected ${expected}`);
  };
  const f = new Fields(fail);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AccountsPeekError(file, raw.trim() === "" ? "the file is empty" : "not valid JSON");
  }
  if (!isObj(value)) return fail("(top level)", "an object");
  const version = value.schemaVersion;
  if (typeof version === "number" && Number.isInteger(version) && version > SCHEMA_VERSION) {
    throw new AccountsPeekError(file, `schemaVersion ${version} is newer than this codex-supervisor understands (${SCHEMA_VERSION}); upgrade codex-supervisor`);
  }
  if (version !== SCHEMA_VERSION) fail("schemaVersion", String(SCHEMA_VERSION));
  const active = value.active ?? null;
  if (active !== null && (typeof active !== "string" || !NAME_RE.test(active))) fail("active", "an account name or null");
  if (!Array.isArray(value.accounts)) return fail("accounts", "an array");
  const accounts = value.accounts.map((a: unknown, i: number): AccountPeek => {
    const where = `accounts[${i}]`;
    if (!isObj(a)) return fail(where, "an object");
    if (typeof a.name !== "string" || !NAME_RE.test(a.name)) fail(`${where}.name`, "an account name");
    if (a.enabled !== undefined && typeof a.enabled !== "boolean") fail(`${where}.enabled`, "true or false");
    const usage = a.usage ?? {};
    if (!isObj(usage)) return fail(`${where}.usage`, "an object");
    const u = `${where}.usage`;
    return {
      name: a.name as string,
      kind: typeof a.kind === "string" && /^[a-z-]{1,20}$/.test(a.kind) ? a.kind : null,
      enabled: a.enabled !== false,
      primary: { usedPercent: f.optNumber(usage, "primaryUsedPercent", u), windowMinutes: f.optNumber(usage, "primaryWindowMinutes", u), resetsAt: f.optTime(usage, "primaryResetsAt", u) },
      secondary: { usedPercent: f.optNumber(usage, "secondaryUsedPercent", u), windowMinutes: f.optNumber(usage, "secondaryWindowMinutes", u), resetsAt: f.optTime(usage, "secondaryResetsAt", u) },
      observedAt: f.optTime(usage, "observedAt", u),
      coolingDownUntil: f.optTime(a, "coolingDownUntil", where),
    };
  });
  if (active !== null && !accounts.some((a) => a.name === active)) fail("active", `one of the listed accounts (no account named '${active}')`);
  return { file, active: active as string | null, accounts };
}

/** The store as it is on disk; a missing file is no accounts. Not followed through a symlink. */
export function peekAccounts(home: string): AccountsPeek {
  assertTrustedHome(home); // a store in a home that is not ours alone is never read (lib/fs/trust.ts)
  const file = accountsFile(home);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { file, active: null, accounts: [] };
    throw new AccountsPeekError(file, code === "ELOOP" ? "is a symlink (refused)" : `cannot be read (${code ?? (err as Error).message})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new AccountsPeekError(file, "is not a regular file");
    if (typeof process.getuid === "function" && st.uid !== process.getuid()) throw new AccountsPeekError(file, `is owned by uid ${st.uid}, not by you (refused)`);
    if (st.size > MAX_BYTES) throw new AccountsPeekError(file, `${st.size} bytes is too large for an accounts store`);
    return parseAccountsPeek(file, fs.readFileSync(fd, "utf8"));
  } finally {
    fs.closeSync(fd);
  }
}
