import { realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

/** A folder of the machine and what an artifact names it by instead. */
export interface MachineRoot {
  path: string;
  as: string;
}

/**
 * The folders a Playwright trace names in its call stacks and errors: the working directory (the
 * suite, its canary files), opsproof's own install, `$HOME` and the temp folder, each also as its
 * real path (a symlinked /tmp).
 */
export function machineRoots(cwd: string = process.cwd()): MachineRoot[] {
  const roots: MachineRoot[] = [
    { path: cwd, as: '.' },
    { path: fileURLToPath(new URL('..', import.meta.url)), as: 'opsproof' },
    { path: homedir(), as: '~' },
    { path: tmpdir(), as: '$TMPDIR' },
  ];
  const real = roots.flatMap((root) => {
    try {
      const path = realpathSync(root.path);
      return path === root.path ? [] : [{ ...root, path }];
    } catch {
      return [];
    }
  });
  return [...roots, ...real]
    .map((r) => ({ ...r, path: r.path.replace(/\/+$/, '') }))
    .filter((r) => r.path.length > 1);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces absolute paths under `roots` (the longest first, so the working directory wins over the
 * temp folder holding it) with their names: `/tmp/x/canaries/home.canary.ts` → `./canaries/home.canary.ts`.
 * Only where a path starts (after a quote, a bracket, a space, `=` or `file://`), so a URL's own
 * `/tmp/…` path is left as it is. Pure.
 */
export function createMachinePathScrubber(roots: readonly MachineRoot[]): (text: string) => string {
  const sorted = [...roots].sort((a, b) => b.path.length - a.path.length);
  if (sorted.length === 0) return (text) => text;
  const pattern = new RegExp(
    `(^|[\\s"'(\\[=,]|file://)(${sorted.map((r) => escapeRegExp(r.path)).join('|')})(?=[/"'\\s)\\]:,]|$)`,
    'gm',
  );
  const byPath = new Map(sorted.map((r) => [r.path, r.as]));
  return (text) =>
    text.replace(pattern, (_match, before: string, path: string) => `${before}${byPath.get(path)}`);
}
