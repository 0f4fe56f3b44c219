import { isAbsolute, resolve } from 'node:path';

/**
 * An alarm's runbook as reports link it: URLs stay as they are, paths (relative to the config file,
 * as the config writes them) become absolute, so a report in any run directory links the file.
 */
export function resolveRunbook(runbook: string | undefined, configDir: string): string | undefined {
  if (runbook === undefined || runbook === '') return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(runbook) || isAbsolute(runbook)) return runbook;
  return resolve(configDir, runbook);
}
