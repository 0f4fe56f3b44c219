import JSZip from 'jszip';
import { CREDENTIAL_HEADER_NAME, REDACTED, SENSITIVE_HEADERS } from '../core/redact.ts';

/** Entries of a Playwright trace that are JSON lines: actions, DOM snapshots, network (HAR entries). */
const JSON_LINES = /\.(trace|network|stacks)$/;

function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_HEADERS.includes(lower) || CREDENTIAL_HEADER_NAME.test(lower);
}

/** Every string redacted; HAR-style `{ name, value }` headers with a credential name blanked. */
function maskValue(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, redact));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const header = value as { name?: unknown; value?: unknown };
  const blank =
    typeof header.name === 'string' && typeof header.value === 'string' && isSecretHeader(header.name);
  return Object.fromEntries(
    entries.map(([key, item]) => [key, blank && key === 'value' ? REDACTED : maskValue(item, redact)]),
  );
}

/** A resource is text when it decodes as UTF-8 without NULs; images and fonts are left alone. */
function asText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A copy of a Playwright trace (`trace.zip`) with secrets removed, as every other artifact: each JSON
 * line of the action, snapshot and network logs has its strings redacted and its credential headers
 * blanked, and every text resource (response bodies, stylesheets, scripts) is redacted as text.
 * Resources keep their content-hash names; the viewer looks them up by name and does not re-hash.
 */
export async function maskTrace(zip: Uint8Array, redact: (text: string) => string): Promise<Uint8Array> {
  const source = await JSZip.loadAsync(zip);
  const masked = new JSZip();
  for (const entry of Object.values(source.files)) {
    if (entry.dir) continue;
    const bytes = await entry.async('uint8array');
    if (JSON_LINES.test(entry.name)) {
      const lines = new TextDecoder().decode(bytes).split('\n');
      const out = lines.map((line) => {
        if (line.trim() === '') return line;
        try {
          return JSON.stringify(maskValue(JSON.parse(line), redact));
        } catch {
          return redact(line);
        }
      });
      masked.file(entry.name, out.join('\n'));
      continue;
    }
    const text = asText(bytes);
    masked.file(entry.name, text === undefined ? bytes : redact(text));
  }
  return masked.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
}
