import { describe, expect, test } from 'vitest';
import type { TimelineEvent, TimelineRecord } from '../core/events.ts';
import type { Check, ExpectationResult, ExperimentJournal } from '../core/run-result.ts';
import { drillSchema } from '../core/schema.ts';
import {
  buildAlertDrillReport,
  buildDeadlineCheck,
  buildDrDrillReport,
  findAlertPoints,
  findIncident,
  findRecovery,
  type ProbeRecord,
} from './build-drill-report.ts';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const rec = (t: number, event: TimelineEvent): TimelineRecord =>
  ({ ...event, t, at: new Date(BASE + t).toISOString() }) as TimelineRecord;
const faultStart = (t: number, experiment = 'api-errors', faultId = 'f1') =>
  rec(t, { type: 'fault.start', faultId, spec: 'error:status=500', experiment, where: 'gw' });
const faultEnd = (t: number, faultId = 'f1') => rec(t, { type: 'fault.end', faultId, reason: 'completed' });
const alarmState = (t: number, to: 'ALARM' | 'OK', alarm = 'Errors') =>
  rec(t, { type: 'alarm.state', alarm, from: to === 'ALARM' ? 'OK' : 'ALARM', to, reason: 'r' });
const tick = (t: number, rps: number, errors: number) =>
  rec(t, {
    type: 'load.tick',
    profile: 'p',
    second: t / 1000,
    rps,
    errors,
    p50: 1,
    p99: 1,
    inFlight: 0,
    dropped: 0,
  } as TimelineEvent);
const expectation = (kind: string, measuredMs: number | null, message = 'm'): ExpectationResult => ({
  name: kind,
  kind,
  status: measuredMs === null ? 'failed' : 'passed',
  measuredMs,
  deadlineMs: 5000,
  message,
});
const probe = (startT: number, endT: number, ok: boolean, detail = ok ? 'passed' : 'down'): ProbeRecord => ({
  startT,
  endT,
  ok,
  detail,
});

describe('findIncident', () => {
  test.each([
    ['the experiment’s fault and its end', [faultStart(1000), faultEnd(3000)], 1000, 3000],
    ['another experiment’s fault does not count', [faultStart(1000, 'other')], 500, undefined],
    ['no fault: t0 is the fallback', [], 500, undefined],
  ])('%s', (_case, records, t0, endT) => {
    const incident = findIncident(records, 'api-errors', 500);
    expect(incident.t0).toBe(t0);
    expect(incident.faultEnd?.t).toBe(endT);
  });
});

describe('findAlertPoints', () => {
  test('from the pushed transitions (embedded alarms)', () => {
    const points = findAlertPoints(
      [
        alarmState(500, 'ALARM'),
        faultStart(1000),
        alarmState(1800, 'ALARM'),
        faultEnd(3000),
        alarmState(3600, 'OK'),
      ],
      {
        experiment: 'api-errors',
        alarm: 'Errors',
        fired: expectation('alarm-fires', 800),
        recovered: expectation('alarm-recovers', 600),
      },
    );
    // The ALARM before the fault is not the fault's.
    expect(points.alarmPoint).toMatchObject({ t: 1800 });
    expect(points.okPoint).toMatchObject({ t: 3600, at: '2026-01-01T00:00:03.600Z' });
    expect(points).toMatchObject({ timeToAlarmMs: 800, recoverAfterFaultEndMs: 600, timeToRecoverMs: 2600 });
  });

  test('from the measured times when no transition was pushed (aws, polled state)', () => {
    const points = findAlertPoints([faultStart(1000), faultEnd(3000)], {
      experiment: 'api-errors',
      alarm: 'Errors',
      fired: expectation('alarm-fires', 2000),
      recovered: expectation('alarm-recovers', 1500),
    });
    expect(points.alarmRecord).toBeUndefined();
    expect(points.alarmPoint).toEqual({ t: 3000, at: '2026-01-01T00:00:03.000Z' });
    expect(points.okPoint).toEqual({ t: 4500, at: '2026-01-01T00:00:04.500Z' });
    expect(points.timeToRecoverMs).toBe(3500);
  });

  test('no fault, no alarm: nothing measured', () => {
    const points = findAlertPoints([], { experiment: 'api-errors', alarm: 'Errors' });
    expect(points).toMatchObject({
      alarmPoint: undefined,
      okPoint: undefined,
      timeToAlarmMs: null,
      timeToRecoverMs: null,
    });
  });
});

