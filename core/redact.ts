/**
 * Secret redaction for everything opsproof writes: reports, artifacts, captured logs, terminal
 * output. Built once per run from the resolved secret values and the suite's `redact` literals;
 * every method is pure and idempotent (`text(text(s)) === text(s)`).
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Values shorter than this are never redacted as literals: `"abc"` would erase half a report. */
const MIN_SECRET_LENGTH = 4;

/** Headers whose values are always credentials (lower case). */
export const SENSITIVE_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-amz-security-token',
];

/** Query parameters whose values are always credentials (compared case-insensitively). */
const SENSITIVE_QUERY_PARAMS: readonly string[] = [
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'secret',
  'client_secret',
  'password',
  'passwd',
  'sig',
  'signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
];

/** Header names that look like they carry a credential even though they are not in the fixed list. */
export const CREDENTIAL_HEADER_NAME = /(token|secret|password|passwd|api[-_]?key|credential|session|auth)/i;

/** Object keys (in JSON values) whose string values are credentials. */
const CREDENTIAL_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-amz-security-token|password|passwd|secret|client_secret|clientsecret|token|access_token|accesstoken|id_token|idtoken|refresh_token|refreshtoken|session_token|sessiontoken|aws_session_token|api_key|apikey|aws_secret_access_key|secretaccesskey|secret_access_key)$/i;

export interface RedactorOptions {
  /** Literal values to remove wherever they appear (resolved secrets + `suite.redact`). */
  secrets?: readonly string[];
  /** More patterns; every match is replaced by {@link REDACTED}. */
  extraPatterns?: readonly RegExp[];
}

