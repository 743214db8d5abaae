/**
 * What the local server cannot be made to do on cue: throttling with `Retry-After`, answers that
 * never come, dropped connections, problems from something other than this API. msw answers
 * instead of a server (unhandled requests are errors, so nothing leaves the process). Waits are
 * measured on a fake clock, never on the wall clock.
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import {
  type ClientOptions,
  createClient,
  isNetworkError,
  isProblemError,
  isResponseError,
  isTimeoutError,
  NetworkError,
  type Problem,
  ProblemError,
  type ResponseError,
  TimeoutError,
} from '../src/index.js';
import { useMswServer } from './support/msw.js';
import { rejection } from './support/rejection.js';

const BASE_URL = 'http://api.test';
const ITEMS = `${BASE_URL}/dynamo`;
const server = useMswServer();

const item = { user_id: 'ada', name: 'Ada' };
const ok = (status = 200) =>
  HttpResponse.json(item, {
    status,
    headers: { etag: '"1"', ...(status === 201 ? { location: '?user_id=ada' } : {}) },
  });
const problem = (status: number, headers: Record<string, string> = {}): HttpResponse<Problem> =>
  HttpResponse.json(
    {
      type: `urn:problem-type:dynamo-crud:${status === 429 ? 'throttled' : 'service-unavailable'}`,
      title: status === 429 ? 'Too many requests' : 'Service unavailable',
      status,
      detail: 'Try again later.',
    },
    { status, headers: { 'content-type': 'application/problem+json', ...headers } },
  );

/** The four operations, each as a call the client makes, with the method it sends. */
const calls = {
  getItem: { method: 'GET', run: (api: ReturnType<typeof createClient>) => api.getItem('ada') },
  createItem: {
    method: 'POST',
    run: (api: ReturnType<typeof createClient>) => api.createItem(item),
  },
  updateItem: {
    method: 'PATCH',
    run: (api: ReturnType<typeof createClient>) =>
      api.updateItem({ user_id: 'ada', updatedKey: 'name', updatedValue: 'x' }, { ifMatch: '"1"' }),
  },
  deleteItem: {
    method: 'DELETE',
    run: (api: ReturnType<typeof createClient>) => api.deleteItem('ada', { ifMatch: '"1"' }),
  },
} as const;

/**
 * Answers every request to `/dynamo` with the next of `answers` (the last one repeats), and
 * records the requests.
 */
function answer(...answers: Array<() => Response | Promise<Response>>): Request[] {
  const seen: Request[] = [];
  server.use(
    http.all(ITEMS, ({ request }) => {
      seen.push(request);
      const next = answers[Math.min(seen.length, answers.length) - 1];
      if (next === undefined) throw new Error('no answer scripted');
      return next();
    }),
  );
  return seen;
}

const client = (options: Partial<ClientOptions> = {}) =>
  createClient({ baseUrl: BASE_URL, ...options });

