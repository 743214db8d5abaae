/**
 * When a call is tried again, as ky's retry options: ky retries, waits and backs off; this file
 * only says when. The API answers 503 with `Retry-After` when DynamoDB throttles or cannot be
 * reached, and API Gateway answers 429 when it throttles; both are worth a second try, as is a
 * connection that failed, but only for a call that cannot do harm twice:
 * - `getItem` reads, and `deleteItem` of an item already deleted is a 404 (`idempotent` in
 *   `operations.ts`);
 * - `createItem`, `updateItem` and `mergeItem` send an `Idempotency-Key`, the same with each
 *   attempt (`idempotencyKey` in `operations.ts`): a repeat of a write that was carried out is
 *   answered as the first attempt was, and writes nothing. While the first attempt is still
 *   being carried out the API answers 409 with `Retry-After`, which is retried after it too.
 * A timed-out attempt is never retried: the server may still be working on it.
 */
import { isHTTPError, type RetryOptions as KyRetryOptions } from 'ky';
import { isNetworkError, retryAfterSeconds } from './errors.js';
import type { Operation } from './operations.js';

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
 * With an `Idempotency-Key`, also 409 with `Retry-After`: the first attempt with the key is
 * still being carried out. A 409 without it (an item with the `user_id` exists) is final.
 */
const KEYED_RETRY_STATUS_CODES = [...RETRY_STATUS_CODES, 409];

/**
 * ky's retry options for `retry` (`false` or `0`: no retries) and `operation` (whether it is
 * idempotent, whether it sends an `Idempotency-Key`). ky's own backoff is the one documented
 * above: 300 ms doubling per retry, full jitter, at most `backoffLimit`.
 */
export function kyRetry(
  retry: RetryOptions | number | false | undefined,
  method: string,
  operation: Pick<Operation, 'idempotent' | 'idempotencyKey'>,
): KyRetryOptions {
  const options: RetryOptions =
    retry === false ? { limit: 0 } : typeof retry === 'number' ? { limit: retry } : (retry ?? {});
  const maxRetryAfter = options.maxRetryAfter ?? 30_000;
  const keyed = operation.idempotencyKey === true;
  const statusCodes = keyed ? KEYED_RETRY_STATUS_CODES : RETRY_STATUS_CODES;
  return {
    limit: options.limit ?? 2,
    methods: operation.idempotent || keyed ? [method.toLowerCase()] : [],
    statusCodes,
    afterStatusCodes: statusCodes,
    maxRetryAfter,
    backoffLimit: options.backoffLimit ?? 10_000,
    jitter: true,
    retryOnTimeout: false,
    shouldRetry: ({ error }) => {
      if (isHTTPError(error)) {
        const seconds = retryAfterSeconds(error.response.headers);
        if (error.response.status === 409 && seconds === undefined) return false;
        // Waiting less than asked would be refused again; waiting longer is the caller's call.
        // (ky would retry at the cap instead.)
        return seconds !== undefined && seconds * 1000 > maxRetryAfter ? false : undefined;
      }
      // Only a failed connection, never a timeout, an abort, a refused argument or an error
      // thrown by a function the caller gave.
      return isNetworkError(error) ? undefined : false;
    },
  };
}
