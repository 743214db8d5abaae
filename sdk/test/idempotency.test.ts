/**
 * Writes the SDK retries safely: an answer lost on the way back (msw lets the request reach the
 * real local server, then breaks the connection instead of handing the answer over) is retried
 * with the same `Idempotency-Key`, and the server's replay of its first answer is the result.
 * One write, whatever the network did.
 */
import { randomUUID } from 'node:crypto';
import { bypass, HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { newIdempotencyKey } from '../src/idempotency.js';
import { createClient } from '../src/index.js';
import { useLocalApi } from './support/local-api.js';

const api = useLocalApi();
/** Requests to the local server pass through, untouched unless a test says otherwise. */
const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: 'bypass' }));
afterEach(() => {
  network.resetHandlers();
  vi.unstubAllGlobals();
});
afterAll(() => network.close());

/**
 * The first `count` answers to `method` requests never arrive: each request is carried out by
 * the server, then the connection breaks. Returns the requests as they were sent.
 */
function loseAnswers(method: 'POST' | 'PATCH', count: number): Request[] {
  const sent: Request[] = [];
  network.use(
    http.all(`${api.url}/dynamo`, async ({ request }) => {
      if (request.method !== method) return fetch(bypass(request));
      sent.push(request.clone());
      const answered = await fetch(bypass(request));
      return sent.length <= count ? HttpResponse.error() : answered;
    }),
  );
  return sent;
}

const client = () => createClient({ baseUrl: api.url, retry: { limit: 2, backoffLimit: 10 } });
const newId = () => `lost-${randomUUID()}`;

describe('a write whose answer was lost', () => {
  it('createItem ends with one item and the 201 of the first attempt', async () => {
    const item = { user_id: newId(), name: 'Ada' };
    const sent = loseAnswers('POST', 1);

    const created = await client().createItem(item);

    expect(created).toEqual({
      item,
      etag: expect.stringMatching(/^"1\./),
      location: `${api.url}/dynamo?user_id=${encodeURIComponent(item.user_id)}`,
    });
    expect(sent).toHaveLength(2);
    expect(sent[1]?.headers.get('idempotency-key')).toBe(sent[0]?.headers.get('idempotency-key'));
    network.resetHandlers();
    expect(await client().getItem(item.user_id)).toEqual({ item, etag: created.etag });
  });

  it('createItem without its key would have failed: the repeat is a 409', async () => {
    const item = { user_id: newId() };
    loseAnswers('POST', 1);

    // The same request without the SDK's key, as a plain fetch retrying would send it.
    const first = await fetch(`${api.url}/dynamo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(item),
    }).catch((error: unknown) => error);
    network.resetHandlers();
    const repeat = await fetch(`${api.url}/dynamo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(item),
    });

    expect(first).toBeInstanceOf(TypeError);
    expect(repeat.status).toBe(409);
  });

  it.each([
    [
      'updateItem',
      (userId: string, ifMatch: string) =>
        client().updateItem(
          { user_id: userId, updatedKey: 'visits', updatedValue: 2 },
          { ifMatch },
        ),
    ],
    [
      'mergeItem',
      (userId: string, ifMatch: string) =>
        client().mergeItem({ user_id: userId, visits: 2 }, { ifMatch }),
    ],
  ])('%s twice lost ends with one write: version 2, not a 412', async (_name, update) => {
    const userId = newId();
    const created = await client().createItem({ user_id: userId, visits: 1 });
    loseAnswers('PATCH', 2);

    const updated = await update(userId, created.etag);

    expect(updated).toEqual({
      item: { user_id: userId, visits: 2 },
      etag: created.etag.replace(/^"1\./, '"2.'),
    });
    network.resetHandlers();
    expect((await client().getItem(userId)).etag).toBe(updated.etag);
  });
});

describe('newIdempotencyKey', () => {
  it('is a random UUID (version 4)', () => {
    const keys = new Set(Array.from({ length: 100 }, newIdempotencyKey));

    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(UUID_V4);
  });

  it('is one too where crypto.randomUUID is missing (a page on plain http)', () => {
    const { getRandomValues } = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: getRandomValues.bind(globalThis.crypto) });

    const keys = new Set(Array.from({ length: 100 }, newIdempotencyKey));

    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(UUID_V4);
  });
});

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
