/**
 * The one way the client talks to the API: ky. ky makes each request and owns what happens
 * between attempts: retries after `Retry-After` or with jittered backoff (when, `retry.ts`
 * says), a time limit per attempt, the caller's `AbortSignal` (retries and the waits between
 * them included), and headers computed per attempt (its `beforeRequest` hook). What this file
 * adds to it:
 * - the `fetch` ky calls reads the whole body before it resolves. ky's time limit covers what
 *   its `fetch` does, and `fetch` alone resolves when the headers arrive, so a body that stalled
 *   would otherwise be pending forever: this way the limit covers the whole answer, and an error
 *   answer ky retries has been read (and its connection let go) first;
 * - every failure turned into the SDK's errors (`errors.ts`), here and nowhere else.
 */
import ky, { type Input, isHTTPError, type RetryOptions as KyRetryOptions } from 'ky';
import { NetworkError, ProblemError, ResponseError, TimeoutError, toProblem } from './errors.js';
import { idempotencyKeyHeader, newIdempotencyKey } from './idempotency.js';
import { InexactNumberError, type NumberMode, parseJson, toJson } from './json.js';
import type { Operation } from './operations.js';
import { kyRetry, type RetryOptions } from './retry.js';

/** Header names in lower case to values. */
export type HeaderRecord = Record<string, string>;

export interface TransportOptions {
  /** The API's URL without a trailing slash. */
  readonly baseUrl: string;
  /** Time limit of one attempt in ms, or `false`. */
  readonly timeout: number | false;
  readonly retry: RetryOptions | number | false | undefined;
  readonly numbers: NumberMode;
  /** Headers of every request, checked (`checkHeaders`). */
  readonly headers: HeaderRecord;
  /** Headers computed before each attempt (after `headers`), unchecked. */
  readonly headersPerAttempt: (() => Promise<HeaderRecord>) | undefined;
  readonly fetch: typeof fetch | undefined;
}

