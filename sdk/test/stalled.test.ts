/**
 * The time limit covers the whole answer: a server that sends its headers, then part of the
 * body, then nothing, over a real socket (msw cannot stall halfway through a body). Each case
 * is a different read of an answer; every one ends in a `TimeoutError` at the limit, or in the
 * caller's own abort, and the connection is let go.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ClientOptions,
  createClient,
  type DynamoCrudClient,
  isTimeoutError,
  TimeoutError,
} from '../src/index.js';

const TIMEOUT_MS = 500;
const item = JSON.stringify({ user_id: 'ada', name: 'Ada', note: 'x'.repeat(200) });
const problem = JSON.stringify({
  type: 'urn:problem-type:dynamo-crud:service-unavailable',
  title: 'Service unavailable',
  status: 503,
  detail: 'The database is busy or unreachable; retry after the time in Retry-After.',
});

type Script = (req: IncomingMessage, res: ServerResponse) => void;

/** Sends `status` and headers for `body`, then its first half, then nothing more. */
const halfBody =
  (status: number, body: string, headers: Record<string, string> = {}): Script =>
  (_req, res) => {
    res.writeHead(status, {
      'content-type': status < 400 ? 'application/json' : 'application/problem+json',
      'content-length': String(Buffer.byteLength(body)),
      etag: '"1"',
      location: '/dynamo?user_id=ada',
      ...headers,
    });
    res.write(body.slice(0, body.length >> 1));
  };

let server: Server;
let baseUrl: string;
let scripts: Script[] = [];
let served = 0;
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    const script = scripts[Math.min(served, scripts.length - 1)];
    served++;
    req.resume();
    script?.(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  served = 0;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const client = (options: Partial<ClientOptions> = {}) =>
  createClient({ baseUrl, timeout: TIMEOUT_MS, retry: false, ...options });

/** How the call ended, and after how many ms. */
async function settle(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const start = performance.now();
  const error = await call().then(
    () => new Error('expected the call to fail'),
    (reason: unknown) => reason,
  );
  return { error, ms: performance.now() - start };
}

/** Waits until the server has no open answer: the client let the connection go. */
async function connectionsReleased(): Promise<void> {
  for (let i = 0; i < 100 && open.size > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(open.size).toBe(0);
}

const calls: Array<[string, (api: DynamoCrudClient) => Promise<unknown>]> = [
  ['getItem', (api) => api.getItem('x')],
  ['createItem', (api) => api.createItem({ user_id: 'ada' })],
  ['updateItem', (api) => api.updateItem({ user_id: 'ada', updatedKey: 'a', updatedValue: 1 })],
  ['deleteItem', (api) => api.deleteItem('ada')],
];

describe('an answer whose body stalls', () => {
  it('createClient({ timeout: 500, retry: false }).getItem(x): 200 headers, half a body, then nothing, is a TimeoutError at 500 ms', async () => {
    scripts = [halfBody(200, item)];

    const { error, ms } = await settle(() => client().getItem('x'));

    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ method: 'GET', url: `${baseUrl}/dynamo?user_id=x` });
    // Not before the limit: the time went to waiting for the body. (The upper bound is the
    // test's own time limit; elapsed time is never asserted as a speed.)
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 2);
    await connectionsReleased();
  });

  it.each(calls)('%s: a stalled success body is a TimeoutError', async (_name, run) => {
    scripts = [halfBody(200, item)];

    const { error } = await settle(() => run(client()));

    expect(isTimeoutError(error)).toBe(true);
    await connectionsReleased();
  });

  it('a stalled 201 body is a TimeoutError too', async () => {
    scripts = [halfBody(201, item)];

    const { error } = await settle(() => client().createItem({ user_id: 'ada' }));

    expect(isTimeoutError(error)).toBe(true);
  });

  it("a stalled error body (a 503's problem) is a TimeoutError, not a retry", async () => {
    scripts = [halfBody(503, problem, { 'retry-after': '0' })];

    const { error } = await settle(() => client({ retry: 3 }).getItem('x'));

    expect(isTimeoutError(error)).toBe(true);
    expect(served).toBe(1);
  });

  it('the limit is per attempt: a retry whose body stalls times out on its own', async () => {
    scripts = [
      (_req, res) => {
        res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' });
        res.end(problem);
      },
      halfBody(200, item),
    ];

    const { error } = await settle(() => client({ retry: 1 }).getItem('x'));

    expect(isTimeoutError(error)).toBe(true);
    expect(served).toBe(2);
  });

  it('a body that trickles past the limit, a byte now and then, is a TimeoutError', async () => {
    scripts = [
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', etag: '"1"' });
        let sent = 0;
        const drip = setInterval(() => {
          if (res.destroyed || sent >= item.length) {
            clearInterval(drip);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(item[sent++] ?? '');
        }, 50);
        res.once('close', () => clearInterval(drip));
      },
    ];

    const { error } = await settle(() => client().getItem('x'));

    expect(isTimeoutError(error)).toBe(true);
  });

  it('a per-call timeout covers the body too', async () => {
    scripts = [halfBody(200, item)];

    const { error, ms } = await settle(() =>
      client({ timeout: false }).getItem('x', { timeout: 100 }),
    );

    expect(isTimeoutError(error)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(98);
  });

  it('holds even with a fetch that ignores the signal', async () => {
    scripts = [halfBody(200, item)];
    const deaf: typeof fetch = (input, init) => {
      const { signal: _ignored, ...rest } = init ?? {};
      return fetch(input, rest);
    };

    const { error } = await settle(() => client({ fetch: deaf }).getItem('x'));

    expect(isTimeoutError(error)).toBe(true);
    for (const res of open) res.destroy();
  });

  it("ends with the caller's abort while the body stalls", async () => {
    scripts = [halfBody(200, item)];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    const { error } = await settle(() =>
      client({ timeout: false }).getItem('x', { signal: controller.signal }),
    );

    expect(error).toMatchObject({ name: 'AbortError' });
    await connectionsReleased();
  });
});
