// The supervisor's writes to its job's event log must never end the session: a full disk, a log made
// read-only or removed under us (ENOSPC, EROFS, EACCES...) costs the log, not the codex the user is
// talking to. appendEvent throws on such failures (and leaves no half line, jobs/store.ts); this wrapper
// turns the first failure into one line on the supervisor's stderr (the terminal for a session, the
// job's output file for a job) and drops the rest silently — one line, not one per event.

export type Append = (data: { type: string } & Record<string, unknown>) => void;

export function tolerantAppend(append: Append, warn: (line: string) => void): Append {
  let warned = false;
  return (data) => {
    try {
      append(data);
    } catch (err) {
      if (warned) return;
      warned = true;
      const why = err instanceof Error ? err.message : String(err);
      try {
        warn(`codex-supervisor: could not write the job's event log (${why}); the session goes on, further log failures are not reported\n`);
      } catch {
        /* stderr gone too: nothing left to tell */
      }
    }
  };
}
