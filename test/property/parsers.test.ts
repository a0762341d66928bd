// Property tests for the three parsers of files a user can break: config.json (+ CODEX_AUTH_* overrides),
// accounts.json, and job records. A valid file is made wrong in exactly one place (wrong type, out of
// range, missing, unknown field) and the error must name that field and the file, be a usage-class
// error (exit 2) where the contract says so, and leave the file byte-for-byte as it was — also when
// the failing read is the first step of a write. A few cases are spot-checked through the compiled bin.
// Bounded by PROPERTY_RUNS (default 300).
import { errorReport } from "../../lib/cli/error-table.js";
import fc from "fast-check";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountsStoreError, readAccounts, updateAccounts } from "../../lib/accounts/store.js";
import { AccountsFileSchema, ACCOUNT_NAME_RE, type AccountsFile } from "../../lib/accounts/schema.js";
import { ConfigError, loadConfigDetailed } from "../../lib/config/load.js";
import { CONFIG_FIELD_NAMES, CONFIG_FIELDS, type ConfigField } from "../../lib/config/schema.js";
import { parseJobRecord, newJobRecord, type JobRecord } from "../../lib/jobs/record.js";
import { JobRecordCorruptError, readJob, readJobFile, updateJob } from "../../lib/jobs/records.js";
import { listJobs } from "../../lib/jobs/listing.js";
import { accountsFile, configFile, jobRecordFile, jobsDir } from "../../lib/paths.js";
import { account, chatgptAuth, SECRET_MARKERS } from "../accounts/fixtures.js";
import { cleanEnv } from "../helpers/env.js";
import { liveCliPids, runCli } from "../helpers/cli.js";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

let root: string;
let seq = 0;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "prop-parsers-"));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  expect([...liveCliPids]).toEqual([]);
});
function freshHome(): string {
  const h = path.join(root, `h${++seq}`);
  fs.mkdirSync(h, { mode: 0o700 });
  return h;
}

/** Set (or delete, for undefined) the value at a dotted path of a JSON document (a deep copy). */
function mutate<T>(doc: T, dotted: string, value: unknown): T {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const keys = dotted.split(".");
  let o: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return copy as T;
}

