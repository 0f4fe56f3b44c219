import { type Command, Option } from 'commander';
import { type ExitCode, UsageError } from '../core/errors.ts';
import type { LoadProfile, LoadProfileInput, loadProfileSchema } from '../core/schema.ts';
import {
  addCommonFlags,
  addHistoryFlag,
  type CommonFlags,
  collect,
  loadCommandContext,
  parseKpiFlags,
  parseUrlFlag,
  runStagesCommand,
  validateUsage,
} from './command-kit.ts';
import { parseDurationFlag } from './duration-flag.ts';
import { resolveBaselineFlag } from './history.ts';

export interface LoadRunFlags extends CommonFlags {
  url?: string;
  rate?: string;
  duration?: string;
  warmup?: string;
  connections?: string;
  engine?: 'open' | 'autocannon' | 'k6';
  kpi?: string[];
  baseline?: string;
}

/** The flags that shape the profile. */
export type ProfileFlags = Pick<LoadRunFlags, 'rate' | 'duration' | 'warmup' | 'connections' | 'engine'>;

export function registerLoadRun(load: Command): void {
  const command = load
    .command('run')
    .description('run a load profile and hold it to KPIs')
    .argument('[name]', 'load profile from the config (default: load.default)');
  addCommonFlags(command);
  addHistoryFlag(command);
  command
    .option('--url <url>', 'target URL instead of the environment target')
    .option('--rate <n>', 'arrival rate in requests per second (open model)')
    .option('--duration <duration>', 'measured duration, e.g. 30s')
    .option(
      '--warmup <duration>',
      'load sent before the measured duration and left out of the statistics, e.g. 10s',
    )
    .option(
      '--connections <n>',
      'connections: without --rate, N loops (closed model); with --rate, the open model starts with N (default 64)',
    )
    .addOption(new Option('--engine <engine>', 'load engine').choices(['open', 'autocannon', 'k6']))
    .option('--kpi <expr>', "KPI in k6 syntax, e.g. 'p(95)<300' (repeatable)", collect)
    .option(
      '--baseline <run>',
      'compare with an earlier run: latest-passed, a run id (opsproof history) or a result.json; regressions are judged against the spread of recent passed runs',
    )
    .action(async (name: string | undefined, flags: LoadRunFlags) => {
      process.exitCode = await runLoadRun(name, flags);
    });
}

export async function runLoadRun(name: string | undefined, flags: LoadRunFlags): Promise<ExitCode> {
  const [
    { loadProfileSchema },
    { findK6 },
    { LOAD_ENGINES, checkTargetReachable },
    { createLoadStage },
    { canFrontOutsideTarget },
  ] = await Promise.all([
    import('../core/schema.ts'),
    import('../load/k6-engine.ts'),
    import('../load/run-load.ts'),
    import('../runner/stages/load-stage.ts'),
    import('../runner/local-target.ts'),
  ]);
  // Everything a user can get wrong is checked before any load is sent.
  const kpis = parseKpiFlags(flags.kpi);
  validateUsage([
    () => {
      if (flags.engine && !LOAD_ENGINES.includes(flags.engine)) {
        throw new UsageError(`unknown engine "${flags.engine}"`, {
          hint: `engines: ${LOAD_ENGINES.join(', ')}`,
        });
      }
    },
    ...kpis.checks,
  ]);
  const url = flags.url ? parseUrlFlag(flags.url) : undefined;
  const context = await loadCommandContext(flags, url ? { adhocUrl: url } : {});
  const { loaded } = context;
  const profiles = loaded.suite.load.profiles;
  const adHoc = !name && (flags.rate !== undefined || flags.connections !== undefined);
  const profileName = adHoc ? 'adhoc' : (name ?? loaded.suite.load.default);
  if (!profileName) {
    throw new UsageError('no load profile given and no load.default in the config', {
      hint: 'name a profile, or run ad hoc: --url URL --rate N [--duration 30s]',
    });
  }
  const base: LoadProfileInput | undefined = adHoc ? {} : profiles[profileName];
  if (!base) {
    const known = Object.keys(profiles);
    throw new UsageError(`no load profile "${profileName}"`, {
      hint: known.length ? `profiles: ${known.join(', ')}` : 'define one under load.profiles',
    });
  }
  const profile = buildProfile(base, flags, loadProfileSchema);
  if ((flags.engine ?? profile.engine) === 'k6') findK6();
  const baselineReference = flags.baseline
    ? await resolveBaselineFlag(flags.baseline, {
        profile: profileName,
        env: context.env.name,
        target: context.env.target,
        ...(flags.history ? { history: flags.history } : {}),
        loaded,
      })
    : undefined;
  // With --url the target already runs. The embedded provider watches the config's alarms only through
  // a fault gateway in front of it (nothing else records its requests); without alarms the load goes
  // straight to it.
  const fronted =
    url !== undefined &&
    context.env.provider === 'embedded' &&
    loaded.suite.alarms.length > 0 &&
    canFrontOutsideTarget(url);
  // The gateway would answer 502 for a target that is down: check the target itself first.
  if (fronted) await checkTargetReachable(url);
  return runStagesCommand({
    command: ['load run', name].filter(Boolean).join(' '),
    stages: [
      createLoadStage({
        profileName,
        profile,
        ...(flags.engine ? { engine: flags.engine } : {}),
        ...(url && !fronted ? { url } : {}),
      }),
    ],
    flags,
    context,
    options: { kpis: kpis.thresholds, ...(baselineReference ? { baselineReference } : {}) },
    ...(url
      ? {
          run: fronted
            ? { startTarget: false, faultGateway: true }
            : { startTarget: false, embeddedAlarms: false },
        }
      : {}),
  });
}

/**
 * The profile with `--rate`/`--connections`/`--duration`/`--warmup`/`--engine` applied; `--connections`
 * alone is closed.
 */
export function buildProfile(
  base: LoadProfileInput,
  flags: ProfileFlags,
  schema: typeof loadProfileSchema,
): LoadProfile {
  const input: LoadProfileInput = { ...base };
  if (flags.rate !== undefined) {
    const rate = Number(flags.rate);
    if (!Number.isFinite(rate) || rate <= 0) {
      throw new UsageError(`--rate must be a number of requests per second above 0, got "${flags.rate}"`);
    }
    input.rate = rate;
    input.model = 'open';
    delete input.stages;
  }
  if (flags.connections !== undefined) {
    const connections = Number(flags.connections);
    if (!Number.isInteger(connections) || connections < 1) {
      throw new UsageError(`--connections must be a whole number of at least 1, got "${flags.connections}"`);
    }
    input.connections = connections;
    if (flags.rate === undefined) input.model = 'closed';
  }
  if (flags.duration !== undefined) input.duration = durationFlag('duration', flags.duration, '30s or 5m');
  if (flags.warmup !== undefined) input.warmup = durationFlag('warmup', flags.warmup, '10s or 0s');
  if (flags.engine) input.engine = flags.engine;
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new UsageError(
      `invalid load profile: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'profile'}: ${i.message}`).join('; ')}`,
    );
  }
  const profile = parsed.data;
  if (profile.model === 'open' && !profile.stages?.length && profile.rate === undefined) {
    throw new UsageError('an open-model run needs --rate N (or --connections N for a closed-model run)');
  }
  return profile;
}

/** A duration flag's value as given, once it parses (with a unit); a usage error naming the flag otherwise. */
function durationFlag(flag: string, value: string, examples: string): string {
  parseDurationFlag(flag, value, examples);
  return value.trim();
}
