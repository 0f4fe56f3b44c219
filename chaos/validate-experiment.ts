import type { Diagnostic } from '../core/diagnostics.ts';
import { parseDuration } from '../core/duration.ts';
import type { Experiment } from '../core/schema.ts';
import { alarmNameFromArn, FIS_ACTIONS, type FisParameter, findFisAction } from './fis-catalog.ts';
import { FaultSpecError, parseFaultSpec } from './parse-fault-spec.ts';

const ISO_DURATION = /^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

/** `minMs`…`maxMs` as FIS documents them, e.g. "from PT1M to PT12H". */
function formatRange(param: FisParameter): string {
  const iso = (ms: number) =>
    ms % 3_600_000 === 0
      ? `PT${ms / 3_600_000}H`
      : ms % 60_000 === 0
        ? `PT${ms / 60_000}M`
        : `PT${ms / 1000}S`;
  return `from ${iso(param.minMs ?? 0)} to ${iso(param.maxMs ?? FIS_MAX_ACTION_MS)}`;
}

/** FIS caps every action at 12 hours; so does the fault gateway (parse-fault-spec.ts). */
const FIS_MAX_ACTION_MS = 12 * 3_600_000;

/** Why `value` is not a valid value of `param` (as FIS takes it: a string), or undefined. */
export function checkFisParameterValue(
  param: FisParameter,
  value: string,
  engine: 'fis' | 'any' = 'any',
): string | undefined {
  switch (param.kind) {
    case 'duration': {
      const ms = ISO_DURATION.test(value) ? parseDuration(value) : undefined;
      if (ms === undefined) return `expected an ISO-8601 duration like PT1M, got "${value}"`;
      // Local runs may be shorter than AWS allows (tests, time-scaled drills); never longer.
      if (ms > Math.min(param.maxMs ?? FIS_MAX_ACTION_MS, FIS_MAX_ACTION_MS))
        return `"${value}" is longer than FIS allows (${formatRange(param)})`;
      if (engine === 'fis' && param.minMs !== undefined && ms < param.minMs)
        return `"${value}" is shorter than FIS allows (${formatRange(param)})`;
      return undefined;
    }
    case 'percent':
    case 'integer': {
      const n = Number(value);
      const min = param.min ?? (param.kind === 'percent' ? 1 : 0);
      const max = param.max ?? (param.kind === 'percent' ? 100 : undefined);
      if (!/^\d+$/.test(value) || n < min || (max !== undefined && n > max))
        return param.kind === 'percent'
          ? `expected a whole percentage ${min}–${max}, got "${value}"`
          : `expected a whole number from ${min} to ${max ?? '∞'}, got "${value}"`;
      return undefined;
    }
    case 'number': {
      const n = Number(value);
      if (
        !/^\d+(\.\d+)?$/.test(value) ||
        (param.min !== undefined && n < param.min) ||
        (param.max !== undefined && n > param.max)
      )
        return `expected a number from ${param.min ?? 0} to ${param.max ?? '∞'}, got "${value}"`;
      return undefined;
    }
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : `expected "true" or "false", got "${value}"`;
    case 'string':
      if (param.values && !param.values.includes(value))
        return `expected one of ${param.values.join(', ')}, got "${value}"`;
      if (param.pattern && value !== '' && !param.pattern.regex.test(value))
        return `expected a value like ${param.pattern.example}, got "${value}"`;
      return value === '' ? 'expected a value' : undefined;
    case 'list': {
      const items = value.split(',').map((s) => s.trim());
      if (items.some((s) => s === '')) return `expected a comma-separated list, got "${value}"`;
      const bad = param.values ? items.filter((s) => !param.values!.includes(s)) : [];
      return bad.length > 0
        ? `unknown value ${bad.map((b) => `"${b}"`).join(', ')} (expected ${param.values!.join(', ')})`
        : undefined;
    }
    case 'json': {
      try {
        const parsed: unknown = JSON.parse(value);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return undefined;
      } catch {
        // reported below
      }
      return `expected a JSON object in a string, like {"DurationSeconds":"120"}, got "${value.slice(0, 40)}"`;
    }
  }
}

