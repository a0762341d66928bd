// The one place both entry points (an interactive session from the shim, a background job) turn a
// config into a running supervisor: the ports wired to this job, and the loop's options.
import type { Config } from "../config/schema.js";
import { superviseCodex, type SuperviseResult } from "./core.js";
import type { StopStep } from "./effects.js";
import type { SupervisedMode } from "./exit-policy.js";
import { realPorts, type RealPortsInput } from "./ports.js";

/** How long the kernel gets to finish SIGKILLed processes before the stop reports survivors. */
const SIGKILL_CONFIRM_MS = 2000;

function stopStepsFrom(config: Pick<Config, "sigintWaitMs" | "sigtermWaitMs">): StopStep[] {
  return [
    { signal: "SIGINT", graceMs: config.sigintWaitMs },
    { signal: "SIGTERM", graceMs: config.sigtermWaitMs },
    { signal: "SIGKILL", graceMs: SIGKILL_CONFIRM_MS },
  ];
}

interface LaunchInput extends RealPortsInput {
  mode: SupervisedMode;
  initialArgv: string[];
  resumeArgv: (sessionId: string, prompt: string | null) => string[];
}

export function launchSupervisor(input: LaunchInput): Promise<SuperviseResult> {
  const { config } = input;
  const steps = stopStepsFrom(config);
  return superviseCodex({
    mode: input.mode,
    initialArgv: input.initialArgv,
    resumeArgv: input.resumeArgv,
    ports: realPorts(input),
    thresholds: { rotateAtRemainingPercent: config.rotateAtRemainingPercent, preselectAtRemainingPercent: config.preselectAtRemainingPercent },
    whenAllExhausted: config.whenAllExhausted,
    continuePrompt: config.continueCutTurns ? config.continuePrompt : null,
    crash: config,
    stopSteps: steps,
    leftoverSteps: steps,
  });
}
