import { type RequiredTool, requireTool } from '../core/tools.ts';

/** k6 for the load tests: a skip locally when it is missing, a failure under CI (core/tools.ts). */
export function requireK6(): RequiredTool {
  return requireTool('k6');
}
