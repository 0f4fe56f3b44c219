import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type Diagnostic, diagnosticsFromZod, formatDiagnostics } from '../../core/diagnostics.ts';
import { parseDuration } from '../../core/duration.ts';
import { ConfigError, describeError } from '../../core/errors.ts';
import { type AlarmDefinition, alarmSchema } from '../../core/schema.ts';
import { parseSeries, SeriesSyntaxError, type SeriesValue } from './parse-series.ts';

const duration = z.union([z.string(), z.number()]).refine((d) => parseDuration(d) !== undefined, {
  message: 'expected a duration like 30s, 5m or PT5M',
});

const testFileSchema = z
  .object({
    templates: z.array(z.string().min(1)).default([]),
    alarms: z.array(z.record(z.string(), z.unknown())).default([]),
    /** Evaluation range in periods (default N + max(⌊N/3⌋, 2)). */
    evaluationRange: z.number().int().min(1).optional(),
    tests: z
      .array(
        z
          .object({
            name: z.string().min(1),
            interval: duration.default('1m'),
            series: z
              .array(
                z
                  .object({
                    metric: z
                      .object({
                        Namespace: z.string().min(1),
                        MetricName: z.string().min(1),
                        Dimensions: z.record(z.string(), z.string()).default({}),
                      })
                      .strict(),
                    values: z.union([z.string(), z.number()]),
                  })
                  .strict(),
              )
              .default([]),
            expect: z
              .array(
                z
                  .object({
                    at: duration,
                    alarm: z.string().min(1),
                    state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
                  })
                  .strict(),
              )
              .min(1),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

/** An alarm of the file: usable, or refused with the reason (metric math, anomaly detection …). */
export type LoadedAlarm =
  | { definition: AlarmDefinition }
  | { name: string; unsupported: string; origin: string };

export interface AlarmTestSeries {
  Namespace: string;
  MetricName: string;
  Dimensions: Record<string, string>;
  values: SeriesValue[];
}

export interface AlarmTestExpectation {
  atMs: number;
  at: string;
  alarm: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
}

export interface AlarmTestCase {
  name: string;
  intervalMs: number;
  series: AlarmTestSeries[];
  expect: AlarmTestExpectation[];
}

export interface AlarmTestFile {
  file: string;
  alarms: Map<string, LoadedAlarm>;
  evaluationRange?: number;
  tests: AlarmTestCase[];
}

/** Properties of `AWS::CloudWatch::Alarm` we refuse, and why. */
const UNSUPPORTED: Record<string, string> = {
  Metrics: 'metric math and multi-metric alarms (Metrics) are not supported',
  ThresholdMetricId: 'anomaly detection alarms (ThresholdMetricId) are not supported',
  AlarmRule: 'composite alarms (AlarmRule) are not supported',
};

/** Properties CloudFormation allows that do not change evaluation: dropped. */
const IGNORED = new Set(['ActionsEnabled', 'AlarmActions', 'OKActions', 'InsufficientDataActions', 'Tags']);

const NUMERIC = ['Period', 'EvaluationPeriods', 'DatapointsToAlarm', 'Threshold'];

function isIntrinsic(value: unknown): string | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return keys[0];
  }
  return undefined;
}

/** Finds the first intrinsic function in a value, with its path. */
function findIntrinsic(value: unknown, path: string): { path: string; fn: string } | undefined {
  const fn = isIntrinsic(value);
  if (fn) return { path, fn };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findIntrinsic(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const hit = findIntrinsic(v, `${path}.${k}`);
      if (hit) return hit;
    }
  }
  return undefined;
}

/**
 * An alarm definition from CloudWatch properties: numbers given as strings (CloudFormation allows
 * them) are converted; refused features and unresolvable intrinsic functions are reported.
 */
function toAlarm(
  props: Record<string, unknown>,
  fallbackName: string,
  origin: string,
  diagnostics: Diagnostic[],
): LoadedAlarm | undefined {
  const name = typeof props.AlarmName === 'string' ? props.AlarmName : fallbackName;
  for (const [key, why] of Object.entries(UNSUPPORTED)) {
    if (props[key] !== undefined) return { name, unsupported: why, origin };
  }
  const cleaned: Record<string, unknown> = { AlarmName: name };
  for (const [key, value] of Object.entries(props)) {
    if (IGNORED.has(key) || key === 'AlarmName') continue;
    const intrinsic = findIntrinsic(value, `${origin}.${key}`);
    if (intrinsic) {
      if (key === 'AlarmDescription') continue;
      diagnostics.push({
        path: intrinsic.path,
        severity: 'error',
        message: `uses ${intrinsic.fn}, which alarm tests cannot resolve; give the plain value (or synthesize with concrete values)`,
      });
      return undefined;
    }
    cleaned[key] =
      NUMERIC.includes(key) && typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  }
  if (typeof cleaned.ComparisonOperator === 'string' && /Band/.test(cleaned.ComparisonOperator)) {
    return {
      name,
      unsupported: 'anomaly detection alarms (band comparison operators) are not supported',
      origin,
    };
  }
  const parsed = alarmSchema.safeParse(cleaned);
  if (!parsed.success) {
    for (const d of diagnosticsFromZod(parsed.error, cleaned))
      diagnostics.push({ ...d, path: `${origin}.${d.path}` });
    return undefined;
  }
  return { definition: parsed.data };
}

async function readData(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  return extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
}

/**
 * Loads and validates an alarm test file (YAML or JSON), with the alarms of its templates. Throws a
 * {@link ConfigError} (exit 2) naming the file, the test and the path of every problem.
 */
export async function loadAlarmTestFile(path: string, cwd = process.cwd()): Promise<AlarmTestFile> {
  const file = resolve(cwd, path);
  let raw: unknown;
  try {
    raw = await readData(file);
  } catch (error) {
    throw new ConfigError(`${path}: cannot read: ${describeError(error)}`, [], { file, cause: error });
  }
  const parsed = testFileSchema.safeParse(raw);
  const fail = (diagnostics: Diagnostic[]) => {
    throw new ConfigError(
      `${path}: ${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}\n${formatDiagnostics(diagnostics)}`,
      diagnostics,
      { file },
    );
  };
  if (!parsed.success) fail(diagnosticsFromZod(parsed.error, raw));
  const data = parsed.data!;
  const diagnostics: Diagnostic[] = [];
  const alarms = new Map<string, LoadedAlarm>();
  const add = (alarm: LoadedAlarm | undefined) => {
    if (!alarm) return;
    const name = 'definition' in alarm ? alarm.definition.AlarmName : alarm.name;
    alarms.set(name, alarm);
  };

  for (const [t, template] of data.templates.entries()) {
    const templateFile = resolve(dirname(file), template);
    let doc: { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> };
    try {
      doc = (await readData(templateFile)) as typeof doc;
    } catch (error) {
      diagnostics.push({
        path: `templates[${t}]`,
        severity: 'error',
        message: `cannot read ${template}: ${describeError(error)}`,
      });
      continue;
    }
    for (const [logicalId, resource] of Object.entries(doc?.Resources ?? {})) {
      if (resource.Type === 'AWS::CloudWatch::Alarm') {
        add(
          toAlarm(
            resource.Properties ?? {},
            logicalId,
            `${template}:Resources.${logicalId}.Properties`,
            diagnostics,
          ),
        );
      } else if (resource.Type === 'AWS::CloudWatch::CompositeAlarm') {
        const props = resource.Properties ?? {};
        const name = typeof props.AlarmName === 'string' ? props.AlarmName : logicalId;
        add({
          name,
          unsupported: 'composite alarms are not supported',
          origin: `${template}:Resources.${logicalId}`,
        });
      }
    }
  }
  data.alarms.forEach((props, i) => {
    add(toAlarm(props, `alarms[${i}]`, `alarms[${i}]`, diagnostics));
  });

  const tests: AlarmTestCase[] = data.tests.map((test, ti) => {
    const series = test.series.map((s, si) => {
      let values: SeriesValue[] = [];
      try {
        values = parseSeries(s.values);
      } catch (error) {
        if (!(error instanceof SeriesSyntaxError)) throw error;
        diagnostics.push({
          path: `tests[${ti}] "${test.name}".series[${si}].values`,
          severity: 'error',
          message: error.message,
        });
      }
      return { ...s.metric, values };
    });
    const expectations = test.expect.map((e, ei) => {
      const known = alarms.get(e.alarm);
      if (!known) {
        const names = [...alarms.keys()];
        diagnostics.push({
          path: `tests[${ti}] "${test.name}".expect[${ei}].alarm`,
          severity: 'error',
          message: `unknown alarm "${e.alarm}"; known alarms: ${names.length ? names.map((n) => `"${n}"`).join(', ') : '(none)'}`,
        });
      } else if ('unsupported' in known) {
        diagnostics.push({
          path: `tests[${ti}] "${test.name}".expect[${ei}].alarm`,
          severity: 'error',
          message: `alarm "${e.alarm}" (${known.origin}): ${known.unsupported}`,
        });
      }
      return { atMs: parseDuration(e.at)!, at: String(e.at), alarm: e.alarm, state: e.state };
    });
    return { name: test.name, intervalMs: parseDuration(test.interval)!, series, expect: expectations };
  });
  if (diagnostics.length > 0) fail(diagnostics);
  return {
    file: path,
    alarms,
    ...(data.evaluationRange ? { evaluationRange: data.evaluationRange } : {}),
    tests,
  };
}
