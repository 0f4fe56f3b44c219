import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardChaos, isInteractive } from '../../chaos/guard.ts';
import { UsageError } from '../../core/errors.ts';
import type { Drill, Experiment, Suite } from '../../core/schema.ts';
import { runAlertDrill } from '../alert-drill.ts';
import { buildDrillMarkdown, withPreviousDrill } from '../build-drill-markdown.ts';
import { DRILL_ACTION_ITEMS } from '../build-drill-report.ts';
import { runDrDrill } from '../dr-drill.ts';
import type { DrillRun } from '../drill-run.ts';
import { createExperimentGateways } from '../run-experiment-under-load.ts';
import type { RunContext, Stage, StageOutcome } from '../stage.ts';

export interface DrillStageOptions {
  /** Pause between two detection probes (canary runs, health probes). @defaultValue 200 */
  probeIntervalMs?: number;
  /** `--confirm-env` for non-interactive production drills. */
  confirmEnv?: string;
  interactive?: boolean;
}

/** The drill, its experiment and (alert drills) its alarm, or a usage error naming what exists. */
export function resolveDrill(suite: Suite, name: string): { drill: Drill; experiment: Experiment } {
  const drill = suite.drills[name];
  if (!drill) {
    const known = Object.keys(suite.drills);
    throw new UsageError(`unknown drill "${name}"`, {
      hint: known.length ? `drills in the config: ${known.join(', ')}` : 'declare one under drills',
    });
  }
  const experiment = suite.experiments[drill.experiment];
  if (!experiment) {
    throw new UsageError(
      `drill ${name} names experiment "${drill.experiment}", which the config does not define`,
      {
        hint: `experiments: ${Object.keys(suite.experiments).join(', ') || '(none)'}`,
      },
    );
  }
  const alarm =
    drill.kind === 'alert'
      ? drill.alarm
      : drill.detectBy && 'alarm' in drill.detectBy
        ? drill.detectBy.alarm
        : undefined;
  if (alarm && !suite.alarms.some((a) => a.AlarmName === alarm)) {
    throw new UsageError(`drill ${name} names alarm "${alarm}", which the config does not define`, {
      hint: `alarms: ${suite.alarms.map((a) => a.AlarmName).join(', ') || '(none)'}`,
    });
  }
  return { drill, experiment };
}

/**
 * `opsproof drill <name>`: runs one drill of the suite (the alert drill, alert-drill.ts, or the DR
 * drill, dr-drill.ts, both running their experiment through the gate's one experiment path) and
 * reports it post-incident style: drill.md in the run directory, `result.drill`, and checks against
 * the drill's deadlines.
 */
export function createDrillStage(drillName: string, options: DrillStageOptions = {}): Stage {
  return {
    name: 'drill',
    async run(context: RunContext): Promise<StageOutcome> {
      const { drill, experiment } = resolveDrill(context.loaded.suite, drillName);
      guardChaos({
        envName: context.env.name,
        env: context.env,
        experimentName: drill.experiment,
        experiment,
        allowProduction: context.options.allowProduction,
        confirmEnv: options.confirmEnv,
        interactive: options.interactive ?? isInteractive(),
      });
      const gateways = createExperimentGateways(context);
      let run: DrillRun;
      try {
        run =
          drill.kind === 'alert'
            ? await runAlertDrill(context, drillName, drill, experiment, gateways)
            : await runDrDrill(context, drillName, drill, experiment, gateways, {
                ...(options.probeIntervalMs ? { probeIntervalMs: options.probeIntervalMs } : {}),
              });
      } finally {
        await gateways.close();
      }
      // Drill over drill: the previous drill of this name (from the history, via the CLI).
      const previous = context.options.previousDrill;
      if (previous) run = { ...run, report: withPreviousDrill(run.report, previous, DRILL_ACTION_ITEMS) };
      const markdown = buildDrillMarkdown({
        report: run.report,
        checks: run.checks,
        service: context.loaded.suite.service,
        env: context.env.name,
        runId: context.runId,
      });
      writeFileSync(join(context.outDir, 'drill.md'), context.options.redact?.(markdown) ?? markdown);
      return {
        drill: run.report,
        checks: run.checks,
        expectations: run.expectations,
        experiments: [run.journal],
        artifacts: [{ name: 'drill.md', path: 'drill.md', kind: 'report' }],
      };
    },
  };
}
