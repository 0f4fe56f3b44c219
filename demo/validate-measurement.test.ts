import { expect, test } from 'vitest';
import { parseListQuery, validateMeasurementInput } from './validate-measurement.ts';

const valid = { sensor: 'greenhouse-1', value: 21.5, unit: 'celsius' };

test.each([
  ['minimal body', valid, valid],
  ['negative zero-ish value', { ...valid, value: -0.001 }, { ...valid, value: -0.001 }],
  ['64-character sensor', { ...valid, sensor: 'x'.repeat(64) }, { ...valid, sensor: 'x'.repeat(64) }],
  [
    'recordedAt normalised to UTC',
    { ...valid, recordedAt: '2024-01-15T12:30:45+02:00' },
    { ...valid, recordedAt: '2024-01-15T10:30:45.000Z' },
  ],
])('accepts %s', (_name, body, expected) => {
  expect(validateMeasurementInput(body)).toEqual({ ok: true, value: expected });
});

test.each([
  ['a JSON array', [valid], ['']],
  ['null', null, ['']],
  ['a string', 'hello', ['']],
  ['an empty object', {}, ['sensor', 'value', 'unit']],
  ['a blank sensor', { ...valid, sensor: '   ' }, ['sensor']],
  ['an empty sensor', { ...valid, sensor: '' }, ['sensor']],
  ['a 65-character sensor', { ...valid, sensor: 'x'.repeat(65) }, ['sensor']],
  ['a numeric sensor', { ...valid, sensor: 7 }, ['sensor']],
  ['a string value', { ...valid, value: '21.5' }, ['value']],
  ['a null value', { ...valid, value: null }, ['value']],
  ['an unknown unit', { ...valid, unit: 'kelvin' }, ['unit']],
  ['a unit in capitals', { ...valid, unit: 'CELSIUS' }, ['unit']],
  ['a date without time', { ...valid, recordedAt: '2024-01-15' }, ['recordedAt']],
  ['a date without zone', { ...valid, recordedAt: '2024-01-15T10:30:45' }, ['recordedAt']],
  ['an impossible date', { ...valid, recordedAt: '2024-13-45T10:30:45Z' }, ['recordedAt']],
  ['a numeric date', { ...valid, recordedAt: 1705314645000 }, ['recordedAt']],
  ['an unknown field', { ...valid, colour: 'red' }, ['colour']],
  [
    'everything wrong at once',
    { sensor: '', value: 'x', unit: 'k', extra: 1 },
    ['sensor', 'value', 'unit', 'extra'],
  ],
])('rejects %s, naming every bad field', (_name, body, fields) => {
  const result = validateMeasurementInput(body);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.details.map((problem) => problem.field)).toEqual(fields);
  for (const problem of result.details) expect(problem.message).not.toBe('');
});

test.each([
  ['', { limit: 20 }],
  ['limit=1', { limit: 1 }],
  ['limit=100', { limit: 100 }],
  ['sensor=a&limit=5', { sensor: 'a', limit: 5 }],
])('list query "%s" parses', (query, expected) => {
  expect(parseListQuery(new URLSearchParams(query))).toEqual({ ok: true, value: expected });
});

test.each([
  ['limit=0', ['limit']],
  ['limit=101', ['limit']],
  ['limit=2.5', ['limit']],
  ['limit=-1', ['limit']],
  ['limit=ten', ['limit']],
  ['sensor=', ['sensor']],
  [`sensor=${'x'.repeat(65)}&limit=0`, ['sensor', 'limit']],
])('list query "%s" is rejected', (query, fields) => {
  const result = parseListQuery(new URLSearchParams(query));
  expect(result.ok ? [] : result.details.map((problem) => problem.field)).toEqual(fields);
});