export interface Redactor {
  /** Free text (log lines, report files, error messages). */
  text(s: string): string;
  /** A deep copy of a JSON-like value with every string redacted and credential-named keys blanked. */
  value<T>(v: T): T;
  /** A URL with its userinfo password and credential query parameters redacted. */
  url(u: string): string;
  /** A copy of a header map with credential headers blanked and the other values redacted. */
  headers(h: Readonly<Record<string, string>>): Record<string, string>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * The forms a secret takes on its way into an artifact: as typed, URL-encoded (both hex cases, and
 * `+` for spaces), base64 / base64url, JSON-string escaped and HTML escaped. Whole values only: a
 * secret split across two strings, or base64 of a longer string that contains it, is not found.
 */
export function buildSecretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const encoded = encodeURIComponent(secret);
  forms.add(encoded);
  forms.add(encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  forms.add(encoded.replace(/%20/g, '+'));
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  forms.add(base64);
  forms.add(base64.replace(/=+$/, ''));
  forms.add(Buffer.from(secret, 'utf8').toString('base64url'));
  forms.add(JSON.stringify(secret).slice(1, -1));
  forms.add(escapeHtml(secret));
  forms.add(JSON.stringify(escapeHtml(secret)).slice(1, -1));
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

const HEADER_ALTERNATION = SENSITIVE_HEADERS.map(escapeRegExp).join('|');
const PARAM_ALTERNATION = SENSITIVE_QUERY_PARAMS.map(escapeRegExp).join('|');

/** Pattern → replacement, applied in order after the literal secrets. */
const RULES: readonly [RegExp, string | ((...groups: string[]) => string)][] = [
  // "authorization": "…" (JSON, JS objects, YAML-ish), keeping the quotes so JSON stays valid.
  [
    new RegExp(
      `(["'])(${HEADER_ALTERNATION})\\1(\\s*[:=]\\s*)(["'])(?:\\\\.|(?!\\4)[^\\\\\\r\\n])*\\4`,
      'gi',
    ),
    (_m, q1, name, sep, q2) => `${q1}${name}${q1}${sep}${q2}${REDACTED}${q2}`,
  ],
  // Authorization: … (an HTTP header line); stops at a quote, backslash or tag so JSON and HTML stay intact.
  [
    new RegExp(`\\b(${HEADER_ALTERNATION})(\\s*:[ \\t]*)(?![ \\t]*["'\\[])[^\\r\\n"'\\\\<]+`, 'gi'),
    (_m, name, sep) => `${name}${sep}${REDACTED}`,
  ],
  // Bearer / Basic tokens in free text.
  [/\b(Bearer)(\s+)[A-Za-z0-9\-._~+/]{6,}=*/g, (_m, scheme, space) => `${scheme}${space}${REDACTED}`],
  [/\b(Basic)(\s+)[A-Za-z0-9+/]{8,}=*/g, (_m, scheme, space) => `${scheme}${space}${REDACTED}`],
  // URL userinfo: scheme://user:pass@host → scheme://user:[REDACTED]@host.
  [
    /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"'<>]*):([^\s/?#@"'<>]+)@/gi,
    (_m, scheme, user) => `${scheme}${user}:${REDACTED}@`,
  ],
  // Credential query parameters, in full URLs, relative ones and HTML (`&amp;token=`).
  [
    new RegExp(`([?&;](?:${PARAM_ALTERNATION})=)[^&\\s"'<>#\\\\]*`, 'gi'),
    (_m, prefix) => `${prefix}${REDACTED}`,
  ],
  // AWS access key ids.
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED],
  // Secret keys and session tokens after their well-known names.
  [
    /\b(aws_secret_access_key|secret_access_key|secretAccessKey|aws_session_token|sessionToken)(["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,}/gi,
    (_m, name, sep) => `${name}${sep}${REDACTED}`,
  ],
];

/**
 * A redactor for one run. Secrets shorter than {@link MIN_SECRET_LENGTH} are ignored (the schema
 * already requires 4 characters for `redact`).
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const forms = new Set<string>();
  for (const secret of options.secrets ?? []) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of buildSecretForms(secret)) forms.add(form);
  }
  // Longest first, so a secret containing another is replaced whole.
  const literals =
    forms.size === 0
      ? undefined
      : new RegExp(
          [...forms]
            .sort((a, b) => b.length - a.length)
            .map(escapeRegExp)
            .join('|'),
          'g',
        );
  const extra = (options.extraPatterns ?? []).map(
    (p) => new RegExp(p.source, p.flags.includes('g') ? p.flags : `${p.flags}g`),
  );

  const text = (s: string): string => {
    if (typeof s !== 'string' || s.length === 0) return s;
    let out = literals ? s.replace(literals, REDACTED) : s;
    for (const [pattern, replacement] of RULES) {
      out =
        typeof replacement === 'string'
          ? out.replace(pattern, replacement)
          : out.replace(pattern, replacement as (...args: string[]) => string);
    }
    for (const pattern of extra) out = out.replace(pattern, REDACTED);
    return out;
  };

  const value = <T>(v: T): T => redactValue(v, text, new WeakMap()) as T;

  const headers = (h: Readonly<Record<string, string>>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, v] of Object.entries(h)) {
      const lower = name.toLowerCase();
      out[name] =
        SENSITIVE_HEADERS.includes(lower) || CREDENTIAL_HEADER_NAME.test(lower) ? REDACTED : text(v);
    }
    return out;
  };

  return { text, value, url: text, headers };
}

function redactValue(v: unknown, text: (s: string) => string, seen: WeakMap<object, unknown>): unknown {
  if (typeof v === 'string') return text(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return seen.get(v);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const item of v) out.push(redactValue(item, text, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return v; // Dates, Buffers, class instances: kept.
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  for (const [key, item] of Object.entries(v)) {
    const safeKey = text(key);
    const redacted =
      typeof item === 'string' && CREDENTIAL_KEY.test(key) && item.length > 0
        ? REDACTED
        : redactValue(item, text, seen);
    // defineProperty: a `__proto__` key stays an own key instead of replacing the prototype.
    Object.defineProperty(out, safeKey, {
      value: redacted,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
