import type { ResolvedEnvironment } from '../core/load-config.ts';
import type { NamedTarget } from '../core/schema.ts';
import { resolveReadyPath } from './local-target.ts';
import type { RunContext, StartedTarget } from './stage.ts';

/** One target of an environment as the runner uses it: the single `target` form is one unnamed target. */
export interface EnvironmentTarget {
  /** Its key in `environments.X.targets`; undefined for the single `target` form. */
  name: string | undefined;
  url: string | undefined;
  readyPath: string | undefined;
  readyTcp: string | undefined;
  start: NamedTarget['start'];
  isDefault: boolean;
}

/** The default target's name: the first named target with a url; undefined in the single `target` form. */
export function defaultTargetName(env: Pick<ResolvedEnvironment, 'targets'>): string | undefined {
  return Object.entries(env.targets ?? {}).find(([, t]) => t.url !== undefined)?.[0];
}

/** The environment's targets in config order; the default one (the first with a url) is marked. */
export function listTargets(
  env: Pick<ResolvedEnvironment, 'target' | 'targets' | 'readyPath' | 'start'>,
): EnvironmentTarget[] {
  if (!env.targets) {
    return [
      {
        name: undefined,
        url: env.target,
        readyPath: env.readyPath,
        readyTcp: undefined,
        start: env.start,
        isDefault: true,
      },
    ];
  }
  const defaultName = defaultTargetName(env);
  return Object.entries(env.targets).map(([name, t]) => ({
    name,
    url: t.url,
    readyPath: t.readyPath,
    readyTcp: t.readyTcp,
    start: t.start,
    isDefault: name === defaultName,
  }));
}

/** One target's readiness path (DESIGN.md, Targets): a named target's own, else the environment's. */
export function readyPathOf(
  env: Pick<ResolvedEnvironment, 'readyPath' | 'start' | 'demo'>,
  entry: EnvironmentTarget,
): string {
  return resolveReadyPath(
    entry.name === undefined ? env : { readyPath: entry.readyPath, start: entry.start, demo: false },
  );
}

/** The target a canary, profile or experiment names, as the run reaches it. */
export interface StageTarget {
  /** The target's name (undefined: the single `target` form). */
  name: string | undefined;
  /** URL the stage hits: through its fault gateway when one runs. */
  url: string;
  target: StartedTarget | undefined;
}

/**
 * Where a stage sends the traffic of something that names `name` (or nothing: the default target).
 * Names are checked before the run (`validate-run.ts`); an unknown one here is a programming error.
 */
export function resolveStageTarget(
  context: Pick<RunContext, 'env' | 'targetUrl' | 'target' | 'targets'>,
  name?: string,
): StageTarget {
  const all = listTargets(context.env);
  const chosen = name === undefined ? all.find((t) => t.isDefault) : all.find((t) => t.name === name);
  if (!chosen) throw new Error(`unknown target "${name}"`);
  if (chosen.isDefault) return { name: chosen.name, url: context.targetUrl, target: context.target };
  const reached = chosen.name === undefined ? undefined : context.targets?.[chosen.name];
  if (!reached) throw new Error(`target "${chosen.name}" has no url to send traffic to`);
  return { name: chosen.name, url: reached.url, target: reached.target };
}
