import type { Stage } from './stage.ts';
import { preflightStage } from './stages/preflight-stage.ts';

/**
 * The gate's stages, in order. Adding a capability to the gate is one line here:
 * preflight → canaries → load → chaos (+ expectations) → canaries after → assertions.
 */
export function gateStages(): Stage[] {
  return [preflightStage];
}
