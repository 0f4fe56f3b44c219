import { expect, test } from 'vitest';
import { validateSuite } from '../core/validate-suite.ts';
import { validateTrafficDuringFaults } from './validate-traffic-during-faults.ts';

const fn = { resourceType: 'aws:lambda:function', selectionMode: 'ALL' };
const errors = {
  targets: { fns: fn },
  actions: {
    fail: {
      actionId: 'aws:lambda:invocation-error',
      parameters: { duration: 'PT5S', invocationPercentage: '50', preventExecution: 'true' },
      targets: { Functions: 'fns' },
    },
  },
};
const kill = {
  targets: { tasks: { resourceType: 'aws:ecs:task', selectionMode: 'ALL' } },
  actions: { stop: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'tasks' } } },
};

const { suite, diagnostics } = validateSuite({
  service: 'svc',
  environments: { local: { target: 'http://127.0.0.1:1' } },
  load: { profiles: { background: { rate: 5, duration: '1m' } } },
  alarms: [
    {
      AlarmName: 'Errors',
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'svc' }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
    },
  ],
  experiments: {
    bare: errors,
    loaded: { ...errors, load: 'background' },
    kill,
  },
  drills: {
    quiet: { kind: 'alert', experiment: 'bare', alarm: 'Errors' },
    busy: { kind: 'alert', experiment: 'bare', alarm: 'Errors', load: 'background' },
    viaExperiment: { kind: 'alert', experiment: 'loaded', alarm: 'Errors' },
    outage: { kind: 'dr', rto: '1m', experiment: 'bare' },
  },
});

const message = (by: string) =>
  `${by} sends no load, and action fail (aws:lambda:invocation-error) is a fault of the local gateway, which only opsproof's own requests pass: it would match no request and fail the experiment; name a load profile to run during it`;

test.each([
  {
    what: 'a gateway fault with no load, injected by the run',
    experiments: ['bare'],
    expected: [{ path: 'experiments.bare.load', severity: 'error', message: message('experiment bare') }],
  },
  { what: 'the experiment names its load', experiments: ['loaded'], expected: [] },
  { what: 'process faults need no traffic', experiments: ['kill'], expected: [] },
  {
    what: 'chaos run --gateway-control: the user sends the traffic',
    experiments: ['bare'],
    gatewayControl: true,
    expected: [],
  },
  { what: 'an experiment the run does not inject', experiments: ['loaded', 'kill'], expected: [] },
  {
    what: 'an alert drill with neither its own load nor its experiment’s',
    drills: ['quiet'],
    expected: [
      {
        path: 'drills.quiet.load',
        severity: 'error',
        message: message('alert drill quiet (experiment bare)'),
      },
    ],
  },
  { what: 'an alert drill with its own load', drills: ['busy'], expected: [] },
  { what: 'an alert drill whose experiment names a load', drills: ['viaExperiment'], expected: [] },
  { what: 'a DR drill probes its target meanwhile', drills: ['outage'], expected: [] },
  // Names from the command line or a broken reference: never Object.prototype's members.
  {
    what: 'names that are no experiment or drill',
    experiments: ['toString'],
    drills: ['constructor'],
    expected: [],
  },
])('$what', ({ experiments = [], drills = [], gatewayControl = false, expected }) => {
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(validateTrafficDuringFaults(suite!, { experiments, drills }, gatewayControl)).toEqual(expected);
});
