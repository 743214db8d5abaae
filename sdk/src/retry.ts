/**
 * When a call is tried again. The API answers 503 with `Retry-After` when DynamoDB throttles or
 * cannot be reached, and API Gateway answers 429 when it throttles; both are worth a second try,
 * but only for a call that cannot do harm twice:
 * - `getItem` reads;
 * - `updateItem` sets one attribute to a value, so a repeat leaves the same item (with `If-Match`
 *   a repeat after a lost success is a 412, never a second write);
 * - `deleteItem` of an item already deleted is a 404, never a second deletion.
 * `createItem` (POST) is never retried: if its answer was lost, the item may exist, and only
 * the caller knows whether a 409 on a second try means "mine" or "someone else's".
 */
import { isHTTPError, type RetryOptions as KyRetryOptions } from 'ky';
import { retryAfterSeconds } from './errors.js';

/**
 * How calls are retried; see `ClientOptions.retry`.
 *
 * @example
 * ```ts
 * const api = createClient({
 *   baseUrl: 'http://127.0.0.1:3000',
 *   retry: { limit: 4, backoffLimit: 5_000, maxRetryAfter: 10_000 },
 * });
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt (so `2` is up to 3 attempts). Default `2`. */
  readonly limit?: number;
  /**
   * The longest wait between attempts when the server gives no `Retry-After`, in ms. The wait
   * doubles from 300 ms, with full jitter. Default `10_000`.
   */
  readonly backoffLimit?: number;
  /**
   * The longest `Retry-After` the client waits, in ms. When the server asks for longer, the call
   * fails at once with its `ProblemError` (`retryAfter` says how long) rather than retrying
   * early or hanging. Default `30_000`.
   */
  readonly maxRetryAfter?: number;
}

/** The statuses retried: throttled (429) or unavailable (503). */
const RETRY_STATUS_CODES: readonly number[] = [429, 503];
/** The methods retried; never POST (see above). */
const RETRY_METHODS: readonly string[] = ['get', 'patch', 'delete'];

const DEFAULTS = { limit: 2, backoffLimit: 10_000, maxRetryAfter: 30_000 } as const;

/** The ky retry options for `retry` (`false` or `0`: no retries). */
export function toKyRetry(retry: RetryOptions | number | false | undefined): KyRetryOptions {
  const options: RetryOptions =
    retry === false ? { limit: 0 } : typeof retry === 'number' ? { limit: retry } : (retry ?? {});
  const maxRetryAfter = options.maxRetryAfter ?? DEFAULTS.maxRetryAfter;
  return {
    limit: options.limit ?? DEFAULTS.limit,
    methods: [...RETRY_METHODS],
    statusCodes: [...RETRY_STATUS_CODES],
    afterStatusCodes: [...RETRY_STATUS_CODES],
    backoffLimit: options.backoffLimit ?? DEFAULTS.backoffLimit,
    maxRetryAfter,
    jitter: true,
    retryOnTimeout: false,
    shouldRetry: ({ error }) => {
      // An aborted call stays aborted.
      if (error.name === 'AbortError') return false;
      // A wait longer than we accept fails now; ky would otherwise retry early, at the cap.
      if (isHTTPError(error)) {
        const seconds = retryAfterSeconds(error.response.headers);
        if (seconds !== undefined && seconds * 1000 > maxRetryAfter) return false;
      }
      return undefined;
    },
  };
}
