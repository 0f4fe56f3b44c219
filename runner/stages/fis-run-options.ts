import { join } from 'node:path';
import type { FisExperimentOptions } from '../../chaos/run-fis-experiment.ts';
import { UsageError } from '../../core/errors.ts';
import type { RunContext } from '../stage.ts';

/**
 * How a stage runs an experiment through FIS in this run's environment: region, account, alarm
 * prefix, the run's timeline/signal/clock, `--dry-run`, and the FIS guardian's log in the run directory.
 * The one experiment path (run-experiment-under-load.ts) adds its caller's polling interval.
 */
export function fisRunOptions(context: RunContext): FisExperimentOptions {
  const aws = context.env.aws;
  return {
    service: context.loaded.suite.service,
    region: requireRegion(context),
    ...(aws?.accountId ? { accountId: aws.accountId } : {}),
    ...(aws?.alarmPrefix ? { alarmPrefix: aws.alarmPrefix } : {}),
    timeline: context.timeline,
    signal: context.signal,
    clock: context.clock,
    dryRun: context.options.dryRun,
    guardianLog: join(context.outDir, 'fis-guardian.log'),
  };
}

function requireRegion(context: RunContext): string {
  const region = context.env.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region)
    throw new UsageError(`environment ${context.env.name} has no region`, {
      hint: 'set environments.<name>.region (FIS experiments run in one region)',
    });
  return region;
}
