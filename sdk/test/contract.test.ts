/**
 * The SDK against the real API: every operation and every error status, through the local HTTP
 * server on a real engine. What the SDK returns is checked against what the wire carried, and
 * every answer on the wire against openapi.yaml.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createClient,
  type DynamoCrudClient,
  isProblemError,
  type Problem,
  ProblemError,
} from '../src/index.js';
import {
  type Exchange,
  expectContractResponse,
  MAX_BODY_BYTES,
  operationOf,
  recordingFetch,
  useLocalApi,
  useUnavailableApi,
} from './support/local-api.js';

const newId = () => `user-${randomUUID()}`;

/**
 * ETags are opaque to the SDK; these tests know the server's: version 1 of a new item, and the
 * ETag after one more write of the item that had `etag`.
 */
const firstEtag = () => expect.stringMatching(/^"1\.[A-Za-z0-9_-]{12}"$/);
const nextEtag = (etag: string) => etag.replace(/^"(\d+)/, (_, v) => `"${Number(v) + 1}`);

/** The rejection of `promise`, which must be a `ProblemError`. */
async function problemOf(promise: Promise<unknown>): Promise<ProblemError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProblemError);
  if (!isProblemError(error)) throw error;
  return error;
}

/** Asserts the shape every error of this API has: problem+json whose status is the answer's. */
function expectProblem(error: ProblemError, status: number, type: string): Problem {
  expect(error.name).toBe('ProblemError');
  expect(error.status).toBe(status);
  expect(error.problem.status).toBe(status);
  expect(error.problem.type).toBe(`urn:problem-type:dynamo-crud:${type}`);
  expect(error.message).toBe(`${status} ${error.problem.title}: ${error.problem.detail}`);
  return error.problem;
}

describe('the SDK against the local server', () => {
  const server = useLocalApi();
  let exchanges: Exchange[] = [];
  let api: DynamoCrudClient;

  const client = (options: { retry?: false } = {}) => {
    const recorder = recordingFetch();
    exchanges = recorder.exchanges;
    api = createClient({ baseUrl: server.url, fetch: recorder.fetch, ...options });
    return api;
  };

  afterEach(() => {
    // Every answer the SDK saw is one openapi.yaml allows.
    for (const exchange of exchanges) {
      expectContractResponse(operationOf(exchange), exchange.response);
    }
  });

  describe('createItem', () => {
    it('creates the item and returns it with its ETag and Location', async () => {
      const item = { user_id: newId(), name: 'Ada', tags: ['x'], nested: { ok: true }, n: 1.5 };

      const created = await client().createItem(item);

      expect(created).toEqual({
        item,
        etag: firstEtag(),
        location: `${server.url}/dynamo?user_id=${encodeURIComponent(item.user_id)}`,
      });
      expect(exchanges).toHaveLength(1);
      expect(exchanges[0]?.method).toBe('POST');
      expect(exchanges[0]?.headers['content-type']).toBe('application/json');
      expect(exchanges[0]?.headers['idempotency-key']).toMatch(/^"[0-9a-f-]{36}"$/);
    });

    it('sends a new Idempotency-Key with each call, or the one given', async () => {
      await client().createItem({ user_id: newId() });
      await api.createItem({ user_id: newId() });
      await api.createItem({ user_id: newId() }, { idempotencyKey: 'order-42 "rush"' });

      const [first, second, given] = exchanges.map((e) => e.headers['idempotency-key']);
      expect(first).not.toBe(second);
      expect(given).toBe('"order-42 \\"rush\\""');
    });

    it('gets the first answer again for a call repeated with its key, and one item', async () => {
      const item = { user_id: newId(), name: 'Ada' };

      const created = await client().createItem(item, { idempotencyKey: item.user_id });
      const repeated = await api.createItem(item, { idempotencyKey: item.user_id });

      expect(repeated).toEqual(created);
      expect(exchanges[1]?.response.headers['idempotent-replayed']).toBe('true');
    });

    it('throws a 422 ProblemError for a key repeated with another item', async () => {
      const key = randomUUID();
      await client().createItem({ user_id: newId() }, { idempotencyKey: key });

      const error = await problemOf(api.createItem({ user_id: newId() }, { idempotencyKey: key }));

      expectProblem(error, 422, 'idempotency-key-reused');
    });

    it('refuses a key the API would refuse before sending anything', async () => {
      await expect(
        client().createItem({ user_id: newId() }, { idempotencyKey: 'ü' }),
      ).rejects.toThrow(/^idempotencyKey must be 1 to 255 printable ASCII characters/);
      expect(exchanges).toHaveLength(0);
    });

    it('throws a 409 ProblemError for an existing user_id, and is not retried', async () => {
      const userId = newId();
      await client().createItem({ user_id: userId, v: 'first' });

      const error = await problemOf(api.createItem({ user_id: userId, v: 'second' }));

      expect(expectProblem(error, 409, 'conflict').detail).toContain(userId);
      expect(exchanges).toHaveLength(2);
      expect((await api.getItem(userId)).item).toEqual({ user_id: userId, v: 'first' });
    });

    it('throws a 400 ProblemError naming each bad field', async () => {
      const error = await problemOf(client().createItem({ user_id: '' }));

      const problem = expectProblem(error, 400, 'validation');
      expect(problem.errors).toEqual([
        { pointer: '/user_id', detail: 'must be at least 1 character long' },
      ]);
    });

    it('throws a 413 ProblemError for a body over the limit', async () => {
      const item = { user_id: newId(), blob: 'x'.repeat(MAX_BODY_BYTES) };

      const error = await problemOf(client().createItem(item));

      expectProblem(error, 413, 'payload-too-large');
    });

    it('throws a 415 ProblemError when the body is sent as something other than JSON', async () => {
      const error = await problemOf(
        client().createItem({ user_id: newId() }, { headers: { 'content-type': 'text/plain' } }),
      );

      expectProblem(error, 415, 'unsupported-media-type');
    });
  });

  describe('getItem', () => {
    it('returns the item and its ETag', async () => {
      const item = { user_id: newId(), visits: 3, name: null, list: [1, 'two', { three: 3 }] };
      const created = await client().createItem(item);

      const read = await api.getItem(item.user_id);

      expect(read).toEqual({ item, etag: created.etag });
    });

    it('encodes the user_id in the query: any characters round-trip', async () => {
      const userId = `a&b=c?d/e #%+ ü ${randomUUID()}`;
      await client().createItem({ user_id: userId });

      const read = await api.getItem(userId);

      expect(read.item.user_id).toBe(userId);
      expect(exchanges[1]?.url.searchParams.get('user_id')).toBe(userId);
    });

    it('throws a 404 ProblemError when no item has the user_id', async () => {
      const userId = newId();

      const error = await problemOf(client().getItem(userId));

      expect(expectProblem(error, 404, 'not-found').detail).toContain(userId);
      expect(exchanges).toHaveLength(1);
    });

    it('throws a 400 ProblemError naming the parameter', async () => {
      const error = await problemOf(client().getItem('x'.repeat(513)));

      const problem = expectProblem(error, 400, 'validation');
      expect(problem.errors?.[0]?.parameter).toBe('user_id');
    });
  });

  describe('updateItem', () => {
    it('sets one attribute and returns the whole item with its new ETag', async () => {
      const userId = newId();
      const created = await client().createItem({ user_id: userId, name: 'Ada', visits: 1 });

      const updated = await api.updateItem({
        user_id: userId,
        updatedKey: 'name',
        updatedValue: 'Ada Lovelace',
      });

      expect(updated).toEqual({
        item: { user_id: userId, name: 'Ada Lovelace', visits: 1 },
        etag: nextEtag(created.etag),
      });
      expect(exchanges[1]?.headers['if-match']).toBeUndefined();
    });

    it('sends ifMatch as If-Match: an ETag or the result that carried it', async () => {
      const userId = newId();
      const created = await client().createItem({ user_id: userId, visits: 1 });

      const first = await api.updateItem(
        { user_id: userId, updatedKey: 'visits', updatedValue: 2 },
        { ifMatch: created },
      );
      const second = await api.updateItem(
        { user_id: userId, updatedKey: 'visits', updatedValue: 3 },
        { ifMatch: first.etag },
      );

      expect(exchanges.map((e) => e.headers['if-match'])).toEqual([
        undefined,
        created.etag,
        first.etag,
      ]);
      expect(second).toEqual({ item: { user_id: userId, visits: 3 }, etag: nextEtag(first.etag) });
    });

    it('throws a 412 ProblemError for the result of an item since deleted and created again', async () => {
      const userId = newId();
      const alices = await client().createItem({ user_id: userId, owner: 'alice' });
      await api.deleteItem(userId);
      const bobs = await api.createItem({ user_id: userId, owner: 'bob' });

      const error = await problemOf(
        api.updateItem(
          { user_id: userId, updatedKey: 'owner', updatedValue: 'mallory' },
          { ifMatch: alices },
        ),
      );

      expectProblem(error, 412, 'precondition-failed');
      expect(bobs.etag).not.toBe(alices.etag);
      expect(await api.getItem(userId)).toEqual({
        item: { user_id: userId, owner: 'bob' },
        etag: bobs.etag,
      });
    });

    it('throws a 412 ProblemError for a stale ifMatch and writes nothing', async () => {
      const userId = newId();
      const created = await client().createItem({ user_id: userId, name: 'Ada' });
      const updated = await api.updateItem({
        user_id: userId,
        updatedKey: 'name',
        updatedValue: 'Grace',
      });

      const error = await problemOf(
        api.updateItem(
          { user_id: userId, updatedKey: 'name', updatedValue: 'Stale' },
          { ifMatch: created },
        ),
      );

      expectProblem(error, 412, 'precondition-failed');
      expect(await api.getItem(userId)).toEqual({
        item: { user_id: userId, name: 'Grace' },
        etag: updated.etag,
      });
    });

    it('throws a 404 ProblemError for a missing item (it never creates one)', async () => {
      const error = await problemOf(
        client().updateItem({ user_id: newId(), updatedKey: 'name', updatedValue: 'x' }),
      );

      expectProblem(error, 404, 'not-found');
    });

    it('throws a 400 ProblemError for updatedKey user_id', async () => {
      const userId = newId();
      await client().createItem({ user_id: userId });

      const error = await problemOf(
        api.updateItem({ user_id: userId, updatedKey: 'user_id', updatedValue: 'other' }),
      );

      expect(expectProblem(error, 400, 'validation').errors?.[0]?.pointer).toBe('/updatedKey');
    });

    it('throws a 413 ProblemError for a value over the body limit', async () => {
      const userId = newId();
      await client().createItem({ user_id: userId });

      const error = await problemOf(
        api.updateItem({
          user_id: userId,
          updatedKey: 'blob',
          updatedValue: 'x'.repeat(MAX_BODY_BYTES),
        }),
      );

      expectProblem(error, 413, 'payload-too-large');
    });

    it('throws a 415 ProblemError when the body is sent as something other than JSON', async () => {
      const error = await problemOf(
        client().updateItem(
          { user_id: newId(), updatedKey: 'a', updatedValue: 1 },
          { headers: { 'content-type': 'text/plain' } },
        ),
      );

      expectProblem(error, 415, 'unsupported-media-type');
    });

    it('refuses an empty ifMatch before sending anything', async () => {
      await expect(
        client().updateItem(
          { user_id: newId(), updatedKey: 'a', updatedValue: 1 },
          { ifMatch: { etag: '' } },
        ),
      ).rejects.toThrow(TypeError);
      expect(exchanges).toHaveLength(0);
    });
  });

  describe('mergeItem', () => {
    it('sets, removes and merges attributes in one write, and returns the item with its ETag', async () => {
      const userId = newId();
      const created = await client().createItem({
        user_id: userId,
        name: 'Ada',
        nickname: 'A',
        address: { city: 'London', zip: '1' },
      });

      const merged = await api.mergeItem({
        user_id: userId,
        name: 'Ada Lovelace',
        nickname: null,
        address: { zip: null, street: 'St James' },
      });

      expect(merged).toEqual({
        item: {
          user_id: userId,
          name: 'Ada Lovelace',
          address: { city: 'London', street: 'St James' },
        },
        etag: nextEtag(created.etag),
      });
      expect(exchanges[1]?.method).toBe('PATCH');
      expect(exchanges[1]?.headers['content-type']).toBe('application/merge-patch+json');
      expect(exchanges[1]?.headers['idempotency-key']).toMatch(/^"[0-9a-f-]{36}"$/);
    });

    it('throws a 412 ProblemError for a stale ifMatch and writes nothing', async () => {
      const userId = newId();
      const created = await client().createItem({ user_id: userId, name: 'Ada' });
      const merged = await api.mergeItem({ user_id: userId, name: 'Grace' }, { ifMatch: created });

      const error = await problemOf(
        api.mergeItem({ user_id: userId, name: 'Stale' }, { ifMatch: created }),
      );

      expectProblem(error, 412, 'precondition-failed');
      expect(await api.getItem(userId)).toEqual(merged);
    });

    it('throws a 404 ProblemError for a missing item (it never creates one)', async () => {
      const error = await problemOf(client().mergeItem({ user_id: newId(), name: 'x' }));

      expectProblem(error, 404, 'not-found');
    });

    it('throws a 400 ProblemError naming a reserved attribute', async () => {
      const userId = newId();
      await client().createItem({ user_id: userId });

      const error = await problemOf(api.mergeItem({ user_id: userId, '@version': 9 }));

      expect(expectProblem(error, 400, 'validation').errors?.[0]?.pointer).toBe('/@version');
    });
  });

  describe('deleteItem', () => {
    it('deletes the item and returns it as it was', async () => {
      const item = { user_id: newId(), name: 'Ada' };
      await client().createItem(item);

      const deleted = await api.deleteItem(item.user_id);

      expect(deleted).toEqual({ item });
      expect(await problemOf(api.getItem(item.user_id))).toMatchObject({ status: 404 });
    });

    it('deletes only at the version given in ifMatch', async () => {
      const userId = newId();
      const created = await client().createItem({ user_id: userId, name: 'Ada' });
      const updated = await api.updateItem({ user_id: userId, updatedKey: 'n', updatedValue: 1 });

      const stale = await problemOf(api.deleteItem(userId, { ifMatch: created }));
      const deleted = await api.deleteItem(userId, { ifMatch: updated });

      expectProblem(stale, 412, 'precondition-failed');
      expect(deleted.item).toEqual({ user_id: userId, name: 'Ada', n: 1 });
      expect(exchanges.at(-1)?.headers['if-match']).toBe(updated.etag);
    });

    it('throws a 404 ProblemError when no item has the user_id', async () => {
      const error = await problemOf(client().deleteItem(newId(), { ifMatch: '*' }));

      expectProblem(error, 404, 'not-found');
    });

    it('throws a 400 ProblemError for an empty user_id', async () => {
      const error = await problemOf(client().deleteItem(''));

      expect(expectProblem(error, 400, 'validation').errors?.[0]?.parameter).toBe('user_id');
    });
  });
});