/** Problems of a target FIS would refuse: how it selects resources, and how many. */
function checkTarget(
  target: Experiment['targets'][string],
  engine: 'fis' | 'any',
): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const count = /^COUNT\((\d+)\)$/.exec(target.selectionMode);
  if (count && Number(count[1]) < 1)
    out.push({ path: 'selectionMode', message: `COUNT(n) needs n ≥ 1, got ${target.selectionMode}` });
  const pct = /^PERCENT\((\d+)\)$/.exec(target.selectionMode);
  if (pct && (Number(pct[1]) < 1 || Number(pct[1]) > 100))
    out.push({
      path: 'selectionMode',
      message: `PERCENT(n) needs n from 1 to 100, got ${target.selectionMode}`,
    });
  if (target.resourceArns !== undefined && target.resourceTags !== undefined)
    out.push({
      path: 'resourceArns',
      message: 'give resourceArns or resourceTags, not both (FIS refuses both)',
    });
  // Locally a target is a name for what the action hits; FIS must find resources with it.
  if (
    engine === 'fis' &&
    target.resourceArns === undefined &&
    target.resourceTags === undefined &&
    target.parameters === undefined &&
    target.filters === undefined
  )
    out.push({
      path: 'resourceType',
      message: `target of ${target.resourceType} selects nothing: give resourceArns, resourceTags, filters or parameters`,
    });
  return out;
}

/**
 * Every problem of an experiment against the FIS action catalog: unknown actions and parameters,
 * missing required parameters, bad values, target keys and references, `startAfter` references and
 * cycles, and stop conditions naming alarms the suite does not define (a warning: they may live in AWS).
 */
