/**
 * When a call is tried again, as ky's retry options: ky retries, waits and backs off; this file
 * only says when. The API answers 503 with `Retry-After` when DynamoDB throttles or cannot be
 * reached, and API Gateway answers 429 when it throttles; both are worth a second try, as is a
 * connection that failed, but only for a call that cannot do harm twice (`idempotent` in
 * `operations.ts`):
 * - `getItem` reads;
 * - `updateItem` sets one attribute to a value, so a repeat leaves the same item (with `If-Match`
 *   a repeat after a lost success is a 412, never a second write);
 * - `deleteItem` of an item already deleted is a 404, never a second deletion.
 * `createItem` (POST) is never retried: if its answer was lost, the item may exist, and only
 * the caller knows whether a 409 on a second try means "mine" or "someone else's". A timed-out
 * attempt is never retried either: the server may still be working on it.
 */
import { isHTTPError, type RetryOptions as KyRetryOptions } from 'ky';
import { isNetworkError, retryAfterSeconds } from './errors.js';

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

/** The statuses retried: throttled (429) or unavailable (503), after their `Retry-After`. */
const RETRY_STATUS_CODES = [429, 503];

/**
 * ky's retry options for `retry` (`false` or `0`: no retries) and an operation sent with
 * `method` that is, or is not, `idempotent`. ky's own backoff is the one documented above:
 * 300 ms doubling per retry, full jitter, at most `backoffLimit`.
 */
export function kyRetry(
  retry: RetryOptions | number | false | undefined,
  method: string,
  idempotent: boolean,
): KyRetryOptions {
  const options: RetryOptions =
    retry === false ? { limit: 0 } : typeof retry === 'number' ? { limit: retry } : (retry ?? {});
  const maxRetryAfter = options.maxRetryAfter ?? 30_000;
  return {
    limit: options.limit ?? 2,
    methods: idempotent ? [method.toLowerCase()] : [],
    statusCodes: RETRY_STATUS_CODES,
    afterStatusCodes: RETRY_STATUS_CODES,
    maxRetryAfter,
    backoffLimit: options.backoffLimit ?? 10_000,
    jitter: true,
    retryOnTimeout: false,
    shouldRetry: ({ error }) => {
      if (isHTTPError(error)) {
        // Waiting less than asked would be refused again; waiting longer is the caller's call.
        // (ky would retry at the cap instead.)
        const seconds = retryAfterSeconds(error.response.headers);
        return seconds !== undefined && seconds * 1000 > maxRetryAfter ? false : undefined;
      }
      // Only a failed connection, never a timeout, an abort, a refused argument or an error
      // thrown by a function the caller gave.
      return isNetworkError(error) ? undefined : false;
    },
  };
}
