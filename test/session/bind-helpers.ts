// Poll the binding until it binds, for tests that start a real codex and wait for its session. (The
// supervisor loop polls bindSession itself, at its own tick.)
import { tryBindSession, type BindAttempt, type BindOptions, type Binding } from "../../lib/session/bind.js";

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Between attempts (default 250 ms). */
  intervalMs?: number;
  /** Called with every attempt (the bound one included), e.g. to explain a wrong or missing binding. */
  onAttempt?: (attempt: BindAttempt) => void;
}

export type WaitBindOptions = Omit<BindOptions, "childPids"> & {
  /** The live tree, re-read before every attempt when a function. */
  childPids: readonly number[] | (() => readonly number[] | Promise<readonly number[]>);
};

/** tryBindSession until it binds, the deadline passes, or the signal aborts (then null). */
export async function waitForBinding(opts: WaitBindOptions, wait: WaitOptions): Promise<Binding | null> {
  const deadline = Date.now() + wait.timeoutMs;
  const interval = Math.max(1, wait.intervalMs ?? 250);
  for (;;) {
    if (wait.signal?.aborted) return null;
    const childPids = typeof opts.childPids === "function" ? await opts.childPids() : opts.childPids;
    const attempt = await tryBindSession({ ...opts, childPids });
    wait.onAttempt?.(attempt);
    if (attempt.binding) return attempt.binding;
    const left = deadline - Date.now();
    if (left <= 0) return null;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, Math.min(interval, left));
      function done(): void {
        clearTimeout(t);
        wait.signal?.removeEventListener("abort", done);
        resolve();
      }
      wait.signal?.addEventListener("abort", done, { once: true });
    });
  }
}
