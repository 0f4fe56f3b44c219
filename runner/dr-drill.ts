import { launchChromium } from '../canaries/launch-chromium.ts';
import { loadCanaries } from '../canaries/load-canaries.ts';
import { runCanaries } from '../canaries/run-canaries.ts';
import { buildLocalPlan } from '../chaos/build-local-plan.ts';
import { formatTargetName } from '../chaos/process-faults.ts';
import { parseDurationStrict } from '../core/duration.ts';
import { describeError, EnvironmentError, UsageError } from '../core/errors.ts';
import type { Experiment } from '../core/schema.ts';
import { awaitClosingTick } from './await-closing-tick.ts';
import {
  buildDrDrillReport,
  type DrDrill,
  findIncident,
  findRecovery,
  type ProbeRecord,
} from './build-drill-report.ts';
import { buildAlarmExpectations, type DrillRun, drillRunFrom } from './drill-run.ts';
import { createProcessFaults } from './process-faults.ts';
import { resolveRunbook } from './resolve-runbook.ts';
import { type ExperimentGateways, runExperimentUnderLoad } from './run-experiment-under-load.ts';
import type { RunContext } from './stage.ts';
import { listTargets, readyPathOf, resolveStageTarget } from './targets.ts';

export interface DrDrillOptions {
  /** Pause between two detection probes (canary runs, health probes). @defaultValue 200 */
  probeIntervalMs?: number;
}

/** How long the detector has to pass before the outage. */
const DETECTOR_STEADY_MS = 10_000;

/**
 * A DR drill: the detector (`detectBy.canary` run back to back, the health probe, and `detectBy.alarm`
 * as an expectation) must pass first; then the experiment under load through the one experiment path
 * kills the target (locally the process opsproof started, restarted by the process fault; FIS on aws).
 * The outage must be detected within `detectWithin`, and the target healthy with the detector passing
 * again within the `rto`.
 */