/** Lets the client run until it has scheduled a timer (its wait before a retry). */
async function untilTimerScheduled(): Promise<void> {
  for (let turn = 0; turn < 10_000; turn++) {
    if (vi.getTimerCount() > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the client scheduled no timer');
}

describe('retries', () => {
  it.each([503, 429])(
    'waits exactly Retry-After after a %i, then retries a read',
    async (status) => {
      const seen = answer(
        () => problem(status, { 'retry-after': '2' }),
        () => ok(),
      );
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const start = Date.now();

      const pending = client({ timeout: false }).getItem('ada');
      await untilTimerScheduled();
      expect(seen).toHaveLength(1);
      await vi.advanceTimersToNextTimerAsync();

      expect(Date.now() - start).toBe(2000);
      await expect(pending).resolves.toEqual({ item, etag: '"1"' });
      expect(seen).toHaveLength(2);
    },
  );

  it('understands Retry-After as an HTTP date', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const seen = answer(
      () => problem(503, { 'retry-after': 'Tue, 01 Jan 2030 00:00:03 GMT' }),
      () => ok(),
    );

    const pending = client({ timeout: false }).getItem('ada');
    await untilTimerScheduled();
    await vi.advanceTimersToNextTimerAsync();

    expect(Date.now()).toBe(Date.parse('2030-01-01T00:00:03Z'));
    await expect(pending).resolves.toMatchObject({ item });
    expect(seen).toHaveLength(2);
  });

  it.each(['updateItem', 'deleteItem'] as const)('retries %s after a 503', async (name) => {
    const seen = answer(
      () => problem(503, { 'retry-after': '1' }),
      () => ok(),
    );
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });

    const pending = calls[name].run(client({ timeout: false }));
    await untilTimerScheduled();
    await vi.advanceTimersToNextTimerAsync();

    await expect(pending).resolves.toMatchObject({ item });
    expect(seen.map((request) => request.method)).toEqual([calls[name].method, calls[name].method]);
    expect(seen[1]?.headers.get('if-match')).toBe('"1"');
    // The retry is the same request: the same body, sent again.
    expect(await seen[1]?.text()).toBe(await seen[0]?.text());
  });

  it.each([503, 429])(
    'retries a create (POST) after a %i, with the same Idempotency-Key and body',
    async (status) => {
      const seen = answer(
        () => problem(status, { 'retry-after': '1' }),
        () => ok(201),
      );
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });

      const pending = client({ timeout: false }).createItem(item);
      await untilTimerScheduled();
      await vi.advanceTimersToNextTimerAsync();

      await expect(pending).resolves.toMatchObject({ item, etag: '"1"' });
      const [first, second] = seen.map((request) => request.headers.get('idempotency-key'));
      expect(first).toMatch(
        /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/,
      );
      expect(second).toBe(first);
      expect(await seen[1]?.text()).toBe(await seen[0]?.text());
    },
  );

  it('retries a write whose first attempt is still running (409 with Retry-After), after it', async () => {
    const seen = answer(
      () => problem(409, { 'retry-after': '1' }),
      () => ok(201),
    );
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const start = Date.now();

    const pending = client({ timeout: false }).createItem(item);
    await untilTimerScheduled();
    await vi.advanceTimersToNextTimerAsync();

    await expect(pending).resolves.toMatchObject({ item });
    expect(Date.now() - start).toBe(1000);
    expect(seen).toHaveLength(2);
  });

  it('never retries a 409 without Retry-After: the item exists', async () => {
    const seen = answer(() => problem(409));

    const error = await rejection(client({ retry: 5 }).createItem(item));

    expect(isProblemError(error) && error.status).toBe(409);
    expect(seen).toHaveLength(1);
  });

  it.each([
    ['getItem', () => client().getItem('ada')],
    ['deleteItem', () => client().deleteItem('ada')],
  ])('sends no Idempotency-Key with %s, idempotent already', async (_name, call) => {
    const seen = answer(() => ok());

    await call();

    expect(seen[0]?.headers.has('idempotency-key')).toBe(false);
  });

  it('gives up after the limit with the last answer, backing off when there is no Retry-After', async () => {
    const seen = answer(() => problem(503));

    const error = await rejection(client({ retry: { limit: 3, backoffLimit: 5 } }).getItem('ada'));

    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).retryAfter).toBeUndefined();
    expect(seen).toHaveLength(4);
  });

  it('backs off from 300 ms, doubling, with full jitter, up to backoffLimit', async () => {
    const sentAt: number[] = [];
    const at = (respond: () => Response) => () => {
      sentAt.push(Date.now());
      return respond();
    };
    const unavailable = at(() => problem(503));
    const seen = answer(unavailable, unavailable, unavailable, at(ok));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // Full jitter waits a random share of each step: here half of 300, 600, then 1200 ms.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);

    const pending = client({ timeout: false, retry: { limit: 3, backoffLimit: 500 } }).getItem(
      'ada',
    );
    for (let retry = 1; retry <= 3; retry++) {
      await untilTimerScheduled();
      await vi.advanceTimersToNextTimerAsync();
    }

    await expect(pending).resolves.toMatchObject({ item });
    expect(seen).toHaveLength(4);
    expect(sentAt.slice(1).map((sent, i) => sent - (sentAt[i] ?? 0))).toEqual([150, 300, 500]);
  });

  it('fails at once when Retry-After is longer than maxRetryAfter, saying how long', async () => {
    const seen = answer(() => problem(503, { 'retry-after': '120' }));

    const error = await rejection(client({ retry: { maxRetryAfter: 60_000 } }).getItem('ada'));

    expect(isProblemError(error)).toBe(true);
    expect((error as ProblemError).retryAfter).toBe(120);
    expect(seen).toHaveLength(1);
  });

  it.each([400, 404, 409, 412, 413, 500, 502])('does not retry a %i', async (status) => {
    const seen = answer(() => problem(status));

    const error = await rejection(client().getItem('ada'));

    expect((error as ProblemError).status).toBe(status);
    expect(seen).toHaveLength(1);
  });

  it('does not retry when retry is false', async () => {
    const seen = answer(() => problem(503, { 'retry-after': '1' }));

    await rejection(client({ retry: false }).getItem('ada'));

    expect(seen).toHaveLength(1);
  });
});

