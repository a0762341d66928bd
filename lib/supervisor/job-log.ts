// The supervisor's writes to its job's files must never end the session: a full disk, a log or record
// made read-only or removed under us (ENOSPC, EROFS, EACCES...) costs the bookkeeping, not the codex
// the user is talking to. appendEvent / updateJob throw on such failures (and leave no half line or
// half record, jobs/records.ts); these wrappers turn the first failure of each kind into one line on the
// supervisor's stderr (the terminal for a session, the job's output file for a job) and drop the rest
// silently — one line, not one per event.

export type Append = (data: { type: string } & Record<string, unknown>) => void;

/** `fn`, except that a throw is reported once through `warn` (as "could not <what>") and swallowed. */
export function tolerant<A extends unknown[]>(what: string, fn: (...args: A) => void, warn: (line: string) => void): (...args: A) => void {
  let warned = false;
  return (...args) => {
    try {
      fn(...args);
    } catch (err) {
      if (warned) return;
      warned = true;
      const why = err instanceof Error ? err.message : String(err);
      try {
        warn(`codex-supervisor: could not ${what} (${why}); the session goes on, further failures of this kind are not reported\n`);
      } catch {
        /* stderr gone too: nothing left to tell */
      }
    }
  };
}

export function tolerantAppend(append: Append, warn: (line: string) => void): Append {
  return tolerant("write the job's event log", append, warn);
}
