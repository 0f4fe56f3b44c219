import { describeError, EnvironmentError } from '../../core/errors.ts';

/** Error names AWS uses for throttling (CloudWatch, X-Ray, Logs, SQS, EventBridge). */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'LimitExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** Error names meaning the credentials are missing, expired or not accepted. */
const CREDENTIALS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'MissingAuthenticationToken',
  'TokenRefreshRequired',
]);

interface AwsErrorLike {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function isThrottling(error: unknown): boolean {
  const e = error as AwsErrorLike;
  return (
    THROTTLING.has(e?.name ?? '') || THROTTLING.has(e?.Code ?? '') || e?.$metadata?.httpStatusCode === 429
  );
}

export function isCredentialsProblem(error: unknown): boolean {
  const e = error as AwsErrorLike;
  return CREDENTIALS.has(e?.name ?? '') || CREDENTIALS.has(e?.Code ?? '');
}

export interface RetryOptions {
  /** Attempts in all (first try included). @defaultValue 5 */
  attempts?: number;
  /** First backoff; doubles each retry, with full jitter. @defaultValue 200 */
  baseDelayMs?: number;
  /** @defaultValue 5000 */
  maxDelayMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Calls AWS with retries: throttling is retried with exponential backoff and then becomes an
 * EnvironmentError (exit 3); missing or expired credentials become an EnvironmentError at once, in one
 * sentence; any other AWS failure becomes an EnvironmentError naming the call.
 */
export async function withAwsRetries<T>(
  what: string,
  call: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (isCredentialsProblem(error)) {
        throw new EnvironmentError(
          'credentials',
          `AWS credentials are missing or expired (${what}: ${(error as AwsErrorLike).name ?? 'error'}).`,
          {
            hint: 'refresh them (aws sso login, or export AWS_PROFILE / AWS_ACCESS_KEY_ID) and run again',
            cause: error,
          },
        );
      }
      if (isThrottling(error)) {
        if (attempt >= attempts) {
          throw new EnvironmentError('aws-api', `AWS kept throttling ${what} after ${attempts} attempts.`, {
            hint: 'retry later or raise the account quota',
            cause: error,
          });
        }
        const delay = Math.min(max, base * 2 ** (attempt - 1));
        await sleep(delay / 2 + Math.random() * (delay / 2), options.signal);
        continue;
      }
      if (error instanceof EnvironmentError) throw error;
      throw new EnvironmentError('aws-api', `${what} failed: ${describeError(error)}`, { cause: error });
    }
  }
}
