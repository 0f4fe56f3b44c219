/** Units the measurements API accepts. */
export const MEASUREMENT_UNITS = ['celsius', 'fahrenheit', 'percent', 'pascal'] as const;
export type MeasurementUnit = (typeof MEASUREMENT_UNITS)[number];

/** A valid `POST /api/measurements` body, normalised. */
export interface MeasurementInput {
  sensor: string;
  value: number;
  unit: MeasurementUnit;
  /** ISO 8601, normalised to `Date#toISOString()`; absent when the client sent none. */
  recordedAt?: string;
}

/** One problem with a request, named by the field it concerns (`''` for the body as a whole). */
export interface FieldProblem {
  field: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; details: FieldProblem[] };

const MAX_SENSOR_LENGTH = 64;
const KNOWN_FIELDS = new Set(['sensor', 'value', 'unit', 'recordedAt']);
// Date and time with an explicit zone; Date.parse alone accepts too much ("1", "March 7").
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function isUnit(value: unknown): value is MeasurementUnit {
  return typeof value === 'string' && (MEASUREMENT_UNITS as readonly string[]).includes(value);
}

/**
 * Validates a parsed JSON body for `POST /api/measurements`, collecting every problem rather than
 * stopping at the first, so one 400 tells the client all it has to fix.
 */
export function validateMeasurementInput(body: unknown): Validated<MeasurementInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, details: [{ field: '', message: 'body must be a JSON object' }] };
  }
  const input = body as Record<string, unknown>;
  const details: FieldProblem[] = [];

  const { sensor, value, unit, recordedAt } = input;
  if (typeof sensor !== 'string' || sensor.trim().length === 0 || sensor.length > MAX_SENSOR_LENGTH) {
    details.push({
      field: 'sensor',
      message: `must be a non-blank string of 1 to ${MAX_SENSOR_LENGTH} characters`,
    });
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    details.push({ field: 'value', message: 'must be a finite number' });
  }
  if (!isUnit(unit)) {
    details.push({ field: 'unit', message: `must be one of ${MEASUREMENT_UNITS.join(', ')}` });
  }
  let normalisedRecordedAt: string | undefined;
  if (recordedAt !== undefined) {
    const time =
      typeof recordedAt === 'string' && ISO_DATE_TIME.test(recordedAt) ? Date.parse(recordedAt) : NaN;
    if (Number.isNaN(time)) {
      details.push({
        field: 'recordedAt',
        message: 'must be an ISO 8601 date-time with a zone, e.g. 2024-01-15T10:30:45Z',
      });
    } else {
      normalisedRecordedAt = new Date(time).toISOString();
    }
  }
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key)) details.push({ field: key, message: 'is not a known field' });
  }

  if (details.length > 0) return { ok: false, details };
  const result: MeasurementInput = {
    sensor: sensor as string,
    value: value as number,
    unit: unit as MeasurementUnit,
  };
  if (normalisedRecordedAt !== undefined) result.recordedAt = normalisedRecordedAt;
  return { ok: true, value: result };
}

/** Query of `GET /api/measurements`. */
export interface ListQuery {
  sensor?: string;
  limit: number;
}

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

/** Validates `?sensor=` and `?limit=` of `GET /api/measurements`. */
export function parseListQuery(params: URLSearchParams | undefined): Validated<ListQuery> {
  const details: FieldProblem[] = [];
  const query: ListQuery = { limit: DEFAULT_LIST_LIMIT };
  const sensor = params?.get('sensor');
  if (sensor !== null && sensor !== undefined) {
    if (sensor.length === 0 || sensor.length > MAX_SENSOR_LENGTH) {
      details.push({ field: 'sensor', message: `must be 1 to ${MAX_SENSOR_LENGTH} characters` });
    } else {
      query.sensor = sensor;
    }
  }
  const limit = params?.get('limit');
  if (limit !== null && limit !== undefined) {
    const parsed = /^\d{1,3}$/.test(limit) ? Number(limit) : NaN;
    if (!(parsed >= 1 && parsed <= MAX_LIST_LIMIT)) {
      details.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_LIST_LIMIT}` });
    } else {
      query.limit = parsed;
    }
  }
  return details.length > 0 ? { ok: false, details } : { ok: true, value: query };
}
