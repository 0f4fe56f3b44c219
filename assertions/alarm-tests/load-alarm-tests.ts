/**
 * Reads an alarm test file and the alarms it tests (inline, or from a CloudFormation/CDK template with
 * its intrinsics resolved; metric, math and composite alarms) into one checked model. One file, over
 * 400 lines, because every source goes through the same property cleaning and ends in the same
 * diagnostics: split, each part would need the others' rules.
 */

import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type Diagnostic, diagnosticsFromZod, formatDiagnostics } from '../../core/diagnostics.ts';
import { parseDuration } from '../../core/duration.ts';
import { ConfigError, describeError } from '../../core/errors.ts';
import {
  type AlarmDefinition,
  alarmSchema,
  type CompositeAlarmDefinition,
  compositeAlarmSchema,
  type MathAlarmDefinition,
  mathAlarmSchema,
} from '../../core/schema.ts';
import { ALARM_STATES } from '../../core/statuses.ts';
import {
  type AlarmRuleNode,
  AlarmRuleSyntaxError,
  parseAlarmRule,
  ruleAlarmNames,
} from '../../telemetry/composite-alarm.ts';
import {
  type CompiledMetricQueries,
  compileMetricQueries,
  MetricQueriesError,
} from '../../telemetry/metric-math/compile-metric-queries.ts';
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
                    state: z.enum(ALARM_STATES),
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

/**
 * An alarm of the file: a single-metric alarm, a metric math alarm (its queries checked and ordered),
 * a composite alarm (its rule parsed), or refused with the reason (anomaly detection …). `origin`
 * says where it was defined; `template` is set for alarms of `templates:` (coverage counts those).
 */
export type LoadedAlarm = { origin: string; template?: string } & (
  | { definition: AlarmDefinition }
  | { math: MathAlarmDefinition; compiled: CompiledMetricQueries }
  | { composite: CompositeAlarmDefinition; rule: AlarmRuleNode }
  | { name: string; unsupported: string }
);

/** The name an alarm of the file is known under. */
export function loadedAlarmName(alarm: LoadedAlarm): string {
  if ('definition' in alarm) return alarm.definition.AlarmName;
  if ('math' in alarm) return alarm.math.AlarmName;
  if ('composite' in alarm) return alarm.composite.AlarmName;
  return alarm.name;
}

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

/** Properties of `AWS::CloudWatch::Alarm` we refuse, and why (one sentence each). */
const UNSUPPORTED: Record<string, string> = {
  ThresholdMetricId:
    'anomaly detection alarms (ThresholdMetricId) compare the metric with a band from a model CloudWatch trains on its history, which cannot be reproduced offline',
};

/** Properties CloudFormation allows that do not change evaluation: dropped. */
const IGNORED = new Set([
  'ActionsEnabled',
  'AlarmActions',
  'OKActions',
  'InsufficientDataActions',
  'Tags',
  'ActionsSuppressor',
  'ActionsSuppressorWaitPeriod',
  'ActionsSuppressorExtensionPeriod',
]);

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
 * An alarm's CloudFormation properties without the ones alarm tests ignore, each value through
 * `convert`, on top of `base`. An intrinsic function
 * left in a property is an error, except in the description, which is dropped.
 */
function cleanAlarmProperties(
  props: Record<string, unknown>,
  base: Record<string, unknown>,
  origin: string,
  diagnostics: Diagnostic[],
  convert: (key: string, value: unknown) => unknown = (_, value) => value,
): Record<string, unknown> | undefined {
  const cleaned = { ...base };
  for (const [key, value] of Object.entries(props)) {
    if (IGNORED.has(key)) continue;
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
    cleaned[key] = convert(key, value);
  }
  return cleaned;
}

