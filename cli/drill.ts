import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import {
  addCommonFlags,
  addHistoryFlag,
  type CommonFlags,
  loadCommandContext,
  runStagesCommand,
} from './command-kit.ts';
import { loadPreviousDrill } from './history.ts';

export interface DrillFlags extends CommonFlags {
  allowProduction?: boolean;
  confirmEnv?: string;
  dryRun?: boolean;
}

export function registerDrill(program: Command): void {
  const command = program
    .command('drill')
    .description('run an alert or DR drill: time to detect, alarm, recover; post-incident report')
    .argument('<name>', 'drill from the config (drills.<name>)');
  addCommonFlags(command);
  addHistoryFlag(command);
  command.option('--dry-run', 'print the plan without injecting faults');
  command.option('--allow-production', 'allow the drill against a production environment');
  command.option('--confirm-env <name>', 'name the production environment (non-interactive runs)');
  command.action(async (name: string, flags: DrillFlags) => {
    process.exitCode = await runDrill(name, flags);
  });
}

export async function runDrill(name: string, flags: DrillFlags): Promise<ExitCode> {
  // The config first, with the drill's experiment and detector as a run would meet them: every
  // problem exits 2 together, before the engines are loaded.
  const { checkRun } = await import('../runner/validate-run.ts');
  const context = await loadCommandContext(flags, { check: checkRun({ drills: [name] }, flags.env) });
  // Loaded here: the drill pulls in the engines, which `opsproof --help` does not need.
  const [{ drillStages }, { resolveDrill }] = await Promise.all([
    import('../runner/drill.ts'),
    import('../runner/stages/drill-stage.ts'),
  ]);
  // An unknown drill is a usage error before anything starts (exit 2).
  resolveDrill(context.loaded.suite, name);
  // Drill over drill: the last drill of this name here, compared with in drill.md and the reports.
  const previousDrill = flags.dryRun
    ? undefined
    : await loadPreviousDrill(name, {
        env: context.env.name,
        ...(flags.history ? { history: flags.history } : {}),
        loaded: context.loaded,
      });
  return runStagesCommand({
    command: `drill ${name}`,
    stages: drillStages(name, flags.confirmEnv ? { confirmEnv: flags.confirmEnv } : {}),
    flags,
    context,
    options: {
      allowProduction: flags.allowProduction === true,
      dryRun: flags.dryRun === true,
      ...(previousDrill ? { previousDrill } : {}),
    },
  });
}