test.each([
  [
    'passes, healthy and the detector passing after the last failure',
    [probe(900, 1000, true), probe(1100, 1300, false), probe(1400, 1600, false), probe(1700, 1900, true)],
    [probe(1500, 1550, false), probe(1600, 1650, true)],
    1000,
    1200,
    1900,
  ],
  [
    'the detector never failed: recovery after the fault’s end',
    [probe(1300, 1400, true)],
    [probe(1250, 1300, true)],
    1000,
    1200,
    1400,
  ],
  ['the detector still fails', [probe(1100, 1300, false)], [probe(1400, 1450, true)], 1000, 1200, undefined],
  [
    'healthy only before the fault ended',
    [probe(1400, 1500, true)],
    [probe(1100, 1150, true)],
    1000,
    1200,
    undefined,
  ],
])('findRecovery: %s', (_case, detector, health, t0, faultEndT, expected) => {
  expect(findRecovery(detector, health, t0, faultEndT)?.t).toBe(expected);
});

test.each([
  [1200, 3000, undefined, 'passed', 'Errors entered ALARM after 1.2s'],
  [4000, 3000, undefined, 'failed', 'Errors entered ALARM after 4s, later than 3s'],
  [null, 3000, undefined, 'failed', 'Errors entered ALARM did not happen within 3s'],
  [
    null,
    3000,
    expectation('alarm-fires', null, 'no datapoint reached the threshold'),
    'failed',
    'no datapoint reached the threshold',
  ],
])('buildDeadlineCheck(%j within %j)', (measured, limitMs, timedBy, status, message) => {
  const check = buildDeadlineCheck({
    id: 'd',
    name: 'n',
    measured,
    limitMs,
    what: 'Errors entered ALARM',
    timedBy,
  });
  expect(check).toMatchObject({ status, message, threshold: `<=${limitMs}ms`, stage: 'drill' });
});

const journal: ExperimentJournal = {
  experiment: 'api-errors',
  engine: 'local',
  status: 'completed',
  deviated: false,
  startedAt: '2026-01-01T00:00:01.000Z',
  endedAt: '2026-01-01T00:00:03.000Z',
  durationMs: 2000,
  dryRun: false,
  activities: [],
};

test('buildAlertDrillReport: checks in order, times from the fault, impact from the ticks', () => {
  const drill = drillSchema.parse({
    kind: 'alert',
    experiment: 'api-errors',
    alarm: 'Errors',
    alarmWithin: '3s',
    recoverWithin: '5s',
  });
  if (drill.kind !== 'alert') throw new Error('alert drill expected');
  const records = [
    tick(1000, 20, 0),
    faultStart(1000),
    tick(2000, 20, 15),
    alarmState(2200, 'ALARM'),
    tick(3000, 20, 20),
    faultEnd(3000),
    tick(4000, 20, 0),
    alarmState(4100, 'OK'),
    tick(5000, 20, 0),
    tick(6000, 20, 0),
  ];
  const fired = expectation('alarm-fires', 1200);
  const recovered = expectation('alarm-recovers', 1100);
  const notificationCheck: Check = {
    id: 'drill:x:notification',
    kind: 'drill',
    name: 'Errors notification reaches the critical route',
    status: 'passed',
    measured: 1300,
    threshold: 'delivered to critical',
    message: 'delivered',
  };
  const { report, checks } = buildAlertDrillReport({
    drillName: 'x',
    drill,
    journal,
    experiment: { description: 'the API fails' },
    points: findAlertPoints(records, { experiment: 'api-errors', alarm: 'Errors', fired, recovered }),
    notified: {
      checks: [notificationCheck],
      notifications: [],
      timeToNotifyMs: 1300,
      response: { name: 'response', atMs: 1300, source: 'critical notification delivered (on-call paged)' },
    },
    fired,
    recovered,
    runbook: 'runbooks/errors.md',
    records,
    endT: 4100,
  });
  expect(checks.map((c) => [c.id, c.status])).toEqual([
    ['drill:x:experiment', 'passed'],
    ['drill:x:alarm', 'passed'],
    ['drill:x:notification', 'passed'],
    ['drill:x:recover', 'passed'],
  ]);
  expect(report).toMatchObject({
    kind: 'alert',
    rootCause: 'injected by drill x: api-errors (the API fails)',
    incidentStartedAt: '2026-01-01T00:00:01.000Z',
    timeToDetectMs: 1200,
    timeToAlarmMs: 1200,
    timeToNotifyMs: 1300,
    timeToMitigateMs: 2000,
    timeToRecoverMs: 3100,
    objectiveMs: 5000,
    // The ticks at 2 s, 3 s, 4 s and 5 s close seconds that overlap 1 s .. 4.1 s.
    impact: { requests: 80, failedRequests: 35, durationMs: 3100 },
    runbooks: [{ alarm: 'Errors', runbook: 'runbooks/errors.md' }],
  });
  expect(report.milestones?.map((m) => [m.name, m.atMs])).toEqual([
    ['detection', 1200],
    ['response', 1300],
    ['mitigation', 2000],
    ['resolution', 3100],
  ]);
});

