import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { buildSecretForms, createRedactor, REDACTED } from './redact.ts';

const SECRET = 's3cr3t-Value/with+chars=';
const redactor = createRedactor({
  secrets: [SECRET, 'p@ss wörd ✓', 'abc', 'hunter2hunter2', 'a<b>"c\'&d'],
});

describe('text', () => {
  test.each([
    ['plain secret', `token is ${SECRET} here`, `token is ${REDACTED} here`],
    ['secret twice', `${SECRET}${SECRET}`, `${REDACTED}${REDACTED}`],
    ['secret inside a JSON string', JSON.stringify({ body: `x${SECRET}y` }), `{"body":"x${REDACTED}y"}`],
    ['URL-encoded secret', `q=${encodeURIComponent(SECRET)}`, `q=${REDACTED}`],
    [
      'URL-encoded, lower-case hex',
      `q=${encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
      `q=${REDACTED}`,
    ],
    ['base64 secret', `blob ${Buffer.from(SECRET).toString('base64')}`, `blob ${REDACTED}`],
    ['base64url secret', `blob ${Buffer.from(SECRET).toString('base64url')}`, `blob ${REDACTED}`],
    ['unicode secret', 'pw=p@ss wörd ✓;', `pw=${REDACTED};`],
    ['unicode secret URL-encoded', `pw=${encodeURIComponent('p@ss wörd ✓')}`, `pw=${REDACTED}`],
    [
      'unicode secret form-encoded',
      `pw=${encodeURIComponent('p@ss wörd ✓').replace(/%20/g, '+')}`,
      `pw=${REDACTED}`,
    ],
    ['unicode secret in JSON', JSON.stringify('p@ss wörd ✓'), `"${REDACTED}"`],
    ['secret HTML-escaped', '<td>a&lt;b&gt;&quot;c&#39;&amp;d</td>', `<td>${REDACTED}</td>`],
    ['secret JSON-escaped', JSON.stringify({ v: 'a<b>"c\'&d' }), `{"v":"${REDACTED}"}`],
    ['short secret is never redacted', 'abc abc', 'abc abc'],
    ['split secret is not found (whole values only)', 'hunter2 hunter2', 'hunter2 hunter2'],
    [
      'bearer token',
      'Authorization failed for Bearer eyJhbGciOi.JIUzI1.NiJ9',
      `Authorization failed for Bearer ${REDACTED}`,
    ],
    ['basic token', 'sent Basic dXNlcjpwYXNzd29yZA==', `sent Basic ${REDACTED}`],
    ['header line', 'Authorization: Digest abc123', `Authorization: ${REDACTED}`],
    ['cookie header line', 'cookie: sid=1234; theme=dark', `cookie: ${REDACTED}`],
    ['set-cookie header line', 'Set-Cookie: sid=1234; Path=/', `Set-Cookie: ${REDACTED}`],
    ['x-api-key header line', 'X-Api-Key: k-123456', `X-Api-Key: ${REDACTED}`],
    [
      'header in JSON keeps JSON valid',
      '{"Authorization":"Digest \\"q\\" x","a":1}',
      `{"Authorization":"${REDACTED}","a":1}`,
    ],
    ['header line in a JSON string', '{"m":"Cookie: a=b","n":2}', `{"m":"Cookie: ${REDACTED}","n":2}`],
    ['token query param', 'GET http://h/p?token=abc123&x=1', `GET http://h/p?token=${REDACTED}&x=1`],
    ['access_token param', '/cb?a=1&access_token=zz', `/cb?a=1&access_token=${REDACTED}`],
    ['api_key case-insensitive', 'https://h/?API_KEY=zz', `https://h/?API_KEY=${REDACTED}`],
    [
      'X-Amz-Signature',
      '?X-Amz-Signature=abcdef&X-Amz-Credential=AK%2F2020',
      `?X-Amz-Signature=${REDACTED}&X-Amz-Credential=${REDACTED}`,
    ],
    ['param in HTML', 'href="/p?a=1&amp;sig=zzz"', `href="/p?a=1&amp;sig=${REDACTED}"`],
    ['similar param names kept', '/p?monkey=1&tokens=2', '/p?monkey=1&tokens=2'],
    [
      'userinfo',
      'fetch https://admin:pa55w0rd@example.com/x',
      `fetch https://admin:${REDACTED}@example.com/x`,
    ],
    ['host:port is not userinfo', 'http://127.0.0.1:8080/a?b=c@d', 'http://127.0.0.1:8080/a?b=c@d'],
    ['AWS access key id', 'key AKIAIOSFODNN7EXAMPLE used', `key ${REDACTED} used`],
    ['AWS temporary key id', 'ASIAIOSFODNN7EXAMPLE', REDACTED],
    [
      'aws_secret_access_key',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `aws_secret_access_key = ${REDACTED}`,
    ],
    ['nothing secret', 'GET /health/ready 200 in 3 ms', 'GET /health/ready 200 in 3 ms'],
    ['empty', '', ''],
  ])('%s', (_name, input, expected) => {
    expect(redactor.text(input)).toBe(expected);
  });

  test('extra patterns', () => {
    const r = createRedactor({ extraPatterns: [/acct-\d+/] });
    expect(r.text('acct-1 and acct-22')).toBe(`${REDACTED} and ${REDACTED}`);
  });

  test('a redactor without secrets still applies the fixed rules', () => {
    expect(createRedactor().text('Bearer abcdefgh')).toBe(`Bearer ${REDACTED}`);
  });

  test('is idempotent and never leaks a planted secret (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 20 }),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        (secret, before, after) => {
          fc.pre(!REDACTED.includes(secret));
          const r = createRedactor({ secrets: [secret] });
          const once = r.text(`${before}${secret}${after}`);
          expect(r.text(once)).toBe(once);
          // The planted occurrence is gone (the surrounding text may still form the secret anew only
          // if it contained it already).
          if (!before.includes(secret) && !after.includes(secret) && !`${before}${after}`.includes(secret)) {
            expect(once.includes(`${before}${secret}${after}`)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('buildSecretForms', () => {
  test('drops forms shorter than four characters and keeps each form once', () => {
    const forms = buildSecretForms('abcd');
    expect(forms).toContain('abcd');
    expect(forms).toContain(Buffer.from('abcd').toString('base64'));
    expect(new Set(forms).size).toBe(forms.length);
    expect(forms.every((f) => f.length >= 4)).toBe(true);
  });
});

describe('url', () => {
  test.each([
    ['http://u:p4ss@h/x?token=t0k&y=2', `http://u:${REDACTED}@h/x?token=${REDACTED}&y=2`],
    [`http://h/x?q=${SECRET}`, `http://h/x?q=${REDACTED}`],
    ['http://h/x?page=2', 'http://h/x?page=2'],
    ['not a url at all', 'not a url at all'],
  ])('%s', (input, expected) => {
    expect(redactor.url(input)).toBe(expected);
  });
});

describe('headers', () => {
  test('blanks credential headers in any case and redacts secrets in the others', () => {
    expect(
      redactor.headers({
        AUTHORIZATION: 'Bearer x',
        'proxy-authorization': 'Basic y',
        Cookie: 'a=b',
        'set-cookie': 'c=d',
        'x-api-key': 'k',
        'X-Amz-Security-Token': 't',
        'X-Auth-Token': 'zzz',
        'X-Custom': `v-${SECRET}`,
        Accept: 'application/json',
      }),
    ).toEqual({
      AUTHORIZATION: REDACTED,
      'proxy-authorization': REDACTED,
      Cookie: REDACTED,
      'set-cookie': REDACTED,
      'x-api-key': REDACTED,
      'X-Amz-Security-Token': REDACTED,
      'X-Auth-Token': REDACTED,
      'X-Custom': `v-${REDACTED}`,
      Accept: 'application/json',
    });
  });
});

describe('value', () => {
  test('redacts deeply without touching the input', () => {
    const input = {
      status: 'failed',
      count: 3,
      nested: [{ message: `got ${SECRET}`, ok: true }, null],
      headers: { authorization: 'Digest whatever', accept: '*/*' },
      password: 'short',
      when: new Date(0),
    };
    const copy = structuredClone(input);
    const out = redactor.value(input);
    expect(out).toEqual({
      status: 'failed',
      count: 3,
      nested: [{ message: `got ${REDACTED}`, ok: true }, null],
      headers: { authorization: REDACTED, accept: '*/*' },
      password: REDACTED,
      when: new Date(0),
    });
    expect(input).toEqual(copy);
  });

  test('keeps a __proto__ key an own key and survives cycles', () => {
    const input = JSON.parse('{"__proto__": {"x": "hunter2hunter2"}}') as Record<string, unknown>;
    input.self = input;
    const out = redactor.value(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ x: REDACTED });
    expect(out.self).toBe(out);
  });

  test('redacted JSON text still parses', () => {
    const result = { checks: [{ message: `Authorization: Bearer ${SECRET}`, url: `/a?token=${SECRET}` }] };
    const text = redactor.text(JSON.stringify(result, null, 2));
    expect(text).not.toContain(SECRET);
    expect(() => JSON.parse(text)).not.toThrow();
  });
});
