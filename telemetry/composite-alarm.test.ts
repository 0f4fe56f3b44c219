import { describe, expect, test } from 'vitest';
import {
  type ChildState,
  evaluateAlarmRule,
  evaluateCompositeAlarm,
  formatCompositeReasonTime,
  parseAlarmRule,
  ruleAlarmNames,
} from './composite-alarm.ts';
import type { AlarmStateValue } from './types.ts';

const states = (s: Record<string, AlarmStateValue>) => (name: string) => s[name] ?? 'INSUFFICIENT_DATA';

// The AlarmRule examples of the CloudFormation reference (AWS::CloudWatch::CompositeAlarm) and of
// PutCompositeAlarm, each with states that make it TRUE and FALSE.
describe('AlarmRule examples of the AWS reference', () => {
  test.each([
    [
      'ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)',
      { CPUUtilizationTooHigh: 'ALARM', DiskReadOpsTooHigh: 'ALARM' },
      true,
    ],
    [
      'ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)',
      { CPUUtilizationTooHigh: 'ALARM', DiskReadOpsTooHigh: 'OK' },
      false,
    ],
    [
      'ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)',
      { CPUUtilizationTooHigh: 'OK', DiskReadOpsTooHigh: 'ALARM' },
      true,
    ],
    [
      'ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)',
      { CPUUtilizationTooHigh: 'ALARM', DeploymentInProgress: 'OK' },
      true,
    ],
    [
      'ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)',
      { CPUUtilizationTooHigh: 'ALARM', DeploymentInProgress: 'ALARM' },
      false,
    ],
    [
      '(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)',
      { DiskReadOpsTooHigh: 'ALARM', NetworkOutTooHigh: 'OK' },
      true,
    ],
    [
      '(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)',
      { DiskReadOpsTooHigh: 'ALARM' },
      false,
    ],
    ['INSUFFICIENT_DATA(CPUUtilizationTooHigh)', {}, true],
    ['ALARM("my alarm with spaces") OR FALSE', { 'my alarm with spaces': 'ALARM' }, true],
    [
      'ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh")',
      { ServerCpuTooHigh: 'ALARM' },
      true,
    ],
    ['TRUE', {}, true],
    ['FALSE', {}, false],
    ['NOT FALSE AND TRUE', {}, true],
    // AND binds tighter than OR: a OR (b AND c).
    ['ALARM(a) OR ALARM(b) AND ALARM(c)', { a: 'ALARM', b: 'OK', c: 'OK' }, true],
    ['NOT (ALARM(a) OR ALARM(b))', { a: 'OK', b: 'OK' }, true],
  ] as const)('%s with %j is %s', (rule, s, value) => {
    expect(evaluateAlarmRule(parseAlarmRule(rule), states(s as Record<string, AlarmStateValue>))).toBe(value);
  });

  test.each(['ALARM(a) AND', 'ALARM()', 'ALARM(a) XOR ALARM(b)', 'alarm(a)', '(ALARM(a)'])(
    '"%s" is refused',
    (rule) => {
      expect(() => parseAlarmRule(rule)).toThrow(/cannot parse AlarmRule/);
    },
  );

  test('names come quoted, bare or as ARNs; quotes may be escaped', () => {
    expect(
      ruleAlarmNames(
        parseAlarmRule(
          'ALARM("a b") OR OK(c) OR ALARM("arn:aws:cloudwatch:eu-west-1:1:alarm:d e") OR ALARM("q\\"x") OR OK(c)',
        ),
      ),
    ).toEqual(['a b', 'c', 'd e', 'q"x']);
  });
});

describe('evaluating a composite', () => {
  const rule = parseAlarmRule('ALARM(Errors) AND NOT ALARM("Deploy in progress")');
  const at = Date.UTC(2020, 11, 4, 19, 0, 54);
  test('ALARM names the child that transitioned last, in CloudWatch words', () => {
    const children = new Map<string, ChildState>([
      ['Errors', { state: 'ALARM', since: at }],
      ['Deploy in progress', { state: 'OK', since: at - 600_000 }],
    ]);
    const result = evaluateCompositeAlarm(rule, { now: at, previousState: 'INSUFFICIENT_DATA', children });
    expect(result).toMatchObject({ state: 'ALARM', changed: true });
    expect(result.reason).toBe('Errors transitioned to ALARM at Friday 04 December, 2020 19:00:54 UTC');
    expect(result.children).toEqual([
      { alarm: 'Errors', state: 'ALARM' },
      { alarm: 'Deploy in progress', state: 'OK' },
    ]);
  });

  test('never INSUFFICIENT_DATA after an evaluation, even when the children are', () => {
    const result = evaluateCompositeAlarm(rule, {
      now: 0,
      previousState: 'INSUFFICIENT_DATA',
      children: new Map(),
    });
    expect(result.state).toBe('OK');
    expect(result.reason).toBe('AlarmRule evaluated to FALSE');
  });

  test('reason time format', () => {
    expect(formatCompositeReasonTime(Date.UTC(2026, 0, 1, 0, 4))).toBe(
      'Thursday 01 January, 2026 00:04:00 UTC',
    );
  });
});
