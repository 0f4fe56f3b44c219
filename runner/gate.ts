import type { Stage } from './stage.ts';
import { createAssertionsStage } from './stages/assertions-stage.ts';
import { createCanaryStage } from './stages/canary-stage.ts';
import { createChaosStage } from './stages/chaos-stage.ts';
import { createLoadStage } from './stages/load-stage.ts';
import { preflightStage } from './stages/preflight-stage.ts';

/**
 * The gate's stages, in order. Adding a capability to the gate is one line here:
 * preflight → canaries → load → chaos (+ its expectations) → canaries after → assertions.
 */
export function gateStages(): Stage[] {
  return [
    preflightStage,
    createCanaryStage(),
    createLoadStage(),
    createChaosStage(),
    createCanaryStage({ name: 'canaries-after' }),
    createAssertionsStage(),
  ];
}