export function validateExperiment(
  name: string,
  experiment: Experiment,
  options: {
    alarms?: readonly string[];
    path?: string;
    /**
     * `fis`: also what FIS needs of targets (errors) and the lower bounds AWS documents for durations
     * (warnings; local runs may be shorter).
     */
    engine?: 'fis' | 'any';
  } = {},
): Diagnostic[] {
  const base = options.path ?? `experiments.${name}`;
  const out: Diagnostic[] = [];
  const error = (path: string, message: string) =>
    out.push({ path: `${base}.${path}`, severity: 'error', message });
  const actionNames = Object.keys(experiment.actions);

  for (const [actionName, action] of Object.entries(experiment.actions)) {
    const at = `actions.${actionName}`;
    if (action.local && 'fault' in action.local) {
      try {
        parseFaultSpec(action.local.fault);
      } catch (e) {
        error(`${at}.local.fault`, e instanceof FaultSpecError ? e.message : String(e));
      }
    }
    const spec = findFisAction(action.actionId);
    if (!spec) {
      const near = nearestFisActions(action.actionId);
      error(
        `${at}.actionId`,
        `unknown FIS action "${action.actionId}"; did you mean ${near.map((k) => `"${k}"`).join(', ')}?`,
      );
      continue;
    }
    if (spec.replacedBy)
      out.push({
        path: `${base}.${at}.actionId`,
        severity: 'warning',
        message: `${spec.actionId} is a former id; AWS now names it ${spec.replacedBy}`,
      });
    for (const [param, value] of Object.entries(action.parameters)) {
      const def = spec.parameters[param];
      if (!def) {
        const allowed = Object.keys(spec.parameters);
        error(
          `${at}.parameters.${param}`,
          `unknown parameter "${param}" for ${spec.actionId} (${allowed.length > 0 ? `expected ${allowed.join(', ')}` : 'it takes no parameters'})`,
        );
        continue;
      }
      const problem = checkFisParameterValue(def, value);
      if (problem) error(`${at}.parameters.${param}`, problem);
      // A warning: the lower bounds are transcribed from AWS's docs, and FIS itself has the last word.
      const short =
        options.engine === 'fis' && !problem ? checkFisParameterValue(def, value, 'fis') : undefined;
      if (short)
        out.push({
          path: `${base}.${at}.parameters.${param}`,
          severity: 'warning',
          message: `${short}; FIS may refuse it`,
        });
    }
    for (const [param, def] of Object.entries(spec.parameters)) {
      if (def.required && action.parameters[param] === undefined)
        error(
          `${at}.parameters`,
          `missing required parameter "${param}" for ${spec.actionId} (${def.description})`,
        );
      const when = def.requiredWhen;
      if (when && action.parameters[when.parameter] === when.value && action.parameters[param] === undefined)
        error(
          `${at}.parameters`,
          `missing parameter "${param}": ${spec.actionId} needs it when ${when.parameter} is "${when.value}"`,
        );
    }
    if (spec.actionId === 'aws:cloudwatch:assert-alarm-state') {
      const count = (action.parameters.alarmArns ?? '').split(',').filter((s) => s.trim() !== '').length;
      if (count > 5) error(`${at}.parameters.alarmArns`, `at most five alarms, got ${count}`);
    }
    const targets = action.targets ?? {};
    if (spec.targetKey === undefined) {
      for (const key of Object.keys(targets))
        error(`${at}.targets.${key}`, `${spec.actionId} takes no targets`);
    } else {
      const keys = Object.keys(targets);
      if (keys.length === 0)
        error(`${at}.targets`, `${spec.actionId} needs a target under "${spec.targetKey}"`);
      for (const key of keys) {
        if (key !== spec.targetKey) {
          error(
            `${at}.targets.${key}`,
            `unknown target key "${key}" for ${spec.actionId} (expected "${spec.targetKey}")`,
          );
          continue;
        }
        const targetName = targets[key]!;
        const target = experiment.targets[targetName];
        if (!target) error(`${at}.targets.${key}`, `no target named "${targetName}" in targets`);
        else if (target.resourceType !== spec.resourceType)
          error(
            `targets.${targetName}.resourceType`,
            `${spec.actionId} needs resourceType "${spec.resourceType}", got "${target.resourceType}"`,
          );
      }
    }
    for (const [i, dep] of (action.startAfter ?? []).entries()) {
      if (!actionNames.includes(dep)) error(`${at}.startAfter[${i}]`, `no action named "${dep}"`);
      else if (dep === actionName) error(`${at}.startAfter[${i}]`, 'an action cannot start after itself');
    }
  }

  for (const [targetName, target] of Object.entries(experiment.targets))
    for (const problem of checkTarget(target, options.engine ?? 'any'))
      error(`targets.${targetName}.${problem.path}`, problem.message);

  const cycle = findCycle(experiment);
  if (cycle) error(`actions.${cycle[0]}.startAfter`, `startAfter forms a cycle: ${cycle.join(' → ')}`);

  for (const [i, condition] of experiment.stopConditions.entries()) {
    if (condition.source === 'aws:cloudwatch:alarm') {
      if (!condition.value) {
        error(`stopConditions[${i}].value`, 'a CloudWatch alarm stop condition needs the alarm name or ARN');
        continue;
      }
      const alarm = alarmNameFromArn(condition.value);
      if (options.alarms && !options.alarms.includes(alarm))
        out.push({
          path: `${base}.stopConditions[${i}].value`,
          severity: 'warning',
          message: `alarm "${alarm}" is not defined in the suite's alarms (it must exist in CloudWatch)`,
        });
    }
  }
  return out;
}

/**
 * The known action ids closest to `id` by edit distance: the nearest and those at most three edits
 * further (so one clear typo suggests one id), at most `count`, ties in catalog order.
 */
export function nearestFisActions(id: string, count = 3): string[] {
  const ranked = Object.keys(FIS_ACTIONS)
    .map((known, index) => ({ known, index, distance: editDistance(id, known) }))
    .sort((a, b) => a.distance - b.distance || a.index - b.index);
  const best = ranked[0]?.distance ?? 0;
  return ranked
    .filter((n) => n.distance <= best + 3)
    .slice(0, count)
    .map((n) => n.known);
}

/** Levenshtein distance: insertions, deletions and substitutions each cost one. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function findCycle(experiment: Experiment): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of experiment.actions[name]?.startAfter ?? []) {
      if (dep === name || !experiment.actions[dep]) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(experiment.actions)) {
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}
