/**
 * What a call can throw, besides the `AbortError` (or reason) of a signal you aborted and what a
 * function you gave (`headers`, `bearerToken`, `fetch`) throws itself:
 * - `ProblemError`: the API answered with an error status (its problem+json body parsed);
 * - `NetworkError`: no answer at all (DNS, refused or reset connection, CORS in a browser);
 * - `TimeoutError`: no whole answer within the time limit;
 * - `ResponseError`: a success the SDK cannot hand over as it is (an unreadable header, a body
 *   that is not the contract's, a number a `number` would change); `written` says whether the
 *   API carried out the write;
 * - `TypeError`: before anything is sent, an argument the SDK cannot send.
 * Each class has a type guard that also recognises errors from another copy of this package (the
 * ESM and the CommonJS builds loaded side by side), where `instanceof` would not.
 */
import type { Problem } from './gen/types.gen.js';

const KIND = Symbol.for('@dynamo-crud/sdk/error-kind');
type Kind = 'ProblemError' | 'NetworkError' | 'TimeoutError' | 'ResponseError';

function mark(error: Error, kind: Kind): void {
  Object.defineProperty(error, KIND, { value: kind });
}

function isKind(value: unknown, kind: Kind): boolean {
  return typeof value === 'object' && value !== null && Reflect.get(value, KIND) === kind;
}

/**
 * The API answered with an error status. `status` is the HTTP status and `problem` the RFC 9457
 * body: for this API always `application/problem+json`; for an answer from something in between
 * (a gateway's 403 or 502) a problem made from what it sent, with `type` `about:blank`.
 *
 * @example
 * ```ts
 * try {
 *   await api.createItem({ user_id: 'ada' });
 * } catch (error) {
 *   if (isProblemError(error) && error.status === 409) console.log('ada exists already');
 *   else throw error;
 * }
 * ```
 */
export class ProblemError extends Error {
  override name = 'ProblemError' as const;
  /** The HTTP status, e.g. `404`. */
  readonly status: number;
  /** The parsed problem: `type`, `title`, `status`, `detail`, and `errors` for validation. */
  readonly problem: Problem;
  /**
   * Seconds the server asked to wait before trying again (`Retry-After`, sent with 503 and
   * 429), or `undefined`.
   */
  readonly retryAfter: number | undefined;
  /** The response, for its other headers. Its body has been read. */
  readonly response: Response;

  constructor(problem: Problem, response: Response) {
    super(`${response.status} ${problem.title}: ${problem.detail}`);
    mark(this, 'ProblemError');
    this.status = response.status;
    this.problem = problem;
    this.response = response;
    this.retryAfter = retryAfterSeconds(response.headers);
  }
}

/**
 * The request got no answer: the connection failed (refused, reset, DNS) or, in a browser, CORS
 * blocked it. `cause` is the underlying error. Reads, updates and deletes are retried first
 * (see `RetryOptions`); creates never are.
 *
 * @example
 * ```ts
 * try {
 *   await api.getItem('ada');
 * } catch (error) {
 *   if (isNetworkError(error)) console.log(`cannot reach the API: ${error.message}`);
 *   else throw error;
 * }
 * ```
 */
export class NetworkError extends Error {
  override name = 'NetworkError' as const;
  /** `GET`, `POST`, ... */
  readonly method: string;
  readonly url: string;

