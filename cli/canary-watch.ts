import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { type ExitCode, UsageError } from '../core/errors.ts';
import {
  addCommonFlags,
  addHistoryFlag,
  type CommonFlags,
  collect,
  loadCommandContext,
  loadRunSecrets,
  prepareRunDir,
  printHuman,
} from './command-kit.ts';
import { parseDurationFlag } from './duration-flag.ts';
import { recordCanaryRound } from './history.ts';

export interface CanaryWatchFlags extends CommonFlags {
  /** One interval for every canary instead of each canary's schedule. */
  every?: string;
  url?: string;
  file?: string[];
  /** Stop after N runs (tests, cron-like use). */
  runs?: string;
}

export function registerCanaryWatch(canary: Command): void {
  const command = canary
    .command('watch')
    .description('run canaries on a schedule (local stand-in for Synthetics) until Ctrl-C')
    .argument('[names...]', 'canaries to run (default: all)');
  addCommonFlags(command);
  addHistoryFlag(command);
  command
    .option(
      '--every <duration>',
      "interval between runs of every canary (default: each canary's own rate() schedule, else the suite's)",
    )
    .option('--url <url>', 'base URL to run against instead of the environment target')
    .option('--file <file>', 'canary file (*.canary.ts) outside the config (repeatable)', collect)
    .option('--runs <n>', 'stop after this many runs')
    .action(async (names: string[], flags: CanaryWatchFlags) => {
      process.exitCode = await runCanaryWatch(names, flags);
    });
}