describe('timeouts', () => {
  /** An answer that never comes: the handler waits until the client gives up. */
  const never = (seen: Request[]) => () =>
    new Promise<Response>((resolve) => {
      seen.at(-1)?.signal.addEventListener('abort', () => resolve(ok()));
    });

  it('throws a TimeoutError when an attempt gets no answer in time, and does not retry it', async () => {
    const seen: Request[] = answer(() => never(seen)());

    const error = await rejection(client({ timeout: 50 }).getItem('ada'));

    expect(error).toBeInstanceOf(TimeoutError);
    expect(isTimeoutError(error)).toBe(true);
    expect(isNetworkError(error) || isProblemError(error)).toBe(false);
    expect(error).toMatchObject({
      name: 'TimeoutError',
      method: 'GET',
      url: `${ITEMS}?user_id=ada`,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.signal.aborted).toBe(true);
  });

  it('takes a per-call timeout over the client one', async () => {
    const seen: Request[] = answer(() => never(seen)());

    const error = await rejection(client({ timeout: false }).deleteItem('ada', { timeout: 30 }));

    expect(isTimeoutError(error)).toBe(true);
  });

  it('reports AbortSignal.timeout() as a TimeoutError too', async () => {
    const seen: Request[] = answer(() => never(seen)());

    const error = await rejection(
      client({ timeout: false }).getItem('ada', { signal: AbortSignal.timeout(30) }),
    );

    expect(isTimeoutError(error)).toBe(true);
    expect((error as TimeoutError).cause).toMatchObject({ name: 'TimeoutError' });
  });
});

describe('aborting', () => {
  it('rejects with the AbortError of an aborted call, unwrapped', async () => {
    const controller = new AbortController();
    const seen: Request[] = answer(
      () =>
        new Promise<Response>((resolve) => {
          seen.at(-1)?.signal.addEventListener('abort', () => resolve(ok()));
          controller.abort();
        }),
    );

    const error = await rejection(client().getItem('ada', { signal: controller.signal }));

    expect(error).toMatchObject({ name: 'AbortError' });
    expect(isTimeoutError(error) || isNetworkError(error) || isProblemError(error)).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it('stops waiting to retry when the call is aborted', async () => {
    const controller = new AbortController();
    const seen = answer(() => problem(503, { 'retry-after': '30' }));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });

    const pending = rejection(
      client({ timeout: false }).getItem('ada', { signal: controller.signal }),
    );
    await untilTimerScheduled();
    controller.abort();

    expect(await pending).toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(1);
  });

  it('sends nothing for a signal aborted before the call', async () => {
    const seen = answer(() => ok());

    const error = await rejection(client().getItem('ada', { signal: AbortSignal.abort() }));

    expect(error).toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(0);
  });
});

describe('network errors', () => {
  it('throws a NetworkError, with the cause, after retrying a read', async () => {
    const seen = answer(() => HttpResponse.error());

    const error = await rejection(client({ retry: { limit: 2, backoffLimit: 5 } }).getItem('ada'));

    expect(error).toBeInstanceOf(NetworkError);
    expect(isNetworkError(error)).toBe(true);
    expect(isProblemError(error) || isTimeoutError(error)).toBe(false);
    expect(error).toMatchObject({
      name: 'NetworkError',
      method: 'GET',
      url: `${ITEMS}?user_id=ada`,
    });
    expect((error as NetworkError).cause).toBeInstanceOf(TypeError);
    expect(seen).toHaveLength(3);
  });

  it('retries a create after a network error, with its one Idempotency-Key', async () => {
    const seen = answer(() => HttpResponse.error());

    const error = await rejection(
      client({ retry: { limit: 2, backoffLimit: 5 } }).createItem(item),
    );

    expect(isNetworkError(error)).toBe(true);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((request) => request.headers.get('idempotency-key'))).size).toBe(1);
  });

  it('recovers when a retry gets through', async () => {
    const seen = answer(
      () => HttpResponse.error(),
      () => ok(),
    );

    await expect(client({ retry: { backoffLimit: 5 } }).getItem('ada')).resolves.toMatchObject({
      item,
    });
    expect(seen).toHaveLength(2);
  });
});

