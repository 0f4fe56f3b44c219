import type { ExperimentInput } from '../core/schema.ts';

/**
 * Declares an FIS-shaped experiment in TypeScript. The same definition runs locally through the
 * fault gateway and in AWS as an FIS experiment template.
 *
 * @example
 * export const apiErrors = defineExperiment({
 *   description: '30 % of API invocations fail',
 *   targets: { Functions: { resourceType: 'aws:lambda:function', resourceTags: { service: 'demo' }, selectionMode: 'ALL' } },
 *   actions: {
 *     errors: {
 *       actionId: 'aws:lambda:invocation-error',
 *       parameters: { duration: 'PT1M', invocationPercentage: '30' },
 *       targets: { Functions: 'Functions' },
 *     },
 *   },
 *   stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'ServiceDown' }],
 * });
 */
export function defineExperiment<const T extends ExperimentInput>(experiment: T): T {
  return experiment;
}