export async function runCanaryWatch(names: string[], flags: CanaryWatchFlags): Promise<ExitCode> {
  const everyMs = flags.every === undefined ? undefined : parseDurationFlag('every', flags.every, '1m or 5m');
  if (everyMs !== undefined && everyMs < 1000)
    throw new UsageError(`--every expects a duration of at least 1s, got "${flags.every}"`);
  const maxRuns = flags.runs === undefined ? undefined : Number(flags.runs);
  if (maxRuns !== undefined && (!Number.isInteger(maxRuns) || maxRuns < 1))
    throw new UsageError('--runs expects a positive integer');
  // A canary file that does not load or export a canary exits 2 before the first run.
  const { checkRun } = await import('../runner/validate-run.ts');
  const files = flags.file?.length ? { files: flags.file, cwd: process.cwd() } : {};
  const context = await loadCommandContext(flags, {
    check: checkRun({ canaries: { names, ...files } }, flags.env),
  });
  const { loaded } = context;
  for (const warning of loaded.warnings) printHuman(`warning: ${warning}`);
  // As for `canary run`: snippets, screenshots and printed errors go through the run's redactor.
  const { env, redactor } = await loadRunSecrets(context);
  const [
    { loadCanaries },
    { runCanariesPerTarget },
    { watchCanaries, scheduleIntervalMs },
    { createAlertTracker, sendAlert, alertText, publishAlertToSns },
    { watchSchema },
    { parseDuration },
    { Timeline },
    { startLocalTarget },
    { createInterruptSignal, createRunId },
    { createTelemetry },
    { redactRunDir },
    { resolveHistoryFile },
  ] = await Promise.all([
    import('../canaries/load-canaries.ts'),
    import('../canaries/run-canaries-per-target.ts'),
    import('../canaries/watch-canaries.ts'),
    import('../canaries/watch-alerts.ts'),
    import('../core/schema.ts'),
    import('../core/duration.ts'),
    import('../core/timeline.ts'),
    import('../runner/local-target.ts'),
    import('../runner/run.ts'),
    import('../telemetry/create-telemetry.ts'),
    import('../security/redact-run-dir.ts'),
    import('../history/resolve-history-file.ts'),
  ]);
  // Each round is filed in the run history, so a canary failing now and then shows as flaky.
  const historyFile = resolveHistoryFile({
    flag: flags.history,
    configFile: loaded.suite.history?.file,
    configDir: loaded.dir,
  });
  // Before anything starts: a misplaced snsSeverity is a usage error, not a target left running.
  const topicArns = await alertTopicArns(watchSchema.parse(env.watch ?? {}), context);
  const outDir = prepareRunDir(createRunId(), flags.out);
  const interrupt = createInterruptSignal();
  const setupTimeline = new Timeline();
  const target = flags.url
    ? undefined
    : await startLocalTarget({
        env,
        configDir: loaded.dir,
        timeline: setupTimeline,
        signal: interrupt.signal,
      });
  const baseUrl = flags.url ?? target?.url ?? env.target;
  // A canary naming one of the environment's targets runs against it, as in the gate; --url sends
  // every canary to one URL. Targets opsproof would start (port 0) run only as the default.
  const { listTargets } = await import('../runner/targets.ts');
  const targets = flags.url ? [] : listTargets(env).filter((t) => t.name !== undefined);
  const urlOf = (name: string | undefined): string => {
    const named = targets.find((t) => t.name === name);
    if (name === undefined || named === undefined || named.isDefault) return baseUrl;
    if (named.url === undefined || /:0\/?$/.test(named.url))
      throw new UsageError(
        `canary watch reaches only running targets and the default one; target "${name}" has ${named.url ? 'port 0 (opsproof starts it)' : 'no url'}`,
      );
    return named.url;
  };
  const telemetry = await createTelemetry(env, { suite: loaded.suite, otlp: false });
  const watch = watchSchema.parse(env.watch ?? {});
  const envName = flags.url ? 'url' : env.name;
  // Each canary on its own schedule (Synthetics rate() expressions); --every puts them all on one.
  const suiteSchedule = loaded.suite.canaries.schedule;
  const fallbackMs = everyMs ?? scheduleIntervalMs(suiteSchedule) ?? 300_000;
  const initial = await loadCanaries(loaded, {
    ...(names.length ? { names } : {}),
    ...(flags.file?.length ? { files: flags.file } : {}),
  });
  const intervals = new Map<string, number>();
  for (const { definition } of initial.canaries) {
    const schedule = definition.options.schedule ?? suiteSchedule;
    const ms = everyMs ?? scheduleIntervalMs(schedule);
    if (ms === undefined)
      printHuman(
        `warning: ${definition.options.name}: "${schedule}" cannot run locally; every ${fallbackMs / 1000}s instead`,
      );
    intervals.set(definition.options.name, ms ?? fallbackMs);
  }
  // A canary naming a target watch cannot reach is a usage error now, not at its first run.
  const targetUrls = new Map(
    initial.canaries.map(({ definition }) => [definition.options.name, urlOf(definition.options.target)]),
  );
  const tracker = createAlertTracker(watch);
  const receivers = await alertReceivers(watch.alerts, context);
  const retryBackoffMs = parseDuration(watch.retryBackoff) ?? 2_000;
  let failedLast = false;
  let lastRunDir: string | undefined;
  try {
    const every = everyMs !== undefined ? `every ${flags.every}` : "on each canary's schedule";
    printHuman(`watching canaries against ${baseUrl} ${every} (Ctrl-C to stop); artifacts in ${outDir}`);
    await watchCanaries({
      everyMs: fallbackMs,
      ...(intervals.size > 0 ? { intervals } : {}),
      signal: interrupt.signal,
      ...(maxRuns ? { maxRuns } : {}),
      runOnce: async (iteration, due) => {
        const selected = await loadCanaries(loaded, {
          ...(due ? { names: due } : names.length ? { names } : {}),
          ...(flags.file?.length ? { files: flags.file } : {}),
        });
        const runDir = `${outDir}/run-${iteration}`;
        lastRunDir = runDir;
        const startedAt = new Date();
        try {
          const { canaries } = await runCanariesPerTarget({
            ...selected,
            targetOf: (target) => ({ url: urlOf(target) }),
            env: envName,
            config: loaded.suite.canaries,
            timeline: new Timeline(),
            telemetry,
            outDir: runDir,
            signal: interrupt.signal,
            redact: redactor.text,
            retryBackoffMs,
            // The environment's headers (secrets expanded), as `canary run` sends them; not to a --url.
            ...(!flags.url && env.headers ? { headers: env.headers } : {}),
          });
          const safe = redactor.value(canaries);
          // Each round is a run directory of its own, with its results; `reports/latest` follows the newest.
          if (safe.length > 0) {
            mkdirSync(runDir, { recursive: true });
            writeFileSync(join(runDir, 'canaries.json'), `${JSON.stringify(safe, null, 2)}\n`);
            if (!flags.out) linkLatestRun(runDir);
          }
          await recordCanaryRound({
            file: historyFile,
            runDir,
            canaries: safe,
            loaded,
            env: flags.url ? 'url' : env.name,
            target: baseUrl,
            startedAt,
          });
          return safe;
        } finally {
          if (existsSync(runDir)) redactRunDir(runDir, redactor);
        }
      },
      onRun: async (results, iteration) => {
        failedLast = results.some((r) => r.status === 'failed');
        const now = new Date();
        const stamp = now.toISOString();
        for (const r of results) {
          printHuman(
            `${stamp} #${iteration} ${r.status === 'passed' ? 'PASS' : 'FAIL'} ${r.name} ${r.durationMs} ms${r.attempts > 1 ? ` (${r.attempts} attempts)` : ''}${r.error ? ` — ${r.error}` : ''}`,
          );
          const raised = tracker.observe(r, now);
          if (!raised) continue;
          const alert = {
            ...raised,
            env: envName,
            // The URL this canary ran against (its named target's), as PagerDuty's source and SNS's description.
            target: targetUrls.get(r.name) ?? baseUrl,
            ...(lastRunDir ? { runDir: lastRunDir } : {}),
          };
          printHuman(`${stamp} ${alert.kind === 'failing' ? 'ALERT' : 'RECOVERED'} ${alertText(alert)}`);
          const failures = await sendAlert(alert, receivers, redactor.text);
          if (topicArns.length > 0) {
            const safe = alert.error ? { ...alert, error: redactor.text(alert.error) } : alert;
            for (const arn of topicArns)
              failures.push(...(await publishAlertToSns(safe, arn, undefined, env.region)));
          }
          for (const f of failures) printHuman(`warning: alert not delivered: ${f}`);
        }
      },
    });
  } finally {
    interrupt.dispose();
    await telemetry.close();
    await target?.stop();
  }
  if (interrupt.signal.aborted) return 130;
  return failedLast ? 1 : 0;
}