/** What one call sends besides what its operation says. */
export interface Outgoing {
  /** Query parameters as the contract types them; numbers are sent in decimal. */
  readonly query?: Readonly<Record<string, string | number | undefined>> | undefined;
  readonly body?: unknown;
  /** The body's media type, when not the operation's first (`application/merge-patch+json`). */
  readonly mediaType?: string | undefined;
  /**
   * The `Idempotency-Key` of an operation that takes one; default: a new random one. Either way
   * every attempt of the call sends the same.
   */
  readonly idempotencyKey?: string | undefined;
  /** Headers of this call, unchecked; they win over the client's. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly timeout?: number | false | undefined;
}

/** A success, parsed. */
export interface Answer {
  readonly data: unknown;
  /** The value of a header the contract requires of this answer. @throws ResponseError */
  header(name: string): string;
  /**
   * A header the contract requires that holds a URI reference, as an absolute URL: resolved
   * against the URL that answered (RFC 9110 §10.2.2; RFC 3986 §5.2). @throws ResponseError
   */
  reference(name: string): string;
  /** Refuses the answer as not what the contract says, saying `reason`. @throws ResponseError */
  refuse(reason: string): never;
}

/** Sends operations with the client's settings. */
export type Send = (operation: Operation, outgoing: Outgoing) => Promise<Answer>;

export function createTransport(options: TransportOptions): Send {
  const { baseUrl, numbers, headersPerAttempt } = options;
  checkTimeout(options.timeout);
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  /** Each answer's body, read by `fetchWhole` within its attempt's time limit. */
  const bodies = new WeakMap<Response, string>();
  /** ky's retry options of each operation, made on its first call. */
  const retries = new Map<Operation, KyRetryOptions>();

  /** `fetch`, then the whole body: what ky times, and what a failed connection is. */
  const fetchWhole = async (input: Input, init?: RequestInit): Promise<Response> => {
    // ky always passes the Request of the attempt.
    const request = input as Request;
    try {
      const response = await fetchImpl(request, init);
      bodies.set(response, await response.text());
      return response;
    } catch (error) {
      // `fetch` rejects with a TypeError when no answer came (refused, reset, DNS, CORS), and so
      // does reading a body whose connection broke; an abort rejects with the signal's reason.
      if (error instanceof TypeError && !request.signal.aborted) {
        throw new NetworkError(request.method, request.url, error);
      }
      throw error;
    }
  };

  return async function send(operation, outgoing) {
    const { method } = operation;
    const mediaType = outgoing.mediaType ?? operation.mediaType;
    const url = `${baseUrl}${operation.path}${queryString(outgoing.query)}`;
    const body = outgoing.body === undefined ? undefined : toJson(outgoing.body, numbers);
    const callHeaders = {
      ...(outgoing.headers === undefined ? {} : checkHeaders(outgoing.headers)),
      // Once per call: ky sends these same headers with every attempt.
      ...(operation.idempotencyKey === true
        ? {
            'idempotency-key': idempotencyKeyHeader(outgoing.idempotencyKey ?? newIdempotencyKey()),
          }
        : {}),
    };
    const headers = {
      ...options.headers,
      ...(mediaType === undefined ? {} : { 'content-type': mediaType }),
      ...callHeaders,
    };
    const { signal } = outgoing;
    let retry = retries.get(operation);
    if (retry === undefined) {
      retry = kyRetry(options.retry, method, operation);
      retries.set(operation, retry);
    }

    let response: Response;
    try {
      response = await ky(url, {
        method,
        // Leaving out what a call does not send spares ky work on every call.
        ...(isEmpty(headers) ? {} : { headers }),
        ...(body === undefined ? {} : { body }),
        ...(signal === undefined ? {} : { signal }),
        timeout: checkTimeout(outgoing.timeout) ?? options.timeout,
        retry,
        fetch: fetchWhole,
        ...(headersPerAttempt === undefined
          ? {}
          : {
              hooks: {
                // Before each attempt, retries included, so a refreshed token is picked up; the
                // call's own headers still win.
                beforeRequest: [
                  async ({ headers }) => {
                    for (const [name, value] of Object.entries({
                      ...checkHeaders(await headersPerAttempt()),
                      ...callHeaders,
                    })) {
                      headers.set(name, value);
                    }
                  },
                ],
              },
            }),
      });
    } catch (error) {
      throw toSdkError(error, method, url, bodies);
    }
    return answer(method, url, response, bodies.get(response) ?? '', numbers);
  };
}

/** A success as the contract describes it, or a `ResponseError` saying why not. */
function answer(
  method: string,
  url: string,
  response: Response,
  text: string,
  numbers: NumberMode,
): Answer {
  let data: unknown;
  try {
    data = parseJson(text, numbers);
  } catch (error) {
    const reason =
      error instanceof InexactNumberError
        ? error.message
        : 'its body is not the JSON the contract says';
    throw new ResponseError(method, url, response, reason, error);
  }
  const header = (name: string) => {
    const value = response.headers.get(name);
    if (value === null) {
      throw new ResponseError(
        method,
        url,
        response,
        `its ${name} header cannot be read. Across origins a browser shows it only when the API lists it in Access-Control-Expose-Headers (ETag, Location; CORS_ALLOW_ORIGINS does)`,
      );
    }
    return value;
  };
  return {
    data,
    header,
    reference: (name) => new URL(header(name), response.url === '' ? url : response.url).href,
    refuse: (reason) => {
      throw new ResponseError(method, url, response, reason);
    },
  };
}

/**
 * What a failed call is to the caller: an error answer (its body read by `fetchWhole`) a
 * `ProblemError`; ky's time limit, or an `AbortSignal.timeout()` the caller passed (a
 * DOMException named TimeoutError), a `TimeoutError`. Anything else is already what the caller
 * gets: a `NetworkError` (from `fetchWhole`), the reason of their abort, a `TypeError` for what
 * cannot be sent, or what a function they gave threw.
 */
function toSdkError(
  error: unknown,
  method: string,
  url: string,
  bodies: WeakMap<Response, string>,
): unknown {
  if (isHTTPError(error)) {
    const { response } = error;
    return new ProblemError(
      toProblem(parseLoosely(bodies.get(response) ?? ''), response),
      response,
    );
  }
  if (
    typeof error === 'object' &&
    error !== null &&
    Reflect.get(error, 'name') === 'TimeoutError'
  ) {
    return new TimeoutError(method, url, error);
  }
  return error;
}

function isEmpty(record: object): boolean {
  for (const _ in record) return false;
  return true;
}

/** An error answer's body: JSON when it is, else its text. */
function parseLoosely(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * `?name=value&...`, percent-encoded as UTF-8 (RFC 3986 §2.5). A parameter whose value is
 * `undefined` is left out, as a JSON body leaves out such a member.
 *
 * @throws TypeError for a value that is neither a string nor a finite number (`null`, an object,
 *   a boolean, `NaN`: the URL would carry its `String()`, such as `null`, as data), or a string
 *   that is not well-formed Unicode (a lone surrogate), which has no UTF-8 form.
 */
function queryString(query: Outgoing['query']): string {
  if (query === undefined) return '';
  let text = '';
  for (const [name, value] of Object.entries(query) as Array<[string, unknown]>) {
    if (value === undefined) continue;
    let encoded: string | undefined;
    try {
      // A lone surrogate has no UTF-8 form: encodeURIComponent throws a URIError.
      if (typeof value === 'string' || Number.isFinite(value)) {
        encoded = encodeURIComponent(value as string | number);
      }
    } catch {}
    if (encoded === undefined) {
      throw new TypeError(
        `Query parameter ${name} must be well-formed Unicode text or a finite number; got ${describe(value)}`,
      );
    }
    text += `${text === '' ? '?' : '&'}${encodeURIComponent(name)}=${encoded}`;
  }
  return text;
}

/** `value` named for an error message: `undefined`, `42`, `"x"`, `an object`, `an array`. */
export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The longest time limit `setTimeout`, and so ky, can keep: 2^31 - 1 ms, about 24.8 days. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * `timeout`, checked: `false` (no limit), `undefined` (the default) or a whole number of ms from
 * 1 to 2,147,483,647.
 *
 * @throws TypeError for anything else: a limit of 0, a negative one or `NaN` would time out
 *   before sending, and a longer one is more than a timer holds.
 */
export function checkTimeout(timeout: number | false | undefined): number | false | undefined {
  if (timeout === undefined || timeout === false) return timeout;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_MS) {
    throw new TypeError(
      `timeout must be false or a whole number of ms from 1 to ${MAX_TIMEOUT_MS}; got ${describe(timeout)}`,
    );
  }
  return timeout;
}

/** A header name is a token (RFC 9110 §5.1). */
const HEADER_NAME = /^[!#$%&'*+.^`|~\w-]+$/;
/** A header value: visible characters, spaces, tabs and obs-text; no CR, LF or NUL (§5.5). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * `headers` with lower-case names.
 *
 * @throws TypeError for a name or value HTTP cannot carry (`fetch` would refuse it too, but as a
 *   TypeError that looks like a failed connection).
 */
export function checkHeaders(headers: Readonly<Record<string, string>>): HeaderRecord {
  const checked: HeaderRecord = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name))
      throw new TypeError(`${JSON.stringify(name)} is not a header name`);
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw new TypeError(
        `Header ${name} cannot be sent: its value must be text of Latin-1 characters without line breaks`,
      );
    }
    checked[name.toLowerCase()] = value;
  }
  return checked;
}
