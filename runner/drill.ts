import type { Stage } from './stage.ts';
import { createDrillStage, type DrillStageOptions } from './stages/drill-stage.ts';
import { preflightStage } from './stages/preflight-stage.ts';

/** A drill's stages: preflight (the target answers), then the drill itself. */
export function drillStages(name: string, options: DrillStageOptions = {}): Stage[] {
  return [preflightStage, createDrillStage(name, options)];
}
