/**
 * When a call is tried again. The API answers 503 with `Retry-After` when DynamoDB throttles or
 * cannot be reached, and API Gateway answers 429 when it throttles; both are worth a second try,
 * as is a connection that failed, but only for a call that cannot do harm twice:
 * - `getItem` reads;
 * - `updateItem` sets one attribute to a value, so a repeat leaves the same item (with `If-Match`
 *   a repeat after a lost success is a 412, never a second write);
 * - `deleteItem` of an item already deleted is a 404, never a second deletion.
 * `createItem` (POST) is never retried: if its answer was lost, the item may exist, and only
 * the caller knows whether a 409 on a second try means "mine" or "someone else's". A timed-out
 * attempt is never retried either: the server may still be working on it.
 */
import { isNetworkError, isProblemError } from './errors.js';

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
const RETRY_STATUSES: readonly number[] = [429, 503];
/** The first backoff, in ms; it doubles with each retry (before jitter). */
const BASE_DELAY_MS = 300;

export type RetryPolicy = Required<RetryOptions>;

/** The policy for `retry` (`false` or `0`: no retries). */
export function retryPolicy(retry: RetryOptions | number | false | undefined): RetryPolicy {
  const options: RetryOptions =
    retry === false ? { limit: 0 } : typeof retry === 'number' ? { limit: retry } : (retry ?? {});
  return {
    limit: options.limit ?? 2,
    backoffLimit: options.backoffLimit ?? 10_000,
    maxRetryAfter: options.maxRetryAfter ?? 30_000,
  };
}

/**
 * How long to wait, in ms, before retry number `retry` (1 for the first) of a call that failed
 * with `failure`; `undefined` when it must not be retried. Only asked for calls that may be
 * repeated (see above).
 */
export function retryDelay(
  policy: RetryPolicy,
  retry: number,
  failure: unknown,
): number | undefined {
  if (retry > policy.limit) return undefined;
  if (isProblemError(failure)) {
    if (!RETRY_STATUSES.includes(failure.status)) return undefined;
    if (failure.retryAfter !== undefined) {
      const wait = failure.retryAfter * 1000;
      // Waiting less than asked would be refused again; waiting longer is the caller's call.
      return wait > policy.maxRetryAfter ? undefined : wait;
    }
  } else if (!isNetworkError(failure)) {
    return undefined;
  }
  return Math.min(policy.backoffLimit, Math.random() * BASE_DELAY_MS * 2 ** (retry - 1));
}
