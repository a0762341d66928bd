// One codex at a time starts on a ChatGPT login whose token is due. A codex refreshes a due access
// token (≤ 300 s before its `exp`) about a second after it starts, calling the token endpoint before
// it takes its own file lock; three codex processes started together on one due login made one
// refresh and two reuses in every run measured (test bed) — and a reuse revokes the login, i.e. logs
// the user out. Supervised sessions start together exactly when a rotation makes every terminal
// follow the new login, so the start is gated: the first supervisor holds `<home>/refresh.gate`
// while its codex starts and refreshes (auth.json no longer due), the others wait for it, find the
// login refreshed, and start at once. A gate whose holder died, or that is held too long, is taken
// over; nothing is ever waited for without a bound.
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { readCodexAuth } from "../accounts/codex-auth.js";
import { refreshDueAt } from "../accounts/login-info.js";
import { isAlive, readIdentity, sameIdentity, type ProcessIdentity } from "../process/identity.js";

/** codex refreshes before a request once its token is this close to `exp`; a little slack on top. */
const DUE_MARGIN_MS = 5_000;

interface GateOptions {
  home: string;
  codexHome: string;
  /** How long the holder keeps the gate at most while its codex starts (default 15 s). */
  holdMaxMs?: number;
  /** How long a waiter waits at most before starting anyway (default 30 s). */
  waitMaxMs?: number;
  pollMs?: number;
  now?: () => number;
}

interface GateEntry {
  /** We hold the gate: call `leaveWhenRefreshed` once codex is spawned. */
  held: boolean;
  /** Wait (bounded) until auth.json is no longer due or `exited` settles, then leave the gate. */
  leaveWhenRefreshed(exited: Promise<unknown>): Promise<void>;
}

export const refreshGateDir = (home: string) => path.join(home, "refresh.gate");

/** Is the login in auth.json a ChatGPT login whose token codex would refresh at its next request? */
export async function loginDue(codexHome: string, now: number): Promise<boolean> {
  const read = await readCodexAuth(codexHome, { attempts: 3, delayMs: 10 });
  if (read.kind !== "ok" || !read.auth.tokens) return false;
  const due = refreshDueAt(read.auth);
  return due !== null && due <= now + DUE_MARGIN_MS;
}

interface Holder {
  identity: ProcessIdentity;
  since: number;
}

function readHolder(dir: string): Holder | null {
  try {
    const h = JSON.parse(fs.readFileSync(path.join(dir, "holder.json"), "utf8")) as Holder;
    return typeof h?.identity?.pid === "number" && typeof h.since === "number" ? h : null;
  } catch {
    return null; // being written, or gone
  }
}

export async function enterRefreshGate(o: GateOptions): Promise<GateEntry> {
  const now = o.now ?? Date.now;
  const pollMs = o.pollMs ?? 50;
  const holdMaxMs = o.holdMaxMs ?? 15_000;
  const dir = refreshGateDir(o.home);
  const me = readIdentity(process.pid);
  const notHeld: GateEntry = { held: false, leaveWhenRefreshed: async () => {} };
  if (!me || !(await loginDue(o.codexHome, now()))) return notHeld;
  const deadline = now() + (o.waitMaxMs ?? 30_000);
  for (;;) {
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.writeFileSync(path.join(dir, "holder.json"), JSON.stringify({ identity: me, since: now() } satisfies Holder), { mode: 0o600, flag: "wx" });
      return {
        held: true,
        leaveWhenRefreshed: async (exited) => {
          let gone = false;
          void exited.then(() => (gone = true));
          const until = now() + holdMaxMs;
          while (!gone && now() < until && (await loginDue(o.codexHome, now()))) await sleep(pollMs);
          const h = readHolder(dir);
          if (h && sameIdentity(h.identity, me)) fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") return notHeld; // no gate possible here: start as codex would
    }
    // Someone holds it. Their codex may just have refreshed the login for us.
    if (!(await loginDue(o.codexHome, now()))) return notHeld;
    const h = readHolder(dir);
    const abandoned = h !== null && (!isAlive(h.identity) || now() - h.since > holdMaxMs + 5_000);
    // A gate without a holder file for long is a holder that died between mkdir and write.
    const orphan = h === null && gateAgeMs(dir, now()) > 2_000;
    // Taken over only if it is still the very holder judged gone (another waiter may have been faster).
    if ((abandoned && sameHolder(readHolder(dir), h)) || (orphan && readHolder(dir) === null)) fs.rmSync(dir, { recursive: true, force: true });
    else if (now() > deadline) return notHeld;
    else await sleep(pollMs);
  }
}

function sameHolder(a: Holder | null, b: Holder | null): boolean {
  return a !== null && b !== null && a.since === b.since && sameIdentity(a.identity, b.identity);
}

function gateAgeMs(dir: string, now: number): number {
  try {
    return now - fs.statSync(dir).mtimeMs;
  } catch {
    return 0;
  }
}