  constructor(method: string, url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${method} ${url} failed: ${reason}`, { cause });
    mark(this, 'NetworkError');
    this.method = method;
    this.url = url;
  }
}

/**
 * No whole answer within the time limit of an attempt (the client's `timeout`: headers and body
 * both), or before an `AbortSignal.timeout()` you passed as `signal` fired. A timed-out attempt
 * is not retried: the server may still be working on it.
 *
 * @example
 * ```ts
 * try {
 *   await api.getItem('ada', { timeout: 2_000 });
 * } catch (error) {
 *   if (isTimeoutError(error)) console.log('the API is slow; try again later');
 *   else throw error;
 * }
 * ```
 */
export class TimeoutError extends Error {
  override name = 'TimeoutError' as const;
  readonly method: string;
  readonly url: string;

  constructor(method: string, url: string, cause?: unknown) {
    super(`${method} ${url} timed out`, cause === undefined ? undefined : { cause });
    mark(this, 'TimeoutError');
    this.method = method;
    this.url = url;
  }
}

/**
 * The API answered with success, but the SDK cannot hand over the result as the contract
 * describes it: a header the contract requires cannot be read (in a browser across origins, the
 * API must list `ETag` and `Location` in `Access-Control-Expose-Headers`), the body is not the
 * JSON the contract says, or it holds a number a JavaScript `number` would change (see
 * `ClientOptions.numbers`). When `written` is `true` the API carried out the write (the item was
 * created, updated or deleted): do not send it again, read the item instead.
 *
 * @example
 * ```ts
 * try {
 *   await api.createItem({ user_id: 'ada' });
 * } catch (error) {
 *   if (isResponseError(error) && error.written) console.log('created; read it to get its etag');
 *   else throw error;
 * }
 * ```
 */
export class ResponseError extends Error {
  override name = 'ResponseError' as const;
  readonly method: string;
  readonly url: string;
  /** The success status, e.g. `201`. */
  readonly status: number;
  /** Whether the API carried out a write (a successful `POST`, `PATCH` or `DELETE`). */
  readonly written: boolean;
  /** The response, for its headers. Its body has been read. */
  readonly response: Response;

  constructor(method: string, url: string, response: Response, reason: string, cause?: unknown) {
    const written = method !== 'GET' && method !== 'HEAD';
    super(
      `${method} ${url} answered ${response.status}${written ? ' and the write happened' : ''}, but ${reason}${written ? '. Do not send it again: read the item instead' : ''}.`,
      cause === undefined ? undefined : { cause },
    );
    mark(this, 'ResponseError');
    this.method = method;
    this.url = url;
    this.status = response.status;
    this.written = written;
    this.response = response;
  }
}

/**
 * Whether `error` is a `ResponseError`: a success the SDK could not hand over.
 *
 * @example
 * ```ts
 * if (isResponseError(error) && error.written) console.log('the write happened');
 * ```
 */
export function isResponseError(error: unknown): error is ResponseError {
  return isKind(error, 'ResponseError');
}

/**
 * Whether `error` is a `ProblemError`: the API answered with an error status.
 *
 * @example
 * ```ts
 * const found = await api.getItem('ada').catch((error: unknown) => {
 *   if (isProblemError(error) && error.status === 404) return undefined;
 *   throw error;
 * });
 * ```
 */
export function isProblemError(error: unknown): error is ProblemError {
  return isKind(error, 'ProblemError');
}

/**
 * Whether `error` is a `NetworkError`: the request got no answer.
 *
 * @example
 * ```ts
 * if (isNetworkError(error)) console.log(error.cause);
 * ```
 */
export function isNetworkError(error: unknown): error is NetworkError {
  return isKind(error, 'NetworkError');
}

/**
 * Whether `error` is a `TimeoutError`: no answer in time.
 *
 * @example
 * ```ts
 * if (isTimeoutError(error)) console.log(`${error.method} ${error.url} timed out`);
 * ```
 */
export function isTimeoutError(error: unknown): error is TimeoutError {
  return isKind(error, 'TimeoutError');
}

/** `Retry-After` in seconds: delay-seconds, or an HTTP date from now (RFC 9110 §10.2.3). */
export function retryAfterSeconds(headers: Headers): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * The problem an error response carries. This API always sends one; for anything else (a
 * gateway's `{"message":"Forbidden"}`, an HTML 502) one is made from the status and what was sent.
 */
export function toProblem(body: unknown, response: Response): Problem {
  if (isProblem(body)) return body;
  const message =
    typeof body === 'object' && body !== null && typeof Reflect.get(body, 'message') === 'string'
      ? (Reflect.get(body, 'message') as string)
      : typeof body === 'string' && body.trim() !== ''
        ? body.trim().slice(0, 500)
        : undefined;
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: message ?? `The server answered ${response.status} without a problem body.`,
  };
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false;
  const { type, title, status, detail } = body as Record<string, unknown>;
  return (
    typeof type === 'string' &&
    typeof title === 'string' &&
    typeof status === 'number' &&
    typeof detail === 'string'
  );
}