describe('buildDrDrillReport', () => {
  const drill = drillSchema.parse({
    kind: 'dr',
    experiment: 'kill',
    rto: '5s',
    detectWithin: '1s',
    detectBy: { canary: 'api' },
  });
  if (drill.kind !== 'dr') throw new Error('dr drill expected');
  const records = [
    faultStart(1000, 'kill'),
    faultEnd(1000),
    rec(1010, { type: 'target.exit', name: 'demo', code: null, signal: 'SIGKILL' }),
    tick(2000, 20, 10),
    rec(2200, { type: 'target.start', name: 'demo', url: 'http://x' }),
    tick(3000, 20, 0),
  ];
  const base = {
    drillName: 'dr',
    drill,
    journal,
    experiment: { description: '' },
    incident: findIncident(records, 'kill', 0),
    healthUrl: 'http://x/health/ready',
    readyPath: '/health/ready',
    provider: 'embedded' as const,
    records,
  };

  test('a canary detector: detection at its first failure, recovery against the RTO', () => {
    const { report, checks } = buildDrDrillReport({
      ...base,
      detector: [probe(800, 900, true), probe(1100, 1400, false, 'ECONNREFUSED'), probe(2300, 2500, true)],
      canaryName: 'api',
      recovered: { t: 2500 },
      endT: 2500,
    });
    expect(checks.map((c) => [c.id, c.status, c.measured])).toEqual([
      ['drill:dr:experiment', 'passed', 'completed'],
      ['drill:dr:detect', 'passed', 400],
      ['drill:dr:rto', 'passed', 1500],
    ]);
    expect(report).toMatchObject({
      timeToDetectMs: 400,
      timeToAlarmMs: null,
      timeToRecoverMs: 1500,
      timeToMitigateMs: 0,
    });
    expect(report.milestones).toEqual([
      {
        name: 'detection',
        atMs: 400,
        at: '2026-01-01T00:00:01.400Z',
        source: 'canary api failed: ECONNREFUSED',
      },
      {
        name: 'response',
        atMs: 10,
        at: '2026-01-01T00:00:01.010Z',
        source: 'process supervisor saw the exit and started a new process',
      },
      {
        name: 'mitigation',
        atMs: 1200,
        at: '2026-01-01T00:00:02.200Z',
        source: 'target process ready again (/health/ready answered)',
      },
      {
        name: 'resolution',
        atMs: 1500,
        at: '2026-01-01T00:00:02.500Z',
        source: 'target healthy and canary api passing',
      },
    ]);
    expect(report.impact).toEqual({ requests: 40, failedRequests: 10, durationMs: 1500 });
  });

  test('an alarm detector that never fired, and no recovery: both deadlines fail with what was seen', () => {
    const { report, checks } = buildDrDrillReport({
      ...base,
      drill: { ...drill, detectBy: { alarm: 'Down' } },
      detector: [probe(1100, 1200, false)],
      alarmName: 'Down',
      alarmResult: expectation('alarm-fires', null, 'Down stayed OK: no datapoint breached'),
      runbook: 'runbooks/down.md',
      recovered: undefined,
      endT: 3000,
    });
    expect(checks.slice(1).map((c) => [c.id, c.status, c.message])).toEqual([
      ['drill:dr:detect', 'failed', 'Down stayed OK: no datapoint breached'],
      ['drill:dr:rto', 'failed', 'target healthy and health probe passing again did not happen within 5s'],
    ]);
    expect(report).toMatchObject({ alarm: 'Down', timeToDetectMs: null, timeToAlarmMs: null, runbooks: [] });
    expect(report.milestones?.[3]).toEqual({
      name: 'resolution',
      atMs: null,
      source: 'target healthy and health probe passing',
    });
  });
});

test('a dry run measures nothing and fails nothing: the deadline checks are skipped', () => {
  expect(
    buildDeadlineCheck({
      id: 'd',
      name: 'n',
      measured: null,
      limitMs: 3000,
      what: 'Errors entered ALARM',
      dryRun: true,
    }),
  ).toMatchObject({
    status: 'skipped',
    measured: null,
    message: 'dry run: no fault injected, nothing measured',
  });
});