/** Wrong values of every JSON type, and the usual suspects at the edges of ranges. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1.5, -0.5, 100.5, 1001, 86_400_001, 1e300, "", " ", "not-a-date", "2025-13-45T99:00:00Z", null, true, false, [], {}, "x".repeat(300)),
  fc.constant(undefined), // missing
);

function expectUnchanged(file: string, before: Buffer): void {
  expect(fs.readFileSync(file).equals(before), `${file} changed`).toBe(true);
}

function noTempFiles(dir: string): void {
  expect(fs.readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------
describe("config.json and CODEX_AUTH_* overrides", () => {
  const field = fc.constantFrom(...CONFIG_FIELD_NAMES);

  it("a wrong value in any one field: ConfigError (exit 2) naming the file and the field; file unchanged", () => {
    fc.assert(
      fc.property(field, wrongValue, (f, v) => {
        fc.pre(v !== undefined && !(CONFIG_FIELDS[f].schema as { safeParse(x: unknown): { success: boolean } }).safeParse(v).success);
        const home = freshHome();
        const file = configFile(home);
        fs.writeFileSync(file, JSON.stringify({ codexCliSessionSupervisor: true, [f]: v }, null, 2));
        const before = fs.readFileSync(file);
        let err: unknown;
        try {
          loadConfigDetailed({ CODEX_AUTH_SUPERVISOR_HOME: home });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ConfigError);
        expect(errorReport(err).status).toBe(2);
        expect((err as Error).message).toContain(file);
        expect((err as Error).message).toContain(`"${f}"`);
        expectUnchanged(file, before);
      }),
      { numRuns: RUNS },
    );
  });

  it("an unknown field (any name): ConfigError naming it and the file", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("__proto__", "constructor", "sigintWaitMS", "codex_cli_session_supervisor", "toString")), (key) => {
        fc.pre(!(CONFIG_FIELD_NAMES as string[]).includes(key));
        const home = freshHome();
        const file = configFile(home);
        fs.writeFileSync(file, `{"sigintWaitMs": 100, ${JSON.stringify(key)}: 1}`);
        const before = fs.readFileSync(file);
        expect(() => loadConfigDetailed({ CODEX_AUTH_SUPERVISOR_HOME: home })).toThrow(ConfigError);
        try {
          loadConfigDetailed({ CODEX_AUTH_SUPERVISOR_HOME: home });
        } catch (e) {
          expect((e as Error).message).toContain(file);
          expect((e as Error).message).toContain(`unknown field ${JSON.stringify(key).slice(0, 1)}${key}`);
        }
        expectUnchanged(file, before);
      }),
      { numRuns: RUNS },
    );
  });

  /** Environment values that no field of `kind` accepts. */
  const wrongEnv: Record<string, fc.Arbitrary<string>> = {
    switch: fc.string({ maxLength: 10 }).filter((s) => !["1", "true", "yes", "on", "0", "false", "no", "off", ""].includes(s.trim().toLowerCase())),
    ms: fc.oneof(fc.string({ maxLength: 8 }).filter((s) => /[^\d\s]/.test(s)), fc.constantFrom("-1", "1.5", "86400001", "1e3", "0x10")),
    count: fc.oneof(fc.string({ maxLength: 8 }).filter((s) => /[^\d\s]/.test(s)), fc.constantFrom("-1", "1001", "2.5")),
    percent: fc.oneof(fc.string({ maxLength: 8 }).filter((s) => /[^\d\s.]/.test(s) || /\..*\./.test(s)), fc.constantFrom("-1", "100.5", "101", "1e2")),
    choice: fc.string({ maxLength: 10 }).filter((s) => s.trim() !== "" && !["wait", "stay", "auto", "osc9", "osc777", "bell", "off"].includes(s.trim().toLowerCase())),
    text: fc.string({ minLength: 2001, maxLength: 2100 }).filter((s) => s.trim().length > 2000),
  };

  it("a wrong CODEX_AUTH_* value: ConfigError (exit 2) naming the variable and the field", () => {
    const envField = fc.constantFrom(...CONFIG_FIELD_NAMES.filter((f) => CONFIG_FIELDS[f].kind !== "path"));
    fc.assert(
      fc.property(envField.chain((f) => fc.tuple(fc.constant(f), wrongEnv[CONFIG_FIELDS[f].kind]!)), ([f, raw]) => {
        const home = freshHome();
        let err: unknown;
        try {
          loadConfigDetailed({ CODEX_AUTH_SUPERVISOR_HOME: home, [CONFIG_FIELDS[f].env]: raw });
        } catch (e) {
          err = e;
        }
        expect(err, `${CONFIG_FIELDS[f].env}=${JSON.stringify(raw)}`).toBeInstanceOf(ConfigError);
        expect(errorReport(err).status).toBe(2);
        expect((err as Error).message).toContain(CONFIG_FIELDS[f].env);
        expect((err as Error).message).toContain(f);
      }),
      { numRuns: RUNS },
    );
  });

  it("fields valid alone but wrong together name the field to fix and where it was set", () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>, ConfigField, string]> = [
      [{ lockStaleMs: 2000, lockUpdateMs: 1500 }, {}, "lockUpdateMs", "config file"],
      [{ crashBackoffMs: 5000, crashBackoffMaxMs: 100 }, {}, "crashBackoffMaxMs", "config file"],
      [{ rotateAtRemainingPercent: 20 }, { CODEX_AUTH_PRESELECT_AT_PERCENT: "10" }, "preselectAtRemainingPercent", "CODEX_AUTH_PRESELECT_AT_PERCENT"],
    ];
    for (const [json, env, f, where] of cases) {
      const home = freshHome();
      fs.writeFileSync(configFile(home), JSON.stringify(json));
      expect(() => loadConfigDetailed({ CODEX_AUTH_SUPERVISOR_HOME: home, ...env })).toThrow(new RegExp(`${where}.*"${f}"`));
    }
  });
});

