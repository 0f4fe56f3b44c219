import { launchChromium } from './launch-chromium.ts';
import type { LoadedCanary } from './load-canaries.ts';
import { type CanariesOutcome, type RunCanariesOptions, runCanaries } from './run-canaries.ts';

/** Where the canaries naming one target run. */
export interface CanaryTarget {
  url: string;
  /** Set on the results of the canaries that ran there (`targetName`); none: results stay untagged. */
  name?: string | undefined;
}

export interface RunCanariesPerTargetOptions extends Omit<RunCanariesOptions, 'baseUrl' | 'browser'> {
  /** The target a canary's `defineCanary({ target })` names (undefined: it names none). */
  targetOf(name: string | undefined): CanaryTarget;
}

/**
 * Runs each canary against the target it names: one `runCanaries` per target, in the order the
 * canaries come, files that failed to load reported once, and one Chromium for every target when
 * several have browser canaries (as for one target).
 */
export async function runCanariesPerTarget(options: RunCanariesPerTargetOptions): Promise<CanariesOutcome> {
  const { targetOf, canaries, failures, ...run } = options;
  const groups = new Map<string, { target: CanaryTarget; canaries: LoadedCanary[] }>();
  for (const canary of canaries) {
    const target = targetOf(canary.definition.options.target);
    const key = `${target.name ?? ''}\n${target.url}`;
    const group = groups.get(key) ?? { target, canaries: [] };
    group.canaries.push(canary);
    groups.set(key, group);
  }
  // Only load failures: they still become failed results, reported against the default target.
  if (groups.size === 0) groups.set('', { target: targetOf(undefined), canaries: [] });

  const launched =
    groups.size > 1 && canaries.some((c) => c.definition.options.type === 'browser')
      ? await launchChromium()
      : undefined;
  const outcome: CanariesOutcome = { canaries: [], artifacts: [] };
  let pendingFailures = failures;
  try {
    for (const { target, canaries: group } of groups.values()) {
      const ran = await runCanaries({
        ...run,
        canaries: group,
        ...(pendingFailures ? { failures: pendingFailures } : {}),
        baseUrl: target.url,
        ...(launched ? { browser: launched.browser } : {}),
      });
      pendingFailures = undefined;
      const tag = target.name;
      outcome.canaries.push(
        ...ran.canaries.map((c) =>
          tag !== undefined && group.some((g) => g.definition.options.name === c.name)
            ? { ...c, targetName: tag }
            : c,
        ),
      );
      outcome.artifacts.push(...ran.artifacts);
    }
  } finally {
    await launched?.close();
  }
  return outcome;
}
