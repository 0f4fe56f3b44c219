import { parseDurationStrict } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import type { LoadProfile } from '../core/schema.ts';

/** One linear segment of the arrival rate: from `from` to `to` req/s over `durationMs`. */
export interface RateSegment {
  durationMs: number;
  from: number;
  to: number;
}

/**
 * When each request of an open-model run is due, computed from the start of the run (never from the
 * previous timer, so timer drift cannot accumulate): arrival `i` is at the first instant the
 * integral of the rate reaches `i`.
 */
export interface ArrivalSchedule {
  /** Total run length including warm-up (ms). */
  totalMs: number;
  warmupMs: number;
  segments: readonly RateSegment[];
  /** Intended send time (ms from start) of the next arrival, or `undefined` once the run is over. */
  next(): number | undefined;
  /** The arrival rate (req/s) at `ms` from the start; 0 after the run. */
  rateAt(ms: number): number;
}

/**
 * The rate segments of an open-model profile. Without `stages` the rate is constant for warm-up plus
 * duration. With `stages` (k6's ramping-arrival-rate) the stages define the whole run, starting from
 * `rate` (or 0) and moving linearly to each stage's `target`; the first `warmup` of it is excluded
 * from the statistics.
 */
export function buildRateSegments(profile: LoadProfile): { segments: RateSegment[]; warmupMs: number } {
  const warmupMs = parseDurationStrict(profile.warmup, 'warmup');
  if (profile.stages && profile.stages.length > 0) {
    let from = profile.rate ?? 0;
    const segments = profile.stages.map((stage) => {
      const segment = {
        durationMs: parseDurationStrict(stage.duration, 'stage duration'),
        from,
        to: stage.target,
      };
      from = stage.target;
      return segment;
    });
    return { segments, warmupMs };
  }
  const rate = profile.rate;
  if (rate === undefined || !(rate > 0)) {
    throw new UsageError(`an open-model profile needs a rate above 0 req/s (got ${rate ?? 'none'})`, {
      hint: 'pass --rate N, or --connections N for a closed-model run',
    });
  }
  const durationMs = parseDurationStrict(profile.duration, 'duration');
  return { segments: [{ durationMs: warmupMs + durationMs, from: rate, to: rate }], warmupMs };
}

export function buildArrivalSchedule(profile: LoadProfile): ArrivalSchedule {
  const { segments, warmupMs } = buildRateSegments(profile);
  const totalMs = segments.reduce((sum, s) => sum + s.durationMs, 0);
  let index = 0;
  let segment = 0;
  let segmentStartMs = 0;
  let arrivalsBeforeSegment = 0;

  function next(): number | undefined {
    while (segment < segments.length) {
      const { durationMs, from, to } = segments[segment]!;
      const seconds = durationMs / 1000;
      const n = index - arrivalsBeforeSegment;
      // N(t) = from·t + (to − from)·t² / (2·seconds); solve N(t) = n for t.
      const a = seconds > 0 ? (to - from) / (2 * seconds) : 0;
      let t: number;
      if (Math.abs(a) < 1e-12) t = from > 0 ? n / from : Number.POSITIVE_INFINITY;
      else {
        const discriminant = from * from + 4 * a * n;
        t = discriminant < 0 ? Number.POSITIVE_INFINITY : (-from + Math.sqrt(discriminant)) / (2 * a);
        if (t < 0) t = Number.POSITIVE_INFINITY;
      }
      if (t * 1000 < durationMs - 1e-9) {
        index += 1;
        return segmentStartMs + t * 1000;
      }
      // This segment is over: carry its exact arrival count (fractional) into the next one.
      arrivalsBeforeSegment += from * seconds + ((to - from) * seconds) / 2;
      segmentStartMs += durationMs;
      segment += 1;
    }
    return undefined;
  }

  function rateAt(ms: number): number {
    let startMs = 0;
    for (const { durationMs, from, to } of segments) {
      if (ms < startMs + durationMs) return from + ((to - from) * Math.max(ms - startMs, 0)) / durationMs;
      startMs += durationMs;
    }
    return 0;
  }

  return { totalMs, warmupMs, segments, next, rateAt };
}
