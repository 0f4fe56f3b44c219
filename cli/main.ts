import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT } from '../core/errors.ts';
import { registerAlarmsTest } from './alarms-test.ts';
import { registerAssert } from './assert.ts';
import { registerCanaryPackage } from './canary-package.ts';
import { registerCanaryRun } from './canary-run.ts';
import { registerCanaryStatus } from './canary-status.ts';
import { registerCanaryWatch } from './canary-watch.ts';
import { registerCdk } from './cdk.ts';
import { registerChaosGateway } from './chaos-gateway.ts';
import { registerChaosRun } from './chaos-run.ts';
import { registerCheck } from './check.ts';
import { formatErrorForExit } from './command-kit.ts';
import { registerDemo } from './demo.ts';
import { registerDoctor } from './doctor.ts';
import { registerDrill } from './drill.ts';
import { registerGate } from './gate.ts';
import { registerHistory } from './history.ts';
import { registerInfraCost } from './infra-cost.ts';
import { registerInit } from './init.ts';
import { registerLoadK6 } from './load-k6.ts';
import { registerLoadRun } from './load-run.ts';
import { registerReport } from './report.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The `opsproof` command tree: every command of DESIGN.md's CLI contract, one file each. */
export function buildProgram(): Command {
  const program = new Command('opsproof')
    .description(
      "prove a service's operations work: canaries, load against KPIs, chaos, alarm/trace/log assertions",
    )
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  registerGate(program);
  registerDrill(program);
  registerDemo(program);

  const canary = program.command('canary').description('canaries: run, schedule, package, inspect');
  registerCanaryRun(canary);
  registerCanaryStatus(canary);
  registerCanaryWatch(canary);
  registerCanaryPackage(canary);

  const load = program.command('load').description('load against KPIs; k6 export');
  registerLoadRun(load);
  registerLoadK6(load);

  const chaos = program.command('chaos').description('fault injection: experiments and the fault gateway');
  registerChaosRun(chaos);
  registerChaosGateway(chaos);

  registerAssert(program);

  const alarms = program.command('alarms').description('CloudWatch alarm definitions');
  registerAlarmsTest(alarms);
  registerInfraCost(program);
  registerCdk(program);

  registerReport(program);
  registerHistory(program);
  registerDoctor(program);
  registerInit(program);
  registerCheck(program);
  program.addHelpText('after', () => `\nAll commands:\n${formatCommandTree(program)}`);
  return program;
}

/** Every leaf command with its arguments and flags, one per line: the whole CLI at a glance. */
export function formatCommandTree(program: Command): string {
  const lines: string[] = [];
  const visit = (command: Command, prefix: string) => {
    for (const sub of command.commands) {
      if (sub.name() === 'help') continue;
      const path = `${prefix}${sub.name()}`;
      if (sub.commands.length > 0) {
        visit(sub, `${path} `);
        continue;
      }
      const args = sub.registeredArguments
        .map((a) =>
          a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`,
        )
        .join(' ');
      const flags = sub.options
        .filter((o) => o.long !== '--help')
        .map((o) => `[${o.flags.replace(/^-\w, /, '')}]`)
        .join(' ');
      lines.push(`  opsproof ${[path, args, flags].filter(Boolean).join(' ')}`);
    }
  };
  visit(program, '');
  return lines.join('\n');
}

/** Parses argv, runs the command, and maps whatever happens to an exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.passed;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other parse problem is a usage error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.passed;
      if (error.code === 'commander.help') return EXIT.usage;
      return EXIT.usage;
    }
    const { text, code } = formatErrorForExit(error);
    process.stderr.write(`${text}\n`);
    return code;
  }
}
