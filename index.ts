/**
 * The `opsproof` package: what config, canary and experiment files import.
 *
 * @example
 * import { defineSuite, defineCanary, defineExperiment } from 'opsproof';
 */

export type {
  CanaryContext,
  CanaryDefinition,
  CanaryHttp,
  CanaryOptions,
  CanaryResponse,
  CanaryType,
} from './canaries/define-canary.ts';
export { defineCanary } from './canaries/define-canary.ts';
export { defineExperiment } from './chaos/define-experiment.ts';
export { defineSuite } from './core/define-suite.ts';
export type { RunResult } from './core/run-result.ts';
export type {
  AlarmDefinitionInput,
  Expectation,
  ExperimentInput,
  LoadProfileInput,
  Suite,
  SuiteInput,
} from './core/schema.ts';
