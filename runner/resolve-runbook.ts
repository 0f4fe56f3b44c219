import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Where a run's runbook paths are resolved from and rendered for (a RunContext has both). */
export interface RunbookBase {
  /** The config's folder: runbook paths in the config are relative to it. */
  loaded: { dir: string };
  /** The run directory, where the reports that link the runbook are. */
  outDir: string;
}

const URL_PATTERN = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * An alarm's runbook as reports link it, never an absolute path of the machine: a URL as it is; a
 * file inside the config's folder relative to the run directory (where result.json, summary.md and
 * report.html are) when the run directory is inside that folder too (`reports/<run-id>/`), else
 * relative to the config's folder (a link from `--out /elsewhere` would have to climb through the
 * machine's own path). A file outside the config's folder stays as the config writes it.
 */
export function resolveRunbook(runbook: string | undefined, base: RunbookBase): string | undefined {
  if (runbook === undefined || runbook === '') return undefined;
  if (URL_PATTERN.test(runbook)) return runbook;
  const project = resolve(base.loaded.dir);
  const file = resolve(project, runbook);
  if (!isInside(project, file)) return runbook;
  const runDir = resolve(base.outDir);
  return relative(isInside(project, runDir) ? runDir : project, file)
    .split(sep)
    .join('/');
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
