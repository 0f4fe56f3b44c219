import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, EnvironmentError, isOpsproofError, UsageError } from '../core/errors.ts';
import { printHuman } from './command-kit.ts';

/** The three commands over the suite's CDK app. */
export type CdkAction = 'synth' | 'diff' | 'deploy';

export interface CdkFlags {
  env?: string;
  config?: string;
  out?: string;
  /** deploy: no question on the terminal; required when nobody is at it. */
  yes?: boolean;
  allowProduction?: boolean;
  confirmEnv?: string;
  /** deploy: first bootstrap the stacks' account/region for the CDK (the CDKToolkit stack), once per account. */
  bootstrap?: boolean;
}

const DESCRIPTIONS: Record<CdkAction, string> = {
  synth: "write the suite's CloudFormation templates (one stack per aws environment) into cdk.out/",
  diff: 'show what deploying would change in the deployed stacks',
  deploy: 'show the diff, ask, and deploy the stacks (CI: --yes; production: --allow-production)',
};

/** `opsproof synth | diff | deploy [--env E]`: the CDK app of the suite in this folder, via AWS's CDK toolkit. */
export function registerCdk(program: Command): void {
  for (const action of ['synth', 'diff', 'deploy'] as const) {
    const command = program
      .command(action)
      .description(DESCRIPTIONS[action])
      .option('--env <name>', 'only this environment (default: every aws environment)')
      .option('--config <file>', 'config file (default: ./opsproof.config.ts)')
      .option('--out <dir>', 'where the cloud assembly is written', 'cdk.out');
    if (action === 'deploy') {
      command
        .option('--yes', 'deploy without asking (needed when not at a terminal, e.g. CI)')
        .option(
          '--bootstrap',
          'first bootstrap the account/region for the CDK (once per account; no CDK CLI needed)',
        )
        .option('--allow-production', 'allow deploying a production environment')
        .option('--confirm-env <name>', 'name the production environment (required when not at a terminal)');
    }
    command.action(async (flags: CdkFlags) => {
      process.exitCode = await runCdk(action, flags);
    });
  }
}

