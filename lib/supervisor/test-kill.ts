// TEST-ONLY fault injection: CODEX_AUTH_TEST_KILL_AT=<step> makes the supervisor SIGKILL its own process
// the first time it reaches that step of a rotation, so test/faults/rotation-kill.test.ts can prove that
// a supervisor dying at the worst moment loses no session, no token and leaves nothing `reap` cannot
// clean. A SIGKILL (not an exception) because nothing of ours may run afterwards: no finally, no
// last-resort hook — exactly what an OOM kill or a `kill -9` does. Like every CODEX_AUTH_* key it is
// stripped from codex's environment (child-env.ts), so it never reaches codex. Unset (every real use):
// the check is one string comparison per step.
//
// Steps, in the order a rotation goes through them (core.ts rotate / ports.ts stopTree):
//   during-escalation  right after the first signal of the escalation went to codex's tree
//   before-sync-back   a child has ended (on its own or escalated); codex's auth.json not yet synced back
//   after-activation   the successor is active (store + CODEX_HOME/auth.json), the job record not yet told
//   before-resume      the rotation is complete; the resumed codex not yet spawned

export const TEST_KILL_ENV = "CODEX_AUTH_TEST_KILL_AT";

export const KILL_STEPS = ["during-escalation", "before-sync-back", "after-activation", "before-resume"] as const;
export type KillStep = (typeof KILL_STEPS)[number];

/** The checkpoint for this process's environment: a no-op unless the variable names that step. */
export function killPointFrom(env: NodeJS.ProcessEnv, kill: () => void = () => process.kill(process.pid, "SIGKILL")): (step: KillStep) => void {
  const want = env[TEST_KILL_ENV];
  if (want === undefined || want === "") return () => {};
  if (!(KILL_STEPS as readonly string[]).includes(want)) throw new Error(`${TEST_KILL_ENV}=${want}: not a step (one of ${KILL_STEPS.join(", ")})`);
  return (step) => {
    if (step === want) kill();
  };
}
