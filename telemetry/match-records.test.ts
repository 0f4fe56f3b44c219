import { describe, expect, test } from 'vitest';
import { attributeMatches, logRecordMatches } from './match-records.ts';
import { parseLogLine } from './parse-log-line.ts';

describe('attributeMatches', () => {
  test.each([
    ['same string', 'abc', 'abc', true],
    ['int64 sent as a string', '42', 42, true],
    ['boolean as text', 'true', true, true],
    ['other value', 'abd', 'abc', false],
    ['missing', undefined, 'abc', false],
    ['null', null, 0, false],
  ])('%s', (_, actual, expected, matches) => {
    expect(attributeMatches(actual, expected)).toBe(matches);
  });
});

describe('logRecordMatches: the one rule both providers apply to a log query', () => {
  const record = parseLogLine(
    '{"msg":"order failed","status":503,"http":{"route":"/orders"},"a.b":"flat"}',
    'target',
    Date.parse('2026-12-06T10:00:00Z'),
  );
  test.each([
    ['no field, no text', {}, true],
    ['a top-level field', { fields: { status: 503 } }, true],
    ['a dotted path into nested JSON', { fields: { 'http.route': '/orders' } }, true],
    ['a top-level key that contains a dot', { fields: { 'a.b': 'flat' } }, true],
    ['every field must match', { fields: { status: 503, 'http.route': '/users' } }, false],
    ['a field the line lacks', { fields: { user: 'x' } }, false],
    ['text the raw line contains', { contains: 'order failed' }, true],
    ['text it does not contain', { contains: 'timeout' }, false],
    ['fields and text together', { fields: { status: '503' }, contains: 'failed' }, true],
  ])('%s', (_, query, matches) => {
    expect(logRecordMatches(record, query)).toBe(matches);
  });

  test('a line that is not JSON matches only by text', () => {
    const raw = parseLogLine('plain status=503', 'target', 0);
    expect(logRecordMatches(raw, { contains: 'status=503' })).toBe(true);
    expect(logRecordMatches(raw, { fields: { status: 503 } })).toBe(false);
  });
});
