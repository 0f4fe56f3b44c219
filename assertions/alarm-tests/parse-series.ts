/**
 * Series notation of alarm unit tests (promtool-like), one value per interval starting at t = 0:
 * `_` no datapoint · `A` one value · `AxN` N values of A · `A+BxN` N values A, A+B, A+2B, …
 * (`A-BxN` counts down) · `_xN` N intervals without a datapoint.
 */

export type SeriesValue = number | undefined;

export class SeriesSyntaxError extends Error {
  override readonly name = 'SeriesSyntaxError';
}

const UNSIGNED = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
const TOKEN = new RegExp(String.raw`^(?:(_)|([-+]?${UNSIGNED}))(?:([-+])(${UNSIGNED}))?(?:x(\d+))?$`);

/** Parses a series; throws {@link SeriesSyntaxError} naming the bad token and its position. Pure. */
export function parseSeries(text: string | number): SeriesValue[] {
  const source = String(text).trim();
  if (source === '') return [];
  const out: SeriesValue[] = [];
  const tokens = source.split(/\s+/);
  tokens.forEach((token, index) => {
    const match = TOKEN.exec(token);
    if (!match) {
      throw new SeriesSyntaxError(
        `token ${index + 1} "${token}" is not a value: expected a number, "_", "AxN", "A+BxN" or "_xN"`,
      );
    }
    const [, blank, start, sign, step, times] = match;
    if (blank && step !== undefined) {
      throw new SeriesSyntaxError(`token ${index + 1} "${token}": "_" cannot have a step`);
    }
    if (step !== undefined && times === undefined) {
      throw new SeriesSyntaxError(`token ${index + 1} "${token}": a step needs a count, e.g. ${token}x5`);
    }
    const count = times === undefined ? 1 : Number(times);
    if (count > 100_000) throw new SeriesSyntaxError(`token ${index + 1} "${token}": at most 100000 values`);
    if (blank) {
      for (let i = 0; i < count; i++) out.push(undefined);
      return;
    }
    const first = Number(start);
    const delta = step === undefined ? 0 : (sign === '-' ? -1 : 1) * Number(step);
    for (let i = 0; i < count; i++) out.push(first + i * delta);
  });
  return out;
}
