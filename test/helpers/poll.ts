// The one poll-with-deadline of the tests: for a state that gives no event to wait for (a file, a
// process table, a screen). A check that throws counts as "not yet" until the deadline, and the last
// error is named in the timeout.

/** Thrown when the deadline passes; a caller that wants what is left (not a failure) catches this. */
export class PollTimeout extends Error {
  override name = "PollTimeout";
}

/**
 * Call `check` every `intervalMs` until it returns a value (not `undefined`, `null` or `false`), and
 * resolve with that; after `timeoutMs` reject with a PollTimeout naming `what` (a function is called
 * then, to describe the state it gave up on).
 */
export async function pollUntil<T>(
  check: () => T | undefined | null | false,
  timeoutMs: number,
  what: string | (() => string),
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = check();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const described = typeof what === "function" ? what() : what;
      throw new PollTimeout(`timed out after ${timeoutMs} ms waiting for ${described}${lastErr ? ` (last error: ${String(lastErr)})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * For a wait whose outcome the test asserts itself afterwards (or that gives up on purpose, e.g. "press
 * again"): `pollUntil(...).catch(ignorePollTimeout)`. Any other error still fails the test.
 */
export function ignorePollTimeout(e: unknown): void {
  if (!(e instanceof PollTimeout)) throw e;
}
