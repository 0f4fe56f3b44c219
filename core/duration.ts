/**
 * Durations as users write them: `250ms`, `30s`, `5m`, `1h`, `1m30s`, ISO-8601 (`PT5M`, as FIS uses),
 * or a bare number of milliseconds.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const COMPOUND = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/;
const ISO = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses a duration into milliseconds; returns `undefined` for anything that is not one. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const text = input.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const iso = ISO.exec(text);
  if (iso) {
    if (text === 'P' || text.endsWith('T')) return undefined;
    const [, d, h, m, s] = iso;
    return (
      Number(d ?? 0) * UNIT_MS.d! +
      Number(h ?? 0) * UNIT_MS.h! +
      Number(m ?? 0) * UNIT_MS.m! +
      Number(s ?? 0) * 1000
    );
  }
  let rest = text;
  let total = 0;
  while (rest.length > 0) {
    const match = COMPOUND.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return total;
}

/** Like {@link parseDuration} but throws a `TypeError` naming the bad input. */
export function parseDurationStrict(input: string | number, what = 'duration'): number {
  const ms = parseDuration(input);
  if (ms === undefined)
    throw new TypeError(`${what}: expected a duration like 30s, 5m or PT5M, got ${JSON.stringify(input)}`);
  return ms;
}

/**
 * How every report and message writes a duration, in the form users write one (and `parseDuration`
 * reads back): `250` → `250ms`, `1500` → `1.5s`, `245000` → `4m5s`, `3600000` → `1h`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${tenths / 10}s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}

/** Milliseconds → ISO-8601 duration, as FIS parameters take them (`PT1M30S`). */
export function formatIsoDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
}