export async function runDrDrill(
  context: RunContext,
  drillName: string,
  drill: DrDrill,
  experiment: Experiment,
  gateways: ExperimentGateways,
  options: DrDrillOptions = {},
): Promise<DrillRun> {
  const { timeline, clock, telemetry } = context;
  const suite = context.loaded.suite;
  const rtoMs = parseDurationStrict(drill.rto);
  const detectWithinMs = parseDurationStrict(drill.detectWithin);
  const interval = options.probeIntervalMs ?? 200;
  const live = !context.options.dryRun;
  if (context.env.provider === 'embedded') {
    // What the experiment kills must be a process this run started (the config check says so first).
    const started = createProcessFaults(context).targets();
    const unstarted = buildLocalPlan(drill.experiment, experiment).find(
      (s) => s.effect.kind === 'process' && !started.includes(s.effect.target),
    );
    if (unstarted?.effect.kind === 'process') {
      throw new EnvironmentError(
        'process',
        `drill ${drillName} kills ${formatTargetName(unstarted.effect.target)}, but opsproof did not start it in environment ${context.env.name}`,
        { hint: 'set demo: true or start: { command: [...] } on the target' },
      );
    }
  }
  const { url: probedUrl, readyPath } = probedTarget(context, experiment.localTarget);
  const healthUrl = `${probedUrl.replace(/\/$/, '')}${readyPath}`;

  // Detection: the drill's canary run back to back, or its alarm, or the health probe.
  const canaryName = drill.detectBy && 'canary' in drill.detectBy ? drill.detectBy.canary : undefined;
  const alarmName = drill.detectBy && 'alarm' in drill.detectBy ? drill.detectBy.alarm : undefined;
  const alarmDef = alarmName ? suite.alarms.find((a) => a.AlarmName === alarmName) : undefined;
  const runbook = resolveRunbook(alarmDef?.runbook, context);
  let canary: Awaited<ReturnType<typeof loadCanaries>> | undefined;
  if (canaryName) {
    canary = await loadCanaries(context.loaded, { names: [canaryName] });
    if (canary.failures.length > 0) {
      throw new UsageError(
        `drill ${drillName}: canary ${canaryName} did not load: ${canary.failures[0]!.error}`,
      );
    }
  }
  const browser = canary?.canaries.some((c) => c.definition.options.type === 'browser')
    ? await launchChromium()
    : undefined;

  const health = live ? startProbeLoop(context, interval, () => probeHealth(healthUrl)) : undefined;
  const canaryLoop =
    live && canary
      ? startProbeLoop(context, interval, async () => {
          const { canaries } = await runCanaries({
            ...canary!,
            baseUrl: context.targetUrl,
            env: context.env.name,
            config: { ...suite.canaries, retries: 0 },
            timeline: context.timeline,
            telemetry,
            outDir: context.outDir,
            stage: 'drill',
            signal: context.signal,
            ...(browser ? { browser: browser.browser } : {}),
            ...(context.options.redact ? { redact: context.options.redact } : {}),
          });
          const result = canaries[0]!;
          return { ok: result.status === 'passed', detail: result.error ?? 'passed' };
        })
      : undefined;
  const detector = canaryLoop ?? health;
  try {
    const run = await runExperimentUnderLoad(
      context,
      {
        name: drill.experiment,
        experiment,
        stage: 'drill',
        ...(drill.load ? { load: drill.load } : {}),
        expect: alarmName ? [buildAlarmExpectations(alarmName, drill.detectWithin, drill.rto).fires] : [],
        // A drill times the fault: read FIS's action states every second.
        fisPollMs: 1000,
        // Steady state: the detector passes before the outage, or its failures would say nothing.
        beforeFault: async () => {
          const steadyDeadline = clock.now() + DETECTOR_STEADY_MS;
          while (clock.now() < steadyDeadline && !detector!.records.some((r) => r.ok)) {
            await clock.sleep(100, context.signal);
          }
          if (!detector!.records.some((r) => r.ok)) {
            throw new EnvironmentError(
              'target-unreachable',
              `drill ${drillName}: ${canaryName ? `canary ${canaryName}` : healthUrl} does not pass before the outage`,
            );
          }
        },
        whileLoaded: async ({ journal, expectations }) => {
          const incident = findIncident(timeline.records(), drill.experiment, timeline.elapsed());
          const faultEndT = incident.faultEnd?.t;
          // Wait for recovery: healthy again and the detector passing, after the outage was seen.
          const recovery = () =>
            findRecovery(detector?.records ?? [], health?.records ?? [], incident.t0, faultEndT);
          const waitUntil = incident.t0 + Math.max(rtoMs, detectWithinMs) * 2;
          while (live && !recovery() && timeline.elapsed() < waitUntil && !context.signal.aborted) {
            await clock.sleep(100, context.signal);
          }
          const recovered = recovery();
          await Promise.all([health?.stop(), canaryLoop?.stop()]);
          const endT = recovered?.t ?? timeline.elapsed();
          await awaitClosingTick(context, endT);
          return buildDrDrillReport({
            drillName,
            drill,
            journal,
            experiment,
            incident,
            detector: detector?.records ?? [],
            canaryName,
            alarmName,
            alarmResult: expectations[0],
            healthUrl,
            readyPath,
            runbook,
            provider: context.env.provider,
            recovered,
            records: timeline.records(),
            endT,
          });
        },
      },
      gateways,
    );
    return drillRunFrom(drillName, run);
  } finally {
    await Promise.all([health?.stop(), canaryLoop?.stop()]);
    await browser?.close();
  }
}

/** Runs `probe` back to back (pausing `intervalMs`) until stopped; records every result. */
function startProbeLoop(
  context: RunContext,
  intervalMs: number,
  probe: () => Promise<{ ok: boolean; detail: string }>,
) {
  const records: ProbeRecord[] = [];
  const stop = new AbortController();
  const signal = AbortSignal.any([context.signal, stop.signal]);
  const loop = (async () => {
    while (!signal.aborted) {
      const startT = context.timeline.elapsed();
      const result = await probe().catch((error: unknown) => ({ ok: false, detail: describeError(error) }));
      records.push({ startT, endT: context.timeline.elapsed(), ...result });
      await context.clock.sleep(intervalMs, signal).catch(() => {});
    }
  })();
  return {
    records,
    async stop() {
      stop.abort();
      await loop;
    },
  };
}

async function probeHealth(url: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return { ok: res.status >= 200 && res.status < 300, detail: `${res.status}` };
  } catch (error) {
    return { ok: false, detail: describeError(error) };
  }
}

/**
 * What the health probe watches: the target the experiment faults when it answers http (its own URL
 * and readiness path), else the default target (a database's failover shows on the service in front).
 */
function probedTarget(
  context: Pick<RunContext, 'env' | 'targetUrl' | 'target' | 'targets'>,
  faulted: string | undefined,
): { url: string; readyPath: string } {
  const all = listTargets(context.env);
  const entry =
    (context.env.targets === undefined
      ? undefined
      : all.find((t) => t.name === faulted && t.url !== undefined)) ?? all.find((t) => t.isDefault)!;
  return { url: resolveStageTarget(context, entry.name).url, readyPath: readyPathOf(context.env, entry) };
}
