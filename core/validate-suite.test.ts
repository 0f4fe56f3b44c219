import { describe, expect, test } from 'vitest';
import { validateSuite } from './validate-suite.ts';

const minimal = { service: 'demo', environments: { local: { target: 'http://127.0.0.1:8080' } } };

describe('validateSuite', () => {
  test('a minimal suite is valid and gets the documented defaults', () => {
    const { suite, diagnostics } = validateSuite(minimal);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(suite?.kpis).toEqual({ availability: 99.9, p99: 1000, errorRate: 0.01 });
    expect(suite?.environments.local).toMatchObject({ provider: 'embedded', production: false });
  });

  test('reports every problem at once, each with its path', () => {
    const { suite, diagnostics } = validateSuite({
      service: 'demo',
      environments: {
        local: { target: 'http://127.0.0.1:8080', production: 'yes' },
        staging: { target: 'https://staging.example.com', provider: 'gcp', kpis: { p99: -5 } },
      },
    });
    expect(suite).toBeUndefined();
    const byPath = Object.fromEntries(diagnostics.map((d) => [d.path, d.message]));
    expect(byPath).toMatchObject({
      'environments.local.production': 'expected boolean, got "yes"',
      'environments.staging.provider': 'expected one of "embedded", "aws", got "gcp"',
      'environments.staging.kpis.p99': 'expected a positive number, got -5',
    });
    expect(diagnostics).toHaveLength(3);
  });

  test.each([
    [{ ...minimal, load: { default: 'nope', profiles: {} } }, 'load.default', 'unknown load profile "nope"'],
    [
      { ...minimal, expectations: [{ kind: 'alarm-fires', alarm: 'Ghost', within: '1m' }] },
      'expectations[0].alarm',
      'unknown alarm "Ghost"',
    ],
    [
      { ...minimal, drills: { dr: { kind: 'dr', rto: '5m', experiment: 'kill' } } },
      'drills.dr.experiment',
      'unknown experiment "kill"',
    ],
    [
      { ...minimal, load: { profiles: { smoke: { model: 'open' } } } },
      'load.profiles.smoke.rate',
      'needs a rate',
    ],
    [
      { ...minimal, environments: { prod: { target: 'https://x.example', provider: 'aws' } } },
      'environments.prod.region',
      'required',
    ],
    [{ ...minimal, unknownKey: 1 }, '(root)', 'unknown key "unknownKey"'],
    [{ ...minimal, kpis: { thresholds: ['p95<3'] } }, 'kpis.thresholds[0]', 'k6-style threshold'],
    [
      {
        ...minimal,
        environments: {
          local: {
            target: 'http://127.0.0.1:8080',
            watch: { alerts: [{ url: 'https://events.pagerduty.com/v2/enqueue', format: 'pagerduty' }] },
          },
        },
      },
      'environments.local.watch.alerts[0].routingKey',
      'a pagerduty receiver needs its routingKey',
    ],
  ])('reference and shape errors (%#)', (input, path, message) => {
    const { diagnostics } = validateSuite(input);
    expect(diagnostics).toContainEqual(
      expect.objectContaining({ path, severity: 'error', message: expect.stringContaining(message) }),
    );
  });
});
