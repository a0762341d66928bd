// Temp files of SIGKILLed writers (`.<name>.<pid>.<12 hex>.tmp`, lib/fs/atomic.ts) are swept by the
// next write of the same target — only when their pid is dead and they are older than
// STALE_TEMP_MIN_AGE_MS; a live writer's temp (any live pid, ours included), a young one, another
// target's, or a name we did not make is never touched.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { updateAccounts } from "../../lib/accounts/store.js";
import { emptyAccountsFile } from "../../lib/accounts/schema.js";
import { STALE_TEMP_MIN_AGE_MS, sweepStaleTemps, writeFileAtomic } from "../../lib/fs/atomic.js";
import { cleanEnv } from "../helpers/env.js";
import { makeHomes, writeStoreRaw, type Homes } from "./helpers.js";

let h: Homes;
beforeEach(() => {
  h = makeHomes();
});
afterEach(() => h.cleanup());

/** The pid of a process that has exited (spawned and waited for here). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""], { stdio: "ignore", env: cleanEnv() });
  expect(r.status).toBe(0);
  expect(() => process.kill(r.pid!, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  return r.pid!;
}

function temp(dir: string, target: string, pid: number, ageMs: number, hex = "0123456789ab"): string {
  const name = `.${target}.${pid}.${hex}.tmp`;
  const p = path.join(dir, name);
  fs.writeFileSync(p, "partial", { mode: 0o600 });
  const t = (Date.now() - ageMs) / 1000;
  fs.utimesSync(p, t, t);
  return name;
}

const old = STALE_TEMP_MIN_AGE_MS + 60_000;

describe("stale temp files of dead writers", () => {
  it("the next write of the same target removes only the old temps of dead pids", () => {
    const dir = h.codexHome;
    const dead = deadPid();
    const gone = temp(dir, "auth.json", dead, old);
    const goneToo = temp(dir, "auth.json", dead, old, "ba9876543210");
    const young = temp(dir, "auth.json", dead, 1_000, "00000000000f");
    const liveOther = temp(dir, "auth.json", process.ppid, old); // alive: our parent
    const init = temp(dir, "auth.json", 1, old); // pid 1 is always alive
    const ours = temp(dir, "auth.json", process.pid, old);
    const otherTarget = temp(dir, "config.json", dead, old);
    const notOurs = ".auth.json.backup.tmp";
    fs.writeFileSync(path.join(dir, notOurs), "x");
    writeFileAtomic(path.join(dir, "auth.json"), "{}");
    const left = fs.readdirSync(dir).sort();
    expect(left).not.toContain(gone);
    expect(left).not.toContain(goneToo);
    expect(left).toEqual(["auth.json", young, liveOther, init, ours, otherTarget, notOurs].sort());
  });

  it("sweepStaleTemps reports what it removed and never throws (a directory that is gone)", () => {
    const dead = deadPid();
    const name = temp(h.codexHome, "auth.json", dead, old);
    expect(sweepStaleTemps(path.join(h.codexHome, "auth.json"))).toEqual([name]);
    expect(sweepStaleTemps(path.join(h.codexHome, "auth.json"))).toEqual([]);
    expect(sweepStaleTemps(path.join(h.root, "no-such-dir", "x.json"))).toEqual([]);
  });

  it("an accounts store write sweeps the leftovers of a killed `accounts` writer", async () => {
    writeStoreRaw(h.home, emptyAccountsFile());
    const dead = deadPid();
    const name = temp(h.home, "accounts.json", dead, old);
    await updateAccounts(h.home, (d) => void d.accounts.push({ name: "x", kind: "api-key", auth: { OPENAI_API_KEY: "k" }, identity: {}, usage: {}, enabled: true, addedAt: "2025-01-01T00:00:00.000Z" }));
    expect(fs.readdirSync(h.home).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect(fs.existsSync(path.join(h.home, name))).toBe(false);
  });
});
