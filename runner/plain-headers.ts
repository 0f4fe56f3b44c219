import type { RunContext } from './stage.ts';

/**
 * The environment's request headers that can be sent as they are: a value holding a secret
 * reference (`${secret:…}`) is left out, never sent as the placeholder itself.
 */
export function plainHeaders(env: Pick<RunContext['env'], 'headers'>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env.headers ?? {}).filter(([, value]) => !value.includes('${secret:')),
  );
}