describe('the SDK against the local server with DynamoDB unreachable', () => {
  const server = useUnavailableApi();

  function client(retry: { limit: number } | false) {
    const recorder = recordingFetch();
    const api = createClient({ baseUrl: server.url, fetch: recorder.fetch, retry });
    return { api, exchanges: recorder.exchanges };
  }

  it('throws a 503 ProblemError carrying Retry-After', async () => {
    const { api, exchanges } = client(false);

    const error = await problemOf(api.getItem(newId()));

    expectProblem(error, 503, 'service-unavailable');
    expect(error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(exchanges).toHaveLength(1);
    expectContractResponse(
      'getItem',
      exchanges[0]?.response ?? { status: 0, headers: {}, body: '' },
    );
  });

  it('retries a read after Retry-After, then gives up with the last 503', async () => {
    const { api, exchanges } = client({ limit: 1 });

    const error = await problemOf(api.getItem(newId()));

    expect(error.status).toBe(503);
    expect(exchanges.map((e) => e.response.status)).toEqual([503, 503]);
  });

  it('retries a create too, with its one Idempotency-Key, then gives up with the last 503', async () => {
    const { api, exchanges } = client({ limit: 1 });

    const error = await problemOf(api.createItem({ user_id: newId() }));

    expect(error.status).toBe(503);
    expect(exchanges.map((e) => e.response.status)).toEqual([503, 503]);
    const [first, second] = exchanges.map((e) => e.headers['idempotency-key']);
    expect(first).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(second).toBe(first);
  });
});