/** The schema's problems with an alarm, each at its path in the file; `undefined`, for `return`. */
function pushSchemaDiagnostics(
  error: z.ZodError,
  cleaned: Record<string, unknown>,
  origin: string,
  diagnostics: Diagnostic[],
): undefined {
  for (const d of diagnosticsFromZod(error, cleaned)) diagnostics.push({ ...d, path: `${origin}.${d.path}` });
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
  template?: string,
): LoadedAlarm | undefined {
  const name = typeof props.AlarmName === 'string' ? props.AlarmName : fallbackName;
  const where = { origin, ...(template ? { template } : {}) };
  for (const [key, why] of Object.entries(UNSUPPORTED)) {
    if (props[key] !== undefined) return { name, unsupported: why, ...where };
  }
  // The name is settled above (a logical id stands in for an unresolved one).
  const { AlarmName: _, ...rest } = props;
  const cleaned = cleanAlarmProperties(rest, { AlarmName: name }, origin, diagnostics, (key, value) =>
    NUMERIC.includes(key) && typeof value === 'string' && value.trim() !== '' ? Number(value) : value,
  );
  if (!cleaned) return undefined;
  if (typeof cleaned.ComparisonOperator === 'string' && /Band/.test(cleaned.ComparisonOperator)) {
    return {
      name,
      unsupported: `anomaly detection alarms (${cleaned.ComparisonOperator}) compare the metric with a band from a model CloudWatch trains on its history, which cannot be reproduced offline`,
      ...where,
    };
  }
  const invalid = (error: z.ZodError) => pushSchemaDiagnostics(error, cleaned, origin, diagnostics);
  if (Array.isArray(cleaned.Metrics)) {
    // CloudFormation allows numeric strings for MetricStat.Period and Period too.
    cleaned.Metrics = cleaned.Metrics.map((q: unknown) => numericPeriods(q));
    const parsed = mathAlarmSchema.safeParse(cleaned);
    if (!parsed.success) return invalid(parsed.error);
    try {
      return { math: parsed.data, compiled: compileMetricQueries(parsed.data.Metrics), ...where };
    } catch (error) {
      if (!(error instanceof MetricQueriesError)) throw error;
      // Functions CloudWatch alone can evaluate make the alarm untestable, not the file invalid.
      if (/cannot be reproduced offline/.test(error.message))
        return { name, unsupported: error.message, ...where };
      diagnostics.push({ path: `${origin}.Metrics`, severity: 'error', message: error.message });
      return undefined;
    }
  }
  const parsed = alarmSchema.safeParse(cleaned);
  if (!parsed.success) return invalid(parsed.error);
  return { definition: parsed.data, ...where };
}

function numericPeriods(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  const q = { ...(query as Record<string, unknown>) };
  const num = (v: unknown) =>
    typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
  if (q.Period !== undefined) q.Period = num(q.Period);
  if (typeof q.ReturnData === 'string') q.ReturnData = q.ReturnData === 'true';
  if (q.MetricStat && typeof q.MetricStat === 'object') {
    const stat = { ...(q.MetricStat as Record<string, unknown>) };
    stat.Period = num(stat.Period);
    q.MetricStat = stat;
  }
  return q;
}

/** A composite alarm from CloudFormation properties (the rule's intrinsics already resolved). */
function toCompositeAlarm(
  props: Record<string, unknown>,
  fallbackName: string,
  origin: string,
  diagnostics: Diagnostic[],
  template?: string,
): LoadedAlarm | undefined {
  const cleaned = cleanAlarmProperties(props, { AlarmName: fallbackName }, origin, diagnostics);
  if (!cleaned) return undefined;
  const parsed = compositeAlarmSchema.safeParse(cleaned);
  if (!parsed.success) return pushSchemaDiagnostics(parsed.error, cleaned, origin, diagnostics);
  try {
    return {
      composite: parsed.data,
      rule: parseAlarmRule(parsed.data.AlarmRule),
      origin,
      ...(template ? { template } : {}),
    };
  } catch (error) {
    if (!(error instanceof AlarmRuleSyntaxError)) throw error;
    diagnostics.push({ path: `${origin}.AlarmRule`, severity: 'error', message: error.message });
    return undefined;
  }
}

type Resources = Record<string, { Type?: string; Properties?: Record<string, unknown> }>;

/**
 * Resolves the intrinsic functions CDK writes into alarm properties, where the template itself
 * holds the answer: `Fn::Join` of resolvable parts, `Ref` to an alarm (its name) and
 * `Fn::GetAtt [alarm, Arn]` (an ARN ending in its name, which is all an AlarmRule needs). Anything
 * else is left for the caller to report.
 */
