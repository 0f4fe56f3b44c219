import { selectStages } from './run.ts';
import type { Stage } from './stage.ts';
import { createAssertionsStage } from './stages/assertions-stage.ts';
import { createCanaryStage } from './stages/canary-stage.ts';
import { createChaosStage } from './stages/chaos-stage.ts';
import { createLoadStage } from './stages/load-stage.ts';
import { createGatePreflightStage } from './stages/preflight-stage.ts';

export interface GateOptions {
  /** `--only STAGE…` */
  only?: readonly string[];
  /** `--skip STAGE…` */
  skip?: readonly string[];
  /** `--confirm-env` for chaos in a production environment run non-interactively. */
  confirmEnv?: string;
}

/**
 * The gate's stages, in order, after `--only` / `--skip` (unknown names are usage errors). Adding a
 * capability to the gate is one line here:
 * preflight → canaries → load → chaos (+ its expectations, load during each fault) → canaries after →
 * assertions (the suite's expectations).
 */
export function gateStages(options: GateOptions = {}): Stage[] {
  const confirm = options.confirmEnv ? { confirmEnv: options.confirmEnv } : {};
  const all = (preflight: Stage): Stage[] => [
    preflight,
    createCanaryStage(),
    createLoadStage(),
    createChaosStage(confirm),
    createCanaryStage({ name: 'canaries-after' }),
    createAssertionsStage(),
  ];
  // `--only preflight,load` and `--only preflight load` say the same.
  const split = (names?: readonly string[]) => names?.flatMap((n) => n.split(',')).filter(Boolean);
  const chosen = selectStages(all(createGatePreflightStage({ stages: [] })), {
    only: split(options.only),
    skip: split(options.skip),
  });
  const names = chosen.map((s) => s.name);
  return chosen.map((s) =>
    s.name === 'preflight' ? createGatePreflightStage({ stages: names, ...confirm }) : s,
  );
}