/** Points `reports/latest` at this round's directory (`<run id>/run-N`), which holds results. */
function linkLatestRun(runDir: string): void {
  const parent = dirname(dirname(resolve(runDir)));
  const link = join(parent, 'latest');
  try {
    if (lstatSync(link, { throwIfNoEntry: false })) rmSync(link, { force: true });
    symlinkSync(relative(parent, resolve(runDir)), link, 'dir');
  } catch {
    // A missing `latest` link never fails a watch.
  }
}

/**
 * The SNS topics alerts are published to: `snsTopicArn`, and with `snsSeverity` the topic infra
 * deploys for that severity (aws provider only; the account from `aws.accountId`, else STS).
 */
async function alertTopicArns(
  watch: { snsTopicArn?: string | undefined; snsSeverity?: 'critical' | 'warning' | 'info' | undefined },
  context: Parameters<typeof loadRunSecrets>[0],
): Promise<string[]> {
  const arns = watch.snsTopicArn ? [watch.snsTopicArn] : [];
  if (!watch.snsSeverity) return arns;
  const { env, loaded } = context;
  if (env.provider !== 'aws' || !env.region)
    throw new UsageError(
      `environments.${env.name}.watch.snsSeverity needs the aws provider (its topics are deployed by opsproof infra)`,
    );
  const { buildAlertTopicName } = await import('../runner/check-alarm-routing.ts');
  let accountId = env.aws?.accountId;
  if (!accountId) {
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    accountId = (await new STSClient({ region: env.region }).send(new GetCallerIdentityCommand({}))).Account;
  }
  const partition = env.region.startsWith('cn-')
    ? 'aws-cn'
    : env.region.startsWith('us-gov-')
      ? 'aws-us-gov'
      : 'aws';
  const name = buildAlertTopicName(loaded.suite.service, env.name, watch.snsSeverity);
  const arn = `arn:${partition}:sns:${env.region}:${accountId}:${name}`;
  return arns.includes(arn) ? arns : [...arns, arn];
}

/** The environment's alert receivers, a PagerDuty routing key given as `${secret:NAME}` resolved. */
async function alertReceivers(
  alerts: readonly {
    url: string;
    format: 'generic' | 'slack' | 'pagerduty' | 'sns';
    routingKey?: string | undefined;
  }[],
  context: Parameters<typeof loadRunSecrets>[0],
): Promise<{ url: string; format: 'generic' | 'slack' | 'pagerduty' | 'sns'; routingKey?: string }[]> {
  if (!alerts.some((a) => a.routingKey?.includes('${secret:'))) {
    return alerts.map((a) => ({
      url: a.url,
      format: a.format,
      ...(a.routingKey ? { routingKey: a.routingKey } : {}),
    }));
  }
  const { resolveSecrets, expandSecretRefs } = await import('../core/secrets.ts');
  const resolved = await resolveSecrets(context.env);
  return alerts.map((a) => ({
    url: a.url,
    format: a.format,
    ...(a.routingKey ? { routingKey: expandSecretRefs(a.routingKey, resolved) } : {}),
  }));
}
