import { describe, expect, test } from 'vitest';
import { FIS_ACTIONS, FIS_CATALOG_SOURCE, FIS_SCENARIOS, findFisAction } from './fis-catalog.ts';
import { checkFisParameterValue } from './validate-experiment.ts';

const actions = Object.values(FIS_ACTIONS);

describe('the FIS action catalog', () => {
  test('names its source and the date it was read', () => {
    expect(FIS_CATALOG_SOURCE.url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/fis\//);
    expect(FIS_CATALOG_SOURCE.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test('covers every service family of the FIS actions reference', () => {
    const families = new Set(actions.map((a) => a.actionId.split(':')[1]));
    expect([...families].sort()).toEqual(
      [
        'arc',
        'cloudwatch',
        'directconnect',
        'dsql',
        'dynamodb',
        'ebs',
        'ec2',
        'ecs',
        'eks',
        'elasticache',
        'fis',
        'kinesis',
        'lambda',
        'memorydb',
        'network',
        'rds',
        's3',
        'ssm',
      ].sort(),
    );
    expect(actions.length).toBeGreaterThanOrEqual(45);
  });

  test.each(actions.map((a) => [a.actionId, a] as const))('%s is self-consistent', (id, spec) => {
    expect(spec.actionId).toBe(id);
    expect(id).toMatch(/^aws:[a-z0-9]+:[a-z0-9-]+$/);
    expect(findFisAction(id)).toBe(spec);
    // A target key comes with a resource type of the form aws:service:type, or neither does.
    expect(spec.targetKey === undefined).toBe(spec.resourceType === undefined);
    if (spec.resourceType) expect(spec.resourceType).toMatch(/^aws:[a-z0-9]+:[a-z0-9-]+$/);
    if (spec.targetKey) expect(spec.targetKey).toMatch(/^[A-Z][A-Za-z]+$/);
    if (spec.replacedBy) expect(findFisAction(spec.replacedBy)).toBeDefined();
    expect(spec.description.length).toBeGreaterThan(5);
    // The local mapping reads parameters the action has.
    const { percent = [], delayMs, jitterMs, status, downFor, signal, scope } = spec.localMapping ?? {};
    for (const key of [...percent, delayMs, jitterMs, status, downFor, signal, scope])
      if (key !== undefined) expect(spec.parameters, `${id} localMapping`).toHaveProperty(key);
    if (spec.family === 'lambda-invocation') expect(spec.localMapping?.fault, id).toBeDefined();
    // An SSM document with a local meaning is a network fault or a process fault, and the values
    // its mapping reads have defaults.
    for (const [document, meaning] of Object.entries(spec.localMapping?.documents ?? {})) {
      expect(document).toMatch(/^AWSFIS-Run-/);
      expect(meaning.family, document).toMatch(/^(network|process)\//);
      const {
        percent: shares = [],
        delayMs: delay,
        jitterMs: jitter,
        signal: sig,
      } = meaning.localMapping ?? {};
      for (const key of [...shares, delay, jitter, sig])
        if (key !== undefined) expect(meaning.defaults, `${document} ${key}`).toHaveProperty(key);
    }
    if (spec.localMapping?.delayMs) expect(spec.localMapping.fault ?? spec.family).toMatch(/latency/);
    for (const [name, p] of Object.entries(spec.parameters)) {
      expect(name).toMatch(/^[a-z][A-Za-z]+$/);
      // A default is a valid value, and a required parameter has none.
      if (p.default !== undefined) {
        expect(p.required, `${id}.${name}`).toBe(false);
        expect(checkFisParameterValue(p, p.default), `${id}.${name} default`).toBeUndefined();
      }
      if (p.kind === 'duration') {
        expect(p.minMs, `${id}.${name}`).toBeGreaterThan(0);
        expect(p.maxMs, `${id}.${name}`).toBeLessThanOrEqual(12 * 3_600_000);
        expect(p.minMs!).toBeLessThan(p.maxMs!);
      }
      if (p.min !== undefined && p.max !== undefined) expect(p.min).toBeLessThan(p.max);
      if (p.values) expect(new Set(p.values).size).toBe(p.values.length);
      if (p.pattern) expect(p.pattern.regex.test(p.pattern.example), `${id}.${name}`).toBe(true);
      if (p.requiredWhen) {
        const other = spec.parameters[p.requiredWhen.parameter];
        expect(other, `${id}.${name}`).toBeDefined();
        expect(checkFisParameterValue(other!, p.requiredWhen.value)).toBeUndefined();
      }
    }
  });

  test.each(FIS_SCENARIOS.map((s) => [s.name, s] as const))(
    'scenario "%s" is made of catalog actions',
    (_name, s) => {
      expect(s.actions.length).toBeGreaterThan(0);
      for (const id of s.actions) expect(findFisAction(id), id).toBeDefined();
    },
  );
});

describe('checkFisParameterValue', () => {
  const stop = FIS_ACTIONS['aws:ec2:stop-instances']!.parameters.startInstancesAfterDuration!;
  const loss = FIS_ACTIONS['aws:ecs:task-network-packet-loss']!.parameters.lossPercent!;
  const drain = FIS_ACTIONS['aws:ecs:drain-container-instances']!.parameters.drainagePercentage!;
  const readPct = FIS_ACTIONS['aws:ebs:volume-io-latency']!.parameters.readIOPercentage!;
  const protocol = FIS_ACTIONS['aws:ecs:task-network-blackhole-port']!.parameters.protocol!;
  const docParams = FIS_ACTIONS['aws:ssm:send-command']!.parameters.documentParameters!;
  test.each([
    [stop, 'PT5M', 'fis', undefined],
    [stop, 'PT12H', 'fis', undefined],
    [stop, 'PT13H', 'any', /longer than FIS allows \(from PT1M to PT12H\)/],
    [stop, 'PT30S', 'fis', /shorter than FIS allows \(from PT1M to PT12H\)/],
    [stop, 'PT30S', 'any', undefined],
    [stop, '5m', 'any', /ISO-8601/],
    [loss, '0', 'any', undefined],
    [loss, '100', 'any', undefined],
    [loss, '101', 'any', /whole percentage 0–100/],
    [drain, '0', 'any', /whole percentage 1–100/],
    [readPct, '0.1', 'any', undefined],
    [readPct, '0.05', 'any', /number from 0.1 to 100/],
    [protocol, 'tcp', 'any', undefined],
    [protocol, 'icmp', 'any', /one of tcp, udp/],
    [docParams, '{"DurationSeconds":"60"}', 'any', undefined],
    [docParams, 'DurationSeconds=60', 'any', /JSON object/],
    [docParams, '[1]', 'any', /JSON object/],
  ] as const)('%#: %j %s (%s)', (param, value, engine, expected) => {
    const problem = checkFisParameterValue(param, value, engine);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
