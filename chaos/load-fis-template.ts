import { readFile } from 'node:fs/promises';
import { type Diagnostic, diagnosticsFromZod, formatDiagnostics } from '../core/diagnostics.ts';
import { ConfigError, describeError } from '../core/errors.ts';
import { type Experiment, experimentSchema } from '../core/schema.ts';
import { validateExperiment } from './validate-experiment.ts';

/** Read-only fields of GetExperimentTemplate's answer (the experiment model carries everything else). */
const READ_ONLY = [
  'id',
  'arn',
  'clientToken',
  'creationTime',
  'lastUpdateTime',
  'targetAccountConfigurationsCount',
];

/**
 * Converts an FIS template (the CreateExperimentTemplate request shape, or GetExperimentTemplate's
 * `{ experimentTemplate }` answer) into an opsproof experiment and validates it against the schema
 * and the FIS action catalog. Pure; only read-only fields (id, arn, times) are dropped.
 */
export function parseFisTemplate(
  value: unknown,
  name = 'template',
  options: { engine?: 'fis' | 'any' } = {},
): { experiment: Experiment | undefined; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let raw = value;
  if (raw !== null && typeof raw === 'object' && 'experimentTemplate' in raw) {
    raw = (raw as { experimentTemplate: unknown }).experimentTemplate;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      experiment: undefined,
      diagnostics: [
        { path: '(root)', severity: 'error', message: 'expected an FIS experiment template object' },
      ],
    };
  }
  const input: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const key of READ_ONLY) delete input[key];
  const fisOptions = input.experimentOptions as
    | { emptyTargetResolutionMode?: string; accountTargeting?: string }
    | undefined;
  if (fisOptions?.emptyTargetResolutionMode === 'skip') input.allowEmptyTargets = true;
  if (fisOptions?.accountTargeting === 'multi-account')
    diagnostics.push({
      path: 'experimentOptions.accountTargeting',
      severity: 'warning',
      message:
        'multi-account: the target account configurations are kept in AWS (CreateTargetAccountConfiguration); opsproof sends the template as it is',
    });
  if (Array.isArray(input.stopConditions)) {
    input.stopConditions = (input.stopConditions as Record<string, unknown>[]).map((c) =>
      c.value === undefined ? { source: c.source } : { source: c.source, value: c.value },
    );
  }
  // FIS omits `parameters` on actions without any.
  const parsed = experimentSchema.safeParse(input);
  if (!parsed.success)
    return {
      experiment: undefined,
      diagnostics: [...diagnostics, ...diagnosticsFromZod(parsed.error, input)],
    };
  diagnostics.push(
    ...validateExperiment(name, parsed.data, { path: 'template', engine: options.engine ?? 'any' }),
  );
  return {
    experiment: diagnostics.some((d) => d.severity === 'error') ? undefined : parsed.data,
    diagnostics,
  };
}

/** Reads an FIS template JSON file; throws a {@link ConfigError} with every problem found. */
export async function loadFisTemplate(
  file: string,
  name?: string,
  options: { engine?: 'fis' | 'any' } = {},
): Promise<{ experiment: Experiment; warnings: Diagnostic[] }> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`could not read FIS template ${file}: ${describeError(error)}`, [], {
      file,
      cause: error,
    });
  }
  const { experiment, diagnostics } = parseFisTemplate(value, name, options);
  if (!experiment) {
    throw new ConfigError(
      `${file}: not a valid FIS template\n${formatDiagnostics(diagnostics)}`,
      diagnostics,
      { file },
    );
  }
  return { experiment, warnings: diagnostics };
}
