import type { Command } from 'commander';
import { type ExitCode, UsageError } from '../core/errors.ts';
import {
  addCommonFlags,
  addHistoryFlag,
  type CommonFlags,
  loadCommandContext,
  runStagesCommand,
} from './command-kit.ts';

export type AssertFlags = CommonFlags;

export function registerAssert(program: Command): void {
  const command = program
    .command('assert')
    .description('evaluate expectations (alarms, traces, logs, metrics) against the environment')
    .argument('[names...]', 'expectations to evaluate (default: all)');
  addCommonFlags(command);
  addHistoryFlag(command);
  command.action(async (names: string[], flags: AssertFlags) => {
    process.exitCode = await runAssert(names, flags);
  });
}

export async function runAssert(names: string[], flags: AssertFlags): Promise<ExitCode> {
  // Expectations are checked with the config; the rest of what a run would meet prints as warnings.
  const { checkRun } = await import('../runner/validate-run.ts');
  const context = await loadCommandContext(flags, { check: checkRun({}, flags.env) });
  const { loaded } = context;
  const [{ describeExpectation }, { createAssertionsStage }] = await Promise.all([
    import('../assertions/evaluate-expectation.ts'),
    import('../runner/stages/assertions-stage.ts'),
  ]);
  if (names.length > 0) {
    const known = loaded.suite.expectations.flatMap((e) => [
      describeExpectation(e),
      ...(e.name ? [e.name] : []),
    ]);
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      throw new UsageError(
        `unknown expectation ${unknown.map((n) => `"${n}"`).join(', ')}; the suite declares: ${known.map((k) => `"${k}"`).join(', ') || '(none)'}`,
      );
    }
  }
  return runStagesCommand({
    command: 'assert',
    stages: [createAssertionsStage({ names })],
    flags,
    context,
  });
}