export async function runCdk(action: CdkAction, flags: CdkFlags): Promise<0 | 1> {
  const [{ loadSuite, resolveEnvironment }, { awsEnvironmentNames }, { guardProduction, isInteractive }] =
    await Promise.all([
      import('../core/load-config.ts'),
      import('../infra/deployment-settings.ts'),
      import('../chaos/guard.ts'),
    ]);
  const loaded = await loadSuite({ ...(flags.config ? { config: flags.config } : {}) });
  const awsNames = awsEnvironmentNames(loaded.suite);
  if (flags.env !== undefined && !loaded.suite.environments[flags.env]) {
    throw new UsageError(
      `unknown environment "${flags.env}"; expected one of ${Object.keys(loaded.suite.environments).join(', ')}`,
    );
  }
  if (flags.env !== undefined && !awsNames.includes(flags.env)) {
    throw new UsageError(`environment "${flags.env}" has provider "embedded": nothing to ${action}`, {
      hint: "give it provider: 'aws' and a region",
    });
  }
  const envNames = flags.env !== undefined ? [flags.env] : awsNames;
  if (envNames.length === 0) {
    throw new UsageError(`no environment with provider "aws": nothing to ${action}`, {
      hint: "add one, e.g. staging: { target: 'https://…', provider: 'aws', region: 'eu-west-1', tier: 'staging' }",
    });
  }

  const interactive = isInteractive();
  if (action === 'deploy') {
    // Refused before anything is synthesized or asked of AWS.
    for (const name of envNames) {
      guardProduction({
        envName: name,
        production: resolveEnvironment(loaded.suite, name).production,
        what: `deploy production environment ${name}`,
        allowProduction: flags.allowProduction ?? false,
        confirmEnv: flags.confirmEnv,
        interactive,
      });
    }
    if (!flags.yes && !interactive) {
      throw new UsageError('refusing to deploy without confirmation: nobody is at the terminal', {
        hint: 'run `opsproof diff` to see the changes, then `opsproof deploy --yes`',
      });
    }
  }

  const [
    { Toolkit, ToolkitError, NonInteractiveIoHost, StackSelectionStrategy, BootstrapEnvironments },
    { synthSuite },
  ] = await Promise.all([import('@aws-cdk/toolkit-lib'), import('../infra/synth-suite.ts')]);
  const isCredentialsError = (e: unknown) => ToolkitError.isAuthenticationError(e);
  const inner = new NonInteractiveIoHost({ logLevel: 'info', isCI: false });
  const toolkit = new Toolkit({
    emojis: false,
    // cdk-nag errors are annotations: opsproof reports them itself (synth writes and exits 1, deploy refuses).
    assemblyFailureAt: 'none',
    ioHost: {
      notify: (msg) => inner.notify(msg),
      requestResponse: async (msg) => {
        // The toolkit asks before each stack with changes, the diff in the question.
        if (msg.code !== 'CDK_TOOLKIT_I5060') return inner.requestResponse(msg);
        printHuman(msg.message);
        return (flags.yes ? true : await askYesNo('Deploy? [y/N] ')) as typeof msg.defaultResponse;
      },
    },
  });
  const outdir = resolve(flags.out ?? 'cdk.out');
  let synthesized: Awaited<ReturnType<typeof synthSuite>> | undefined;
  const source = await toolkit.fromAssemblyBuilder(
    async (props) => {
      synthesized = await synthSuite({ loaded, outdir: props.outdir ?? outdir, envNames });
      return synthesized.assembly;
    },
    // synth needs no credentials: no STS call for the default account.
    { outdir, disposeOutdir: false, resolveDefaultEnvironment: action !== 'synth' },
  );
  const stacks = { strategy: StackSelectionStrategy.ALL_STACKS };
  const assembly = await toolkit.synth(source, { stacks }).catch((error: unknown) => {
    // The toolkit wraps what the app threw ("Assembly builder failed"): say what it was.
    const cause = ToolkitError.isAssemblyError(error) ? error.cause : undefined;
    if (isOpsproofError(cause)) throw cause;
    if (!(cause instanceof Error)) throw error;
    throw new ConfigError(`the suite's CDK app failed: ${cause.message}`, [], { file: loaded.file, cause });
  });
  try {
    const nagErrors = synthesized?.nagErrors ?? [];
    for (const e of nagErrors) printHuman(`cdk-nag error: ${e.path}: ${e.message}`);
    if (action === 'synth') {
      for (const stack of synthesized?.stacks ?? []) {
        printHuman(`synthesized ${stack.stackName} → ${stack.templateFile}`);
      }
      return nagErrors.length > 0 ? 1 : 0;
    }
    if (action === 'diff') {
      const diffs = await onAws(() => toolkit.diff(assembly, { stacks }), isCredentialsError);
      for (const [stack, diff] of Object.entries(diffs)) {
        // Every opsproof stack has a Description: one added means nothing is deployed under that name.
        printHuman(formatDiffCount(stack, diff.resources, { isNew: diff.description?.isAddition ?? false }));
      }
      return 0;
    }
    if (nagErrors.length > 0) {
      throw new UsageError(`refusing to deploy: cdk-nag reports ${nagErrors.length} error(s)`, {
        hint: 'fix them (or suppress each with a reason in infra/nag-suppressions.ts)',
      });
    }
    if (flags.bootstrap) {
      await onAws(
        () => toolkit.bootstrap(BootstrapEnvironments.fromCloudAssemblySource(assembly)),
        isCredentialsError,
      );
    }
    let result: Awaited<ReturnType<typeof toolkit.deploy>>;
    try {
      result = await onAws(() => toolkit.deploy(assembly, { stacks }), isCredentialsError);
    } catch (error) {
      // Answered no: the toolkit removed the change set; exit 1 so `deploy && next` stops here.
      if (error instanceof EnvironmentError && ToolkitError.isAbortError(error.cause)) {
        printHuman('not deployed: the change was declined');
        return 1;
      }
      throw error;
    }
    for (const stack of result.stacks) printHuman(`deployed ${stack.stackName} (${stack.stackArn})`);
    return 0;
  } finally {
    await assembly.dispose();
  }
}

/** A diff's resource changes in one line: `ShopApi-Staging (new stack): 15 to add, 0 to update, 0 to remove`. */
export function formatDiffCount(
  stack: string,
  resources: { forEachDifference(cb: (id: string, change: ResourceChange) => void): void },
  options: { isNew: boolean },
): string {
  let add = 0;
  let update = 0;
  let remove = 0;
  resources.forEachDifference((_, change) => {
    if (change.isAddition) add++;
    else if (change.isRemoval) remove++;
    else if (change.isUpdate) update++;
  });
  return `${stack}${options.isNew ? ' (new stack)' : ''}: ${add} to add, ${update} to update, ${remove} to remove`;
}

interface ResourceChange {
  isAddition: boolean;
  isRemoval: boolean;
  isUpdate: boolean;
}

/** AWS refusing or unreachable is an environment problem (exit 3), not a crash. */
async function onAws<T>(call: () => Promise<T>, isCredentialsError: (e: unknown) => boolean): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isOpsproofError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const credentials = isCredentialsError(error);
    throw new EnvironmentError(credentials ? 'credentials' : 'aws-api', `AWS: ${message}`, {
      cause: error,
      hint: 'check the credentials and region (AWS_PROFILE, AWS_REGION); a first deploy to an account needs --bootstrap',
    });
  }
}

async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