describe('problems', () => {
  it('parses the API problem+json, validation errors included', async () => {
    const body = {
      type: 'urn:problem-type:dynamo-crud:validation',
      title: 'Invalid request',
      status: 400,
      detail: 'Body field /user_id must be at least 1 character long.',
      instance: 'req-1',
      errors: [{ pointer: '/user_id', detail: 'must be at least 1 character long' }],
    };
    answer(() =>
      HttpResponse.json(body, {
        status: 400,
        headers: { 'content-type': 'application/problem+json' },
      }),
    );

    const error = await rejection(client().createItem({ user_id: '' }));

    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toMatchObject({ name: 'ProblemError', status: 400, problem: body });
    expect((error as ProblemError).message).toBe(
      '400 Invalid request: Body field /user_id must be at least 1 character long.',
    );
    expect((error as ProblemError).response.status).toBe(400);
  });

  it("makes a problem of a gateway's JSON error", async () => {
    answer(() =>
      HttpResponse.json(
        { message: 'Missing Authentication Token' },
        { status: 403, statusText: 'Forbidden' },
      ),
    );

    const error = await rejection(client().getItem('ada'));

    expect((error as ProblemError).problem).toEqual({
      type: 'about:blank',
      title: 'Forbidden',
      status: 403,
      detail: 'Missing Authentication Token',
    });
  });

  it('makes a problem of a text error body', async () => {
    answer(
      () =>
        new HttpResponse('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );

    const error = await rejection(client().getItem('ada'));

    expect((error as ProblemError).problem).toEqual({
      type: 'about:blank',
      title: 'Bad Gateway',
      status: 502,
      detail: '<html>Bad Gateway</html>',
    });
  });

  it('makes a problem of an empty error answer without a status text (as over HTTP/2)', async () => {
    const bare = async () => new Response(null, { status: 500 });

    const error = await rejection(client({ fetch: bare }).getItem('ada'));

    expect((error as ProblemError).problem).toEqual({
      type: 'about:blank',
      title: 'HTTP 500',
      status: 500,
      detail: 'The server answered 500 without a problem body.',
    });
  });

  it('says which header is missing when a success hides the ETag, and that nothing was written', async () => {
    answer(() => HttpResponse.json(item));

    const error = await rejection(client().getItem('ada'));

    expect(isResponseError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'ResponseError', status: 200, written: false });
    expect((error as ResponseError).message).toMatch(
      /^GET http:\/\/api\.test\/dynamo\?user_id=ada answered 200, but its ETag header cannot be read\. .*Access-Control-Expose-Headers/,
    );
  });

  it.each(
    Object.entries({
      ...calls,
      mergeItem: {
        method: 'PATCH',
        run: (api: ReturnType<typeof createClient>) =>
          api.mergeItem({ user_id: 'ada', name: 'x' }, { ifMatch: '"1"' }),
      },
    }),
  )(
    "refuses a %s answer about another item's user_id, as a cache keyed without the query gives",
    async (_name, { method, run }) => {
      answer(() =>
        HttpResponse.json(
          { user_id: 'grace', name: 'Grace' },
          {
            status: method === 'POST' ? 201 : 200,
            headers: { etag: '"1"', location: '?user_id=grace' },
          },
        ),
      );

      const error = await rejection(run(client({ retry: false })));

      expect(isResponseError(error)).toBe(true);
      expect(error).toMatchObject({ status: method === 'POST' ? 201 : 200 });
      expect((error as ResponseError).message).toMatch(
        /its item's user_id is "grace", not "ada", the one asked for/,
      );
    },
  );

  it('type guards reject look-alikes', () => {
    const fake = Object.assign(new Error('x'), { name: 'ProblemError', status: 400 });

    expect(isProblemError(fake)).toBe(false);
    expect(isNetworkError({ name: 'NetworkError' })).toBe(false);
    expect(isTimeoutError(new DOMException('late', 'TimeoutError'))).toBe(false);
    expect(isProblemError(undefined)).toBe(false);
  });
});

describe('auth and headers', () => {
  it('sends static headers, the API key and a bearer token on every call', async () => {
    const seen = answer(() => ok());

    await client({
      headers: { 'x-tenant': 'blue' },
      apiKey: 'key-123',
      bearerToken: 'token-abc',
    }).getItem('ada');

    expect(seen[0]?.headers.get('x-tenant')).toBe('blue');
    expect(seen[0]?.headers.get('x-api-key')).toBe('key-123');
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer token-abc');
  });

  it('asks for a token and headers before each attempt, so retries use fresh ones', async () => {
    const seen = answer(
      () => problem(503, { 'retry-after': '1' }),
      () => ok(),
    );
    let issued = 0;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });

    const pending = client({
      timeout: false,
      bearerToken: async () => `token-${++issued}`,
      headers: () => ({ 'x-attempt-at': String(Date.now()) }),
    }).getItem('ada');
    await untilTimerScheduled();
    await vi.advanceTimersToNextTimerAsync();
    await pending;

    expect(seen.map((request) => request.headers.get('authorization'))).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
    const [first, second] = seen.map((request) => Number(request.headers.get('x-attempt-at')));
    expect((second ?? 0) - (first ?? 0)).toBe(1000);
  });

  const sealed = () => Promise.reject(new Error('vault sealed'));
  it.each([
    ['bearerToken', (given: typeof sealed) => ({ bearerToken: given })],
    ['headers', (given: typeof sealed) => ({ headers: given })],
    ['fetch', (given: typeof sealed) => ({ fetch: given })],
  ])(
    'passes on what a function given as %s throws, and does not retry it',
    async (_name, with_) => {
      const seen = answer(() => ok());
      const given = vi.fn(sealed);

      const error = await rejection(client(with_(given)).getItem('ada'));

      expect(error).toEqual(new Error('vault sealed'));
      expect(given).toHaveBeenCalledTimes(1);
      expect(seen).toHaveLength(0);
    },
  );

  it('sends requests through the given fetch', async () => {
    const sent: string[] = [];
    const seen = answer(() => ok());

    await client({
      fetch: (input, init) => {
        sent.push(input instanceof Request ? input.url : String(input));
        return fetch(input, init);
      },
    }).getItem('ada');

    expect(sent).toEqual([`${ITEMS}?user_id=ada`]);
    expect(seen).toHaveLength(1);
  });

  it('joins the base URL and the path whatever the trailing slashes', async () => {
    const seen = answer(() => ok());

    await createClient({ baseUrl: `${BASE_URL}//` }).getItem('ada');

    expect(seen[0]?.url).toBe(`${ITEMS}?user_id=ada`);
  });
});
