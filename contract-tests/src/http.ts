/**
 * Sends the run's requests one at a time, no faster than the rate asked for and no more of them
 * than the budget allows, and records each exchange as the wire carried it. A 429 (API
 * Gateway's throttling) is waited out as its `Retry-After` says, twice at most; every other
 * answer is recorded as it came.
 */
import type { SeenResponse } from './conformance.js';

export interface SentRequest {
  readonly method: string;
  readonly url: string;
  /** Lower-case names, as sent (credentials included; see `redactHeaders`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** A request and what came back: an answer, or why none did. */
export interface Exchange {
  readonly request: SentRequest;
  readonly response?: SeenResponse;
  /** Set when no answer came (refused, reset, timed out). */
  readonly error?: string;
}

/** Adds credentials to a request about to be sent. */
export type Authorize = (request: Request) => Promise<Request>;

export interface SenderOptions {
  /** e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod`; paths are appended to it. */
  readonly baseUrl: string;
  /** Requests per second, at most. */
  readonly rate: number;
  /** Requests in all, retries included. */
  readonly maxRequests: number;
  /** Time limit of one request, in milliseconds. */
  readonly timeoutMs: number;
  readonly authorize?: Authorize;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
}

export interface Sender {
  send(request: {
    readonly method: string;
    readonly path: string;
    readonly query?: ReadonlyArray<readonly [string, string]>;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string;
  }): Promise<Exchange>;
  /** Requests sent so far, retries included. */
  readonly sent: number;
}

/** Thrown when the next request would pass `maxRequests`. */
export class BudgetExhaustedError extends Error {
  override readonly name = 'BudgetExhaustedError';
}

const MAX_THROTTLE_RETRIES = 2;
const MAX_RETRY_AFTER_S = 30;
const USER_AGENT = 'dynamo-crud-contract-tests';

export function createSender(options: SenderOptions): Sender {
  const base = options.baseUrl.replace(/\/+$/, '');
  const interval = 1000 / options.rate;
  const doFetch = options.fetch ?? globalThis.fetch;
  let next = 0;
  let sent = 0;

  /** Sequential requests need no scheduler: the next may start `interval` after the last. */
  async function pace(): Promise<void> {
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    next = Math.max(next, Date.now()) + interval;
  }

  async function once(request: SentRequest): Promise<Exchange> {
    if (sent >= options.maxRequests) {
      throw new BudgetExhaustedError(
        `the run reached --max-requests ${options.maxRequests}; raise it or lower --cases`,
      );
    }
    await pace();
    sent += 1;
    let outgoing = new Request(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    if (options.authorize !== undefined) outgoing = await options.authorize(outgoing);
    const seen: SentRequest = { ...request, headers: headersOf(outgoing.headers) };
    try {
      const response = await doFetch(outgoing, {
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'manual',
      });
      return {
        request: seen,
        response: {
          status: response.status,
          headers: headersOf(response.headers),
          body: await response.text(),
        },
      };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${options.timeoutMs} ms`
          : `${(error as Error).message}${cause === undefined ? '' : ` (${cause})`}`;
      return { request: seen, error: reason };
    }
  }

  return {
    get sent() {
      return sent;
    },
    async send(spec) {
      const search = new URLSearchParams(
        spec.query?.map(([k, v]): [string, string] => [k, v]) ?? [],
      ).toString();
      const request: SentRequest = {
        method: spec.method,
        url: `${base}${spec.path}${search === '' ? '' : `?${search}`}`,
        headers: { 'user-agent': USER_AGENT, ...spec.headers },
        ...(spec.body === undefined ? {} : { body: spec.body }),
      };
      let exchange = await once(request);
      for (
        let retry = 0;
        retry < MAX_THROTTLE_RETRIES && exchange.response?.status === 429;
        retry += 1
      ) {
        const after = Number(exchange.response.headers['retry-after'] ?? 1);
        await sleep(Math.min(Number.isFinite(after) ? after : 1, MAX_RETRY_AFTER_S) * 1000);
        exchange = await once(request);
      }
      return exchange;
    },
  };
}

const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'x-amz-security-token', 'cookie']);

/** Headers as they may be printed: credentials replaced by `[redacted]`. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      SECRET_HEADERS.has(name) ? '[redacted]' : value,
    ]),
  );
}

function headersOf(headers: Headers): Record<string, string> {
  const found: Record<string, string> = {};
  headers.forEach((value, name) => {
    found[name] = value;
  });
  return found;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
