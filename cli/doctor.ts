import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../core/errors.ts';
import { inspectTools, repoPath, repoRoot, type ToolName, type ToolStatus } from '../core/tools.ts';
import { printHuman } from './command-kit.ts';

export interface DoctorFlags {
  install?: boolean;
  json?: boolean;
}

/** What `opsproof doctor --json` prints. */
export interface DoctorReport {
  node: { version: string; required: string; ok: boolean };
  /** opsproof's Python virtualenv, where moto is installed. */
  venv: { path: string; present: boolean };
  tools: ToolStatus[];
  /** Node is recent enough and every tool was found. */
  ok: boolean;
}

/** Where to look: the machine's environment and opsproof's own folder (tests point these elsewhere). */
export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  root?: string;
  nodeVersion?: string;
  /** Installs these setup steps. @defaultValue runs `scripts/setup.mjs --only STEPS` */
  install?: (steps: string[]) => void;
}

/** The tools a gate, the k6 engine and the aws-provider tests need, and the setup step installing each. */
const SETUP_STEPS: Record<Exclude<ToolName, 'wrk'>, string> = {
  chromium: 'chromium',
  k6: 'k6',
  moto_server: 'moto',
};

/** `opsproof doctor [--install] [--json]`: which tools are present; installs the missing ones. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'which tools are present (node, chromium, k6, moto) and where; --install installs the missing',
    )
    .option('--install', 'install the missing tools with the installer `npm start` uses (scripts/setup.mjs)')
    .option('--json', 'print the report as JSON on stdout')
    .action(async (flags: DoctorFlags) => {
      process.exitCode = await runDoctor(flags);
    });
}

/** Exit 0 when everything is present, 3 (environment error) when something is missing. */
export async function runDoctor(flags: DoctorFlags, options: DoctorOptions = {}): Promise<0 | 3> {
  let report = inspectSetup(options);
  const missing = report.tools.filter((t) => !t.found).map((t) => t.name as keyof typeof SETUP_STEPS);
  if (flags.install && missing.length > 0) {
    // The same script `npm start` runs, from opsproof's package: it exists in a user's repo too.
    const steps = missing.map((name) => SETUP_STEPS[name]);
    (options.install ?? ((s) => runSetup(s, options.env ?? process.env)))(steps);
    report = inspectSetup(options);
  }
  printHuman(formatDoctorReport(report));
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.ok ? EXIT.passed : EXIT.environment;
}

/** The setup script's steps, its progress on stderr. */
function runSetup(steps: string[], env: NodeJS.ProcessEnv): void {
  const script = repoPath('scripts', 'setup.mjs');
  printHuman(`installing ${steps.join(', ')} with ${script}`);
  spawnSync(process.execPath, [script, '--only', steps.join(',')], { stdio: ['ignore', 2, 2], env });
}

/** Looks at node, opsproof's virtualenv and every tool. */
export function inspectSetup(options: DoctorOptions = {}): DoctorReport {
  const root = options.root ?? repoRoot;
  const version = options.nodeVersion ?? process.versions.node;
  const { engines } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  const tools = inspectTools(Object.keys(SETUP_STEPS) as ToolName[], {
    ...(options.env ? { env: options.env } : {}),
    root,
  });
  const node = { version, required: engines.node, ok: meetsMinimum(version, engines.node) };
  const venv = join(root, '.venv');
  return {
    node,
    venv: { path: venv, present: existsSync(join(venv, 'bin', 'python3')) },
    tools,
    ok: node.ok && tools.every((t) => t.found),
  };
}

/** `20.19.0` against `>=20.18.1`. Only the `>=X.Y.Z` form package.json uses. */
export function meetsMinimum(version: string, range: string): boolean {
  const want = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  const have = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!want || !have) return false;
  for (let i = 1; i <= 3; i++) {
    if (Number(have[i]) !== Number(want[i])) return Number(have[i]) > Number(want[i]);
  }
  return true;
}

const SOURCE_LABEL: Record<Extract<ToolStatus, { found: true }>['source'], string> = {
  env: 'environment override',
  tools: "opsproof's .tools/bin",
  venv: "opsproof's .venv",
  path: 'PATH',
  system: 'system package',
};

/** The report, a line per item: `ok       k6  /…/.tools/bin/k6 (opsproof's .tools/bin)`. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = [
    `${report.node.ok ? 'ok     ' : 'too old'}  node      ${report.node.version} (needs ${report.node.required})`,
    `${report.venv.present ? 'ok     ' : 'missing'}  venv      ${report.venv.path}`,
  ];
  for (const tool of report.tools) {
    const name = (tool.name === 'moto_server' ? 'moto' : tool.name).padEnd(8);
    lines.push(
      tool.found
        ? `ok       ${name}  ${tool.path} (${SOURCE_LABEL[tool.source]})`
        : `missing  ${name}  ${tool.hint}`,
    );
  }
  return lines.join('\n');
}
