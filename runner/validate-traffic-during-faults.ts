import { planLocalExperiment } from '../chaos/build-local-plan.ts';
import type { Diagnostic } from '../core/diagnostics.ts';
import type { LoadedSuite } from '../core/load-config.ts';
import type { Experiment } from '../core/schema.ts';

/**
 * Gateway faults with nothing to match. On the embedded provider only opsproof's own requests pass
 * the fault gateway it starts, and while an experiment runs in the gate, `chaos run` or an alert
 * drill, those are its background load alone (a DR drill probes the target meanwhile): without a
 * `load` its gateway faults match no request and the experiment fails after its whole run. `used`:
 * the experiments the run injects itself (gate, `chaos run`) and the drills it performs. Pure.
 */
export function validateTrafficDuringFaults(
  suite: Pick<LoadedSuite['suite'], 'experiments' | 'drills'>,
  used: { experiments: readonly string[]; drills: readonly string[] },
  gatewayControl: boolean,
): Diagnostic[] {
  const firstGatewayFault = (name: string, experiment: Experiment) =>
    planLocalExperiment(name, experiment).steps.find((step) => step.effect.kind === 'fault');
  const problem = (path: string, name: string, experiment: Experiment, by: string): Diagnostic[] => {
    const step = firstGatewayFault(name, experiment);
    if (!step) return [];
    return [
      {
        path,
        severity: 'error',
        message: `${by} sends no load, and action ${step.action} (${step.actionId}) is a fault of the local gateway, which only opsproof's own requests pass: it would match no request and fail the experiment; name a load profile to run during it`,
      },
    ];
  };
  const out: Diagnostic[] = [];
  if (!gatewayControl)
    for (const name of used.experiments) {
      const experiment = Object.hasOwn(suite.experiments, name) ? suite.experiments[name] : undefined;
      if (experiment && !experiment.load)
        out.push(...problem(`experiments.${name}.load`, name, experiment, `experiment ${name}`));
    }
  for (const drillName of used.drills) {
    // Names come from the config and the command line: `toString` is no experiment of theirs.
    const drill = Object.hasOwn(suite.drills, drillName) ? suite.drills[drillName] : undefined;
    const experiment =
      drill && Object.hasOwn(suite.experiments, drill.experiment)
        ? suite.experiments[drill.experiment]
        : undefined;
    if (drill?.kind !== 'alert' || !experiment || drill.load || experiment.load) continue;
    out.push(
      ...problem(
        `drills.${drillName}.load`,
        drill.experiment,
        experiment,
        `alert drill ${drillName} (experiment ${drill.experiment})`,
      ),
    );
  }
  return out;
}
