/**
 * The one way the client talks to the API: `fetch`, once per attempt, with
 * - a time limit that covers the whole answer, headers and body: `fetch` resolves when the
 *   headers arrive, so a limit that stops there leaves a stalled body pending forever;
 * - the caller's `AbortSignal`, retries and the waits between them included;
 * - retries where `retry.ts` allows them;
 * - every failure turned into the SDK's errors (`errors.ts`), here and nowhere else.
 * Plain `fetch` rather than a client library: the whole call costs about one `fetch`
 * (docs/decisions/006-the-sdk-on-fetch.md).
 */
import { NetworkError, ProblemError, ResponseError, TimeoutError, toProblem } from './errors.js';
import { InexactNumberError, type NumberMode, parseJson, toJson } from './json.js';
import type { Operation } from './operations.js';
import { type RetryPolicy, retryDelay } from './retry.js';

/** Header names in lower case to values. */
export type HeaderRecord = Record<string, string>;

export interface TransportOptions {
  /** The API's URL without a trailing slash. */
  readonly baseUrl: string;
  /** Time limit of one attempt in ms, or `false`. */
  readonly timeout: number | false;
  readonly retry: RetryPolicy;
  readonly numbers: NumberMode;
  /** Headers of every request, checked (`checkHeaders`). */
  readonly headers: HeaderRecord;
  /** Headers computed before each attempt (after `headers`), unchecked. */
  readonly headersPerAttempt: (() => Promise<HeaderRecord>) | undefined;
  readonly fetch: typeof fetch | undefined;
}

/** What one call sends besides what its operation says. */
export interface Outgoing {
  readonly query?: Readonly<Record<string, string>> | undefined;
  readonly body?: unknown;
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
}

/** Sends operations with the client's settings. */
export type Send = (operation: Operation, outgoing: Outgoing) => Promise<Answer>;

export function createTransport(options: TransportOptions): Send {
  const { baseUrl, retry, numbers } = options;

  return async function send(operation, outgoing) {
    const { method, path } = operation;
    const url = `${baseUrl}${path}${queryString(outgoing.query)}`;
    const body = outgoing.body === undefined ? undefined : toJson(outgoing.body, numbers);
    const timeout = outgoing.timeout ?? options.timeout;
    const { signal } = outgoing;
    const callHeaders = outgoing.headers === undefined ? undefined : checkHeaders(outgoing.headers);

    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const headers: HeaderRecord = { ...options.headers };
      if (operation.mediaType !== undefined) headers['content-type'] = operation.mediaType;
      if (options.headersPerAttempt !== undefined) {
        Object.assign(headers, checkHeaders(await options.headersPerAttempt()));
      }
      if (callHeaders !== undefined) Object.assign(headers, callHeaders);

      let failure: unknown;
      try {
        const { response, text } = await exchange(options.fetch ?? fetch, {
          method,
          url,
          headers,
          body,
          timeout,
          signal,
        });
        if (response.ok) return answer(method, url, response, text, numbers);
        failure = new ProblemError(toProblem(parseLoosely(text), response), response);
      } catch (error) {
        failure = toSdkError(error, method, url, signal);
      }
      const wait = operation.idempotent ? retryDelay(retry, attempt, failure) : undefined;
      if (wait === undefined) throw failure;
      await sleep(wait, signal);
    }
  };
}

interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderRecord;
  readonly body: string | undefined;
  readonly timeout: number | false;
  readonly signal: AbortSignal | undefined;
}

/**
 * One attempt: the request, then the whole body, within `timeout`. Stops with the reason when
 * the time is up or the caller aborts, whether or not `fetchImpl` honours the signal (a custom
 * `fetch` may not), and aborts the request so the connection is let go.
 */
async function exchange(
  fetchImpl: typeof fetch,
  { method, url, headers, body, timeout, signal }: Exchange,
): Promise<{ response: Response; text: string }> {
  const controller = new AbortController();
  let stop: (reason: unknown) => void = () => {};
  const stopped = new Promise<never>((_, reject) => {
    stop = (reason) => {
      reject(reason);
      controller.abort(reason);
    };
  });
  const onAbort = () => stop(signal?.reason);
  signal?.addEventListener('abort', onAbort);
  const timer =
    timeout === false ? undefined : setTimeout(() => stop(new TimeoutError(method, url)), timeout);
  const work = (async () => {
    const response = await fetchImpl(url, {
      method,
      headers,
      body: body ?? null,
      signal: controller.signal,
    });
    return { response, text: await response.text() };
  })();
  // Whichever loses the race settles unobserved.
  work.catch(() => {});
  stopped.catch(() => {});
  try {
    return await Promise.race([work, stopped]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
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
  return {
    data,
    header(name) {
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
    },
  };
}

/** What a failed attempt is to the caller: one of the SDK's errors, or what they aborted with. */
function toSdkError(
  error: unknown,
  method: string,
  url: string,
  signal: AbortSignal | undefined,
): unknown {
  if (error instanceof TimeoutError) return error;
  if (signal?.aborted && error === signal.reason) {
    // `AbortSignal.timeout()` aborts with a DOMException named TimeoutError.
    return isNamed(error, 'TimeoutError') ? new TimeoutError(method, url, error) : error;
  }
  // `fetch` rejects with a TypeError when no answer came (refused, reset, DNS, CORS), and so
  // does reading a body whose connection broke.
  if (error instanceof TypeError) return new NetworkError(method, url, error);
  return error;
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && Reflect.get(error, 'name') === name;
}

/** An error answer's body: JSON when it is, else its text. */
function parseLoosely(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `?name=value&...`, percent-encoded as UTF-8 (RFC 3986 §2.5).
 *
 * @throws TypeError for a value that is not well-formed Unicode (a lone surrogate), which has no
 *   UTF-8 form and so cannot be sent.
 */
function queryString(query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined) return '';
  let text = '';
  for (const [name, value] of Object.entries(query)) {
    try {
      text += `${text === '' ? '?' : '&'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
    } catch {
      throw new TypeError(
        `Query parameter ${name} is not well-formed Unicode (it has a lone surrogate), so it cannot be sent in a URL`,
      );
    }
  }
  return text;
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