function resolveIntrinsics(value: unknown, resources: Resources): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, resources));
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  const alarmName = (logicalId: unknown) => {
    if (typeof logicalId !== 'string') return undefined;
    const r = resources[logicalId];
    if (r?.Type !== 'AWS::CloudWatch::Alarm' && r?.Type !== 'AWS::CloudWatch::CompositeAlarm')
      return undefined;
    const name = r.Properties?.AlarmName;
    return typeof name === 'string' ? name : logicalId;
  };
  if (keys.length === 1 && keys[0] === 'Ref') return alarmName(obj.Ref) ?? value;
  if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
    const [id, attr] = Array.isArray(obj['Fn::GetAtt']) ? (obj['Fn::GetAtt'] as unknown[]) : [];
    const name = attr === 'Arn' ? alarmName(id) : undefined;
    return name === undefined ? value : `arn:aws:cloudwatch:region:account:alarm:${name}`;
  }
  if (keys.length === 1 && keys[0] === 'Fn::Join') {
    const [sep, parts] = (obj['Fn::Join'] as [unknown, unknown]) ?? [];
    const resolved = Array.isArray(parts) ? parts.map((p) => resolveIntrinsics(p, resources)) : undefined;
    if (typeof sep === 'string' && resolved?.every((p) => typeof p === 'string')) return resolved.join(sep);
    return value;
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(v, resources)]));
}

async function readData(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  return extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
}

/**
 * Loads and validates an alarm test file (YAML or JSON), with the alarms of its templates. Throws a
 * {@link ConfigError} (exit 2) naming the file, the test and the path of every problem.
 */
/** The first alarm below a composite that cannot be evaluated offline, if any. */
function refusedBelow(
  alarms: ReadonlyMap<string, LoadedAlarm>,
  name: string,
  seen = new Set<string>(),
): Extract<LoadedAlarm, { unsupported: string }> | undefined {
  const alarm = alarms.get(name);
  if (!alarm || seen.has(name)) return undefined;
  seen.add(name);
  if ('unsupported' in alarm) return alarm;
  if (!('composite' in alarm)) return undefined;
  for (const child of ruleAlarmNames(alarm.rule)) {
    const found = refusedBelow(alarms, child, seen);
    if (found) return found;
  }
  return undefined;
}

/** The first cycle among composite alarms, as a path of names, if any. */
function findCompositeCycle(alarms: ReadonlyMap<string, LoadedAlarm>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    const alarm = alarms.get(name);
    if (!alarm || !('composite' in alarm) || state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    for (const child of ruleAlarmNames(alarm.rule)) {
      const found = visit(child, [...path, name]);
      if (found) return found;
    }
    state.set(name, 'done');
    return undefined;
  };
  for (const name of alarms.keys()) {
    const found = visit(name, []);
    if (found) return found;
  }
  return undefined;
}

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
    alarms.set(loadedAlarmName(alarm), alarm);
  };

  for (const [t, template] of data.templates.entries()) {
    const templateFile = resolve(dirname(file), template);
    let doc: { Resources?: Resources };
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
    const resources = doc?.Resources ?? {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      const origin = `${template}:Resources.${logicalId}.Properties`;
      const props = resolveIntrinsics(resource.Properties ?? {}, resources) as Record<string, unknown>;
      if (resource.Type === 'AWS::CloudWatch::Alarm') {
        add(toAlarm(props, logicalId, origin, diagnostics, template));
      } else if (resource.Type === 'AWS::CloudWatch::CompositeAlarm') {
        add(toCompositeAlarm(props, logicalId, origin, diagnostics, template));
      }
    }
  }
  data.alarms.forEach((props, i) => {
    const build = props.AlarmRule !== undefined ? toCompositeAlarm : toAlarm;
    add(build(props, `alarms[${i}]`, `alarms[${i}]`, diagnostics));
  });
  // A composite's children must be alarms of the file, and composites may not form a cycle.
  for (const [name, alarm] of alarms) {
    if (!('composite' in alarm)) continue;
    for (const child of ruleAlarmNames(alarm.rule)) {
      if (!alarms.has(child)) {
        diagnostics.push({
          path: `${alarm.origin}.AlarmRule`,
          severity: 'error',
          message: `composite alarm "${name}" names "${child}", which is not an alarm of this file`,
        });
      }
    }
  }
  const cycle = findCompositeCycle(alarms);
  if (cycle) {
    diagnostics.push({
      path: `${alarms.get(cycle[0]!)!.origin}.AlarmRule`,
      severity: 'error',
      message: `composite alarms depend on each other in a cycle: ${cycle.join(' → ')}`,
    });
  }

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
      } else if ('composite' in known) {
        const refused = refusedBelow(alarms, e.alarm);
        if (refused) {
          diagnostics.push({
            path: `tests[${ti}] "${test.name}".expect[${ei}].alarm`,
            severity: 'error',
            message: `composite alarm "${e.alarm}" depends on "${refused.name}" (${refused.origin}): ${refused.unsupported}`,
          });
        }
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
