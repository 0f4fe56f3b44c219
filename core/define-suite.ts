import type { SuiteInput } from './schema.ts';

/**
 * Declares a suite in `opsproof.config.ts`. Returns its argument unchanged: the value is validated
 * when loaded, so the config file stays a plain, importable module with editor types.
 *
 * @example
 * export default defineSuite({
 *   service: 'orders',
 *   environments: { local: { target: 'http://127.0.0.1:8080', demo: true } },
 *   kpis: { availability: 99.9, p99: 1000, errorRate: 0.01 },
 * });
 */
export function defineSuite<const T extends SuiteInput>(config: T): T {
  return config;
}