// ---------------------------------------------------------------------------------------------------
describe("accounts.json", () => {
  const validStore = (): AccountsFile => ({
    schemaVersion: 1,
    active: "alice",
    accounts: [
      account("alice", {
        kind: "chatgpt",
        auth: chatgptAuth("alice"),
        identity: { email: "alice@example.com", plan: "plus", accountId: "acct-alice", userId: "user-alice" },
        usage: { primaryUsedPercent: 10, primaryWindowMinutes: 300, primaryResetsAt: "2025-01-01T05:00:00.000Z", secondaryUsedPercent: 1, secondaryResetsAt: "2025-01-07T00:00:00.000Z", observedAt: "2025-01-01T00:00:00.000Z" },
        coolingDownUntil: "2025-01-01T06:00:00.000Z",
        lastUsedAt: "2025-01-01T00:00:00.000Z",
      }),
      account("bob"),
    ],
  });
  it("the fixture store itself is valid", () => expect(AccountsFileSchema.safeParse(validStore()).success).toBe(true));

  const paths = [
    "schemaVersion",
    "active",
    "accounts",
    ...["name", "kind", "auth", "identity", "usage", "enabled", "coolingDownUntil", "addedAt", "lastUsedAt"].flatMap((k) => [`accounts.0.${k}`, `accounts.1.${k}`]),
    ...["email", "plan", "accountId", "userId"].map((k) => `accounts.0.identity.${k}`),
    ...["primaryUsedPercent", "primaryWindowMinutes", "primaryResetsAt", "secondaryUsedPercent", "secondaryResetsAt", "observedAt"].map((k) => `accounts.0.usage.${k}`),
    ...["id_token", "access_token", "refresh_token", "account_id"].map((k) => `accounts.0.auth.tokens.${k}`),
    "accounts.0.auth.tokens",
    "accounts.1.auth.OPENAI_API_KEY",
  ];

  it("a wrong value at any path: AccountsStoreError (exit 2) naming the path and the file, no secret in it; read and read-modify-write leave the file unchanged", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), wrongValue, async (p, v) => {
        // A name that is still a valid name would be a rename (or a duplicate, reported on "accounts").
        if (p.endsWith(".name")) fc.pre(!(typeof v === "string" && ACCOUNT_NAME_RE.test(v)));
        const doc = mutate(validStore(), p, v);
        fc.pre(!AccountsFileSchema.safeParse(doc).success);
        const home = freshHome();
        const file = accountsFile(home);
        fs.writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
        const before = fs.readFileSync(file);
        let err: unknown;
        try {
          readAccounts(home);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(AccountsStoreError);
        const msg = (err as Error).message;
        expect(errorReport(err).status).toBe(2);
        expect(msg).toContain(file);
        // The path itself, or its parent when the parent's own rule is what broke (auth holding
        // neither tokens nor a key is reported on `auth`).
        const parent = p.split(".").slice(0, -1).join(".");
        // An emptied list leaves `active` pointing at nobody: that cross-field rule names `active`.
        const alsoOk = (parent.endsWith(".auth") && msg.includes(`${parent}:`)) || (p === "accounts" && msg.includes("active: active account 'alice' is not in the list")) || (p === "schemaVersion" && /schemaVersion \S+ is newer/.test(msg));
        expect(msg.includes(`${p}:`) || msg.includes(`${p}.`) || alsoOk, msg).toBe(true);
        for (const s of SECRET_MARKERS) expect(msg).not.toContain(s);
        await expect(updateAccounts(home, (d) => void (d.active = null))).rejects.toBeInstanceOf(AccountsStoreError);
        expectUnchanged(file, before);
        noTempFiles(home);
      }),
      { numRuns: RUNS },
    );
  });

  // Unknown fields: the schema is strict (a stripping parse would accept a hand-edited or newer-version
  // field and silently drop it on the next write), so they are an error naming the file and the field.
  it("an unknown field at the top level or in an account is an error naming it and the file (not silently dropped on the next write)", async () => {
    for (const where of ["", "accounts.0.", "accounts.0.identity.", "accounts.0.usage."]) {
      const doc = mutate(validStore(), `${where}enabeld`, false);
      const home = freshHome();
      const file = accountsFile(home);
      fs.writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
      const before = fs.readFileSync(file);
      expect(() => readAccounts(home), where).toThrow(AccountsStoreError);
      expect(() => readAccounts(home), where).toThrow(`${where === "" ? "(top level)" : where.slice(0, -1)}: unknown field "enabeld"`);
      expect(() => readAccounts(home), where).toThrow(file);
      await expect(updateAccounts(home, (d) => void (d.active = null))).rejects.toBeInstanceOf(AccountsStoreError);
      expectUnchanged(file, before);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
describe("job records", () => {
  const ID = "s-20250101-0a1b2c3d";
  const ref = (pid: number) => ({ pid, identity: { pid, startTicks: 12345, bootId: "00000000-0000-0000-0000-000000000000" } });
  const validRecord = (): JobRecord => ({
    ...newJobRecord({ id: ID, kind: "session", name: "n", supervisor: ref(999_999), child: ref(999_998), cwd: "/w", argv: ["-m", "o3"], account: "alice", status: "exited" }, new Date("2025-01-01T00:00:00Z")),
    sessionId: "01a1faff-286d-7cb3-b5d6-fad968b9095a",
    rolloutPath: "/x/rollout.jsonl",
    endedAt: "2025-01-01T01:00:00.000Z",
    exitCode: 0,
    signal: null,
    reason: "done",
  });
  it("the fixture record itself is valid", () => expect(parseJobRecord(validRecord()).ok).toBe(true));

  const paths = [
    ...["schemaVersion", "rev", "id", "kind", "name", "status", "supervisor", "child", "marker", "cwd", "argv", "sessionId", "rolloutPath", "account", "restarts", "createdAt", "updatedAt", "endedAt", "exitCode", "signal", "reason"],
    "supervisor.pid",
    "supervisor.identity",
    "supervisor.identity.pid",
    "supervisor.identity.startTicks",
    "supervisor.identity.bootId",
    "child.pid",
    "child.identity.startTicks",
    "argv.1",
  ];

  it("a wrong value at any field: an error naming the field and the file (read, update, listing); file unchanged", () => {
    fc.assert(
      fc.property(fc.constantFrom(...paths), wrongValue, (p, v) => {
        const doc = mutate(validRecord(), p, v);
        fc.pre(!parseJobRecord(JSON.parse(JSON.stringify(doc))).ok);
        const home = freshHome();
        fs.mkdirSync(jobsDir(home), { mode: 0o700 });
        const file = jobRecordFile(home, ID);
        fs.writeFileSync(file, JSON.stringify(doc) + "\n", { mode: 0o600 });
        const before = fs.readFileSync(file);
        // The field named is the mutated one or a member of it (an object missing its pid names
        // `….pid`), or for an element of argv the array itself. (Open quote: a prefix match.)
        const field = p === "argv.1" ? "argv" : p;
        const r = readJobFile(home, ID);
        expect(r.kind).toBe("corrupt");
        expect(r.kind === "corrupt" && r.problem).toMatch(new RegExp(`field "${field.replace(/\./g, "\\.")}[".]`));
        expect(() => readJob(home, ID)).toThrow(JobRecordCorruptError);
        expect(() => readJob(home, ID)).toThrow(file);
        expect(() => updateJob(home, ID, { reason: "x" })).toThrow(JobRecordCorruptError);
        const listing = listJobs(home, { all: true });
        expect(listing.records).toEqual([]);
        expect(listing.problems).toHaveLength(1);
        expect(listing.problems[0]!.file).toBe(file);
        expect(listing.problems[0]!.problem).toMatch(new RegExp(`field "${field.replace(/\./g, "\\.")}[".]`));
        expectUnchanged(file, before);
        noTempFiles(jobsDir(home));
      }),
      { numRuns: RUNS },
    );
  });

  it("unknown fields (a newer version's) are kept through a read-modify-write, at the top level and in identities", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), (key, value) => {
        fc.pre(!(key in validRecord()) && key !== "__proto__");
        const doc = { ...validRecord(), [key]: value, supervisor: { ...validRecord().supervisor, identity: { ...validRecord().supervisor.identity, [key]: value } } };
        const home = freshHome();
        fs.mkdirSync(jobsDir(home), { mode: 0o700 });
        fs.writeFileSync(jobRecordFile(home, ID), JSON.stringify(doc));
        const next = updateJob(home, ID, { reason: "updated" });
        const stored = JSON.parse(fs.readFileSync(jobRecordFile(home, ID), "utf8")) as Record<string, unknown>;
        expect(stored[key]).toEqual(JSON.parse(JSON.stringify({ v: value })).v);
        expect((stored.supervisor as { identity: Record<string, unknown> }).identity[key]).toEqual(JSON.parse(JSON.stringify({ v: value })).v);
        expect(next.reason).toBe("updated");
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
describe("through the compiled bin", () => {
  it("broken config.json: commands that need it (accounts use) exit 2 naming the file and field; `ls` / `accounts list` do not need it and still work; nothing written", async () => {
    const home = freshHome();
    const file = configFile(home);
    fs.writeFileSync(file, '{"sigintWaitMs": "soon"}\n');
    const before = fs.readFileSync(file);
    const env = cleanEnv({ CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: path.join(home, "codex") });
    for (const args of [["accounts", "use", "alice"], ["accounts", "disable", "alice"]]) {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain('"sigintWaitMs"');
    }
    // A broken file must not stop commands that do not need it (reconcile-io falls back to
    // the lock defaults on purpose; listing accounts takes no lock).
    const ls = await runCli(["ls", "--json"], env);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
    const list = await runCli(["accounts", "list", "--json"], env);
    expect(list.code, list.stderr).toBe(0);
    expectUnchanged(file, before);
    expect(fs.readdirSync(home).filter((n) => n !== "jobs").sort()).toEqual(["config.json"]);
  });

  it("broken accounts.json: `accounts list` / `use` exit 2 naming the file and field, no secret printed, file unchanged; `ls` unaffected", async () => {
    const home = freshHome();
    const codexHome = path.join(home, "codex");
    fs.mkdirSync(codexHome);
    const store = { schemaVersion: 1, active: null, accounts: [{ ...account("alice", { kind: "chatgpt", auth: chatgptAuth("alice") }), addedAt: "yesterday" }] };
    const file = accountsFile(home);
    fs.writeFileSync(file, JSON.stringify(store, null, 2), { mode: 0o600 });
    const before = fs.readFileSync(file);
    const env = cleanEnv({ CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: codexHome });
    for (const args of [["accounts", "list"], ["accounts", "list", "--json"], ["accounts", "use", "alice"], ["accounts", "disable", "alice"]]) {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain("accounts.0.addedAt");
      for (const s of SECRET_MARKERS) expect(r.stdout + r.stderr).not.toContain(s);
    }
    expectUnchanged(file, before);
    expect(fs.existsSync(path.join(codexHome, "auth.json"))).toBe(false);
    const ls = await runCli(["ls"], env);
    expect(ls.code, ls.stderr).toBe(0);
  });

  it("broken job record: `ls --all` names the file and field on stderr and lists the rest (exit 0, documented); `status` fails naming it; file unchanged", async () => {
    const home = freshHome();
    fs.mkdirSync(jobsDir(home), { mode: 0o700 });
    const id = "j-20250101-0a1b2c3d";
    const file = jobRecordFile(home, id);
    const bad = { ...newJobRecord({ id, kind: "job", supervisor: { pid: 999_999, identity: { pid: 999_999, startTicks: 1, bootId: "b" } }, cwd: "/w", argv: [], status: "exited" }), restarts: -3 };
    fs.writeFileSync(file, JSON.stringify(bad) + "\n", { mode: 0o600 });
    const before = fs.readFileSync(file);
    const env = cleanEnv({ CODEX_AUTH_SUPERVISOR_HOME: home, CODEX_HOME: path.join(home, "codex") });
    const ls = await runCli(["ls", "--all", "--json"], env);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
    expect(ls.stderr).toContain(file);
    expect(ls.stderr).toContain('field "restarts"');
    const st = await runCli(["status", id], env);
    expect(st.code, st.stderr).not.toBe(0);
    expect(st.stderr).toContain(file);
    expect(st.stderr).toContain('field "restarts"');
    expectUnchanged(file, before);
  });
});
