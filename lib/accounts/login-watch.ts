// Watch CODEX_HOME/auth.json and store every new login codex writes there at once, under the storage
// lock, so a supervisor killed by SIGKILL, a crash or a power cut loses no refresh token; tell the
// caller what the login now is (login-info.ts). Codex replaces auth.json by rename (a new inode), so
// the directory is watched, not the file; a stat poll catches what fs.watch misses. A burst of
// events (codex's temp file, its rename) is handled once, within `debounceMs`..`maxWaitMs`.
// The watcher never writes auth.json. See docs/architecture.md §5 "Logins shared by terminals".
import fs from "node:fs";
import path from "node:path";
import type { StorageLockOptions } from "../lock/storage-lock.js";
import { syncLogin, type ReadRetry } from "./activate.js";
import { describeLogin, type Login } from "./login-info.js";

interface WatchLoginOptions {
  /** Our storage home (accounts.json, the lock). */
  home: string;
  codexHome: string;
  lock?: StorageLockOptions;
  retry?: ReadRetry;
  /** Quiet time after the last event before handling (default 40 ms). */
  debounceMs?: number;
  /** Handle at the latest this long after the first event of a burst (default 250 ms). */
  maxWaitMs?: number;
  /** Stat poll, in case fs.watch misses an event (default 1000 ms). */
  pollMs?: number;
  /**
   * A handling failed (lock timeout, unreadable store…): it is retried at the next change of auth.json,
   * or after a back-off (1 s doubling to 30 s) — not at every poll. Default: ignored.
   */
  onError?: (err: unknown) => void;
}

export interface LoginWatch {
  /** The login last handled, or null before the first handling. */
  current(): Login | null;
  /** Resolves with the first handling (made at start: anything pending in auth.json is stored then). */
  ready: Promise<Login>;
  /** Stop watching. A handling already under way finishes (its store write is atomic). */
  close(): void;
}

const AUTH = "auth.json";

function statSignature(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? "?"}`;
  }
}

/**
 * Store every login that appears in CODEX_HOME/auth.json and call `onLogin` with what it is: at start,
 * then whenever the owner or fingerprint changes, or tokens were stored (a refresh), or the file
 * cannot be used. Compare `fingerprint`s to tell an account change from a refresh of the same one.
 */
export function watchLogin(o: WatchLoginOptions, onLogin: (login: Login) => void): LoginWatch {
  const debounceMs = o.debounceMs ?? 40;
  const maxWaitMs = o.maxWaitMs ?? 250;
  const pollMs = o.pollMs ?? 1000;
  const file = path.join(o.codexHome, AUTH);
  let closed = false;
  let current: Login | null = null;
  let handledSig: string | null = null;
  let retryAt = Infinity;
  let backoffMs = 0;
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let burstStart = 0;
  let watcher: fs.FSWatcher | null = null;
  let resolveReady!: (l: Login) => void;
  const ready = new Promise<Login>((r) => (resolveReady = r));

  const deliver = (next: Login) => {
    const prev = current;
    current = next;
    if (prev === null) resolveReady(next);
    const worth =
      prev === null || prev.fingerprint !== next.fingerprint || prev.account !== next.account || prev.kind !== next.kind || next.sync.status === "synced" || next.sync.status === "stale";
    if (!worth) return;
    try {
      onLogin(next);
    } catch (err) {
      o.onError?.(err);
    }
  };

  const handle = async () => {
    timer = null;
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    const sig = statSignature(file);
    try {
      const r = await syncLogin({ home: o.home, codexHome: o.codexHome, ...(o.lock ? { lock: o.lock } : {}), ...(o.retry ? { retry: o.retry } : {}) });
      handledSig = sig;
      retryAt = Infinity;
      backoffMs = 0;
      if (!closed) deliver(describeLogin(r.store, r.read, r.sync));
    } catch (err) {
      // Not again at every poll (a corrupt store stays corrupt): at the next change, or after a back-off.
      handledSig = sig;
      backoffMs = Math.min(30_000, backoffMs === 0 ? 1000 : backoffMs * 2);
      retryAt = Date.now() + backoffMs;
      o.onError?.(err);
    } finally {
      running = false;
      if (again && !closed) {
        again = false;
        schedule();
      }
    }
  };

  const schedule = () => {
    if (closed) return;
    const now = Date.now();
    if (timer) clearTimeout(timer);
    else burstStart = now;
    timer = setTimeout(() => void handle(), Math.max(0, Math.min(debounceMs, burstStart + maxWaitMs - now)));
    timer.unref();
  };

  const startWatcher = () => {
    if (watcher || closed) return;
    try {
      watcher = fs.watch(o.codexHome, { persistent: false }, (_event, name) => {
        if (name === null || name === AUTH) schedule();
      });
      watcher.on("error", () => {
        // The directory went away or the watch broke: the poll carries on and re-arms it.
        watcher?.close();
        watcher = null;
      });
    } catch {
      watcher = null; // CODEX_HOME does not exist yet: the poll re-arms the watch once it does
    }
  };

  startWatcher();
  const poll = setInterval(() => {
    startWatcher();
    if (!running && !timer && (statSignature(file) !== handledSig || Date.now() >= retryAt)) schedule();
  }, pollMs);
  poll.unref();
  schedule();

  return {
    current: () => current,
    ready,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
      watcher = null;
    },
  };
}
