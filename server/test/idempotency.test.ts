/**
 * `Idempotency-Key` on POST and PATCH (IETF httpapi draft "The Idempotency-Key HTTP Header
 * Field"), through every transport, on a real engine (the records in a table of their own):
 * a write repeated with its key after a lost answer is answered as the first time and writes
 * nothing; a key reused for another request is a 422; a key whose first request is still
 * running is a 409 with `Retry-After`; errors are not remembered; expired keys act as new.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ItemStore } from '../src/core/ports.js';
import { createDynamoDbIdempotency, IDEMPOTENCY_TTL_ATTRIBUTE } from '../src/idempotency/store.js';
import { createDynamoDbStore } from '../src/store/dynamodb.js';
import { checked, expectContractResponse } from './support/conformance.js';
import { createTestClient, type TestTable, useTable } from './support/engine.js';
import { etagAt } from './support/etags.js';
import { readStored } from './support/model.js';
import { createRecordingPublisher } from './support/recorder.js';
import type { SeenResponse, TestRequest } from './support/request.js';
import {
  createTestApp,
  createTestIdempotency,
  quietLogger,
  type Reached,
  reach,
  TEST_IDEMPOTENCY_TTL_SECONDS,
  TEST_IN_PROGRESS_MS,
  TRANSPORTS,
  useApi,
} from './support/transports.js';

type Problem = {
  type: string;
  status: number;
  detail: string;
  errors?: Array<{ header?: string; detail: string }>;
};

const newId = () => `keyed-${randomUUID()}`;
/** A fresh key, sent as the draft says: a Structured Field String. */
const newKey = () => `"${randomUUID()}"`;
const post = (item: unknown, key?: string): TestRequest => ({
  method: 'POST',
  json: item,
  headers: key === undefined ? {} : { 'idempotency-key': key },
});
const patch = (body: unknown, headers: Record<string, string> = {}): TestRequest => ({
  method: 'PATCH',
  json: body,
  headers,
});
const mergePatch = (body: unknown, headers: Record<string, string> = {}): TestRequest => ({
  method: 'PATCH',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/merge-patch+json', ...headers },
});
const problem = (response: SeenResponse) => JSON.parse(response.body) as Problem;

/** The idempotency records in `table`'s engine, as the table holds them. */
async function records(table: TestTable): Promise<Array<Record<string, unknown>>> {
  const { Items = [] } = await table.client.send(
    new ScanCommand({ TableName: table.idempotencyTableName, ConsistentRead: true }),
  );
  return Items.map((item) => unmarshall(item));
}

afterEach(() => {
  vi.useRealTimers();
});

describe.each(TRANSPORTS)('Idempotency-Key through the %s', (transport) => {
  const table = useTable();
  const api = useApi(transport, table, { maxBodyBytes: 1024 * 1024 });

  const send = (operationId: 'createItem' | 'updateItem' | 'deleteItem', request: TestRequest) =>
    checked(operationId, api.send(request));
  const eventsOf = (userId: string) => api.published.filter((e) => e.user_id === userId);

  it('answers a POST repeated after a lost answer as the first time: the same 201, one item, one event', async () => {
    const item = { user_id: newId(), name: 'Ada' };
    const key = newKey();

    const first = await send('createItem', post(item, key));
    // The client never saw `first` (the connection broke) and sends the request again.
    const again = await send('createItem', post(item, key));

    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['content-type']).toBe('application/json');
    expect(await readStored(table, item.user_id)).toEqual({
      item,
      version: 1,
      etag: first.headers.etag,
    });
    expect(eventsOf(item.user_id).map((e) => e.operation)).toEqual(['POST']);
  });

  it('replays an answer whose ETag names no later item: not one deleted and created again', async () => {
    const userId = newId();
    const key = newKey();
    const first = await send('createItem', post({ user_id: userId, owner: 'alice' }, key));
    await send('deleteItem', { method: 'DELETE', query: { user_id: userId } });
    const bobs = await send('createItem', post({ user_id: userId, owner: 'bob' }));

    const replayed = await send('createItem', post({ user_id: userId, owner: 'alice' }, key));
    const write = await send(
      'updateItem',
      patch(
        { user_id: userId, updatedKey: 'owner', updatedValue: 'mallory' },
        { 'if-match': replayed.headers.etag ?? '' },
      ),
    );

    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.headers.etag).toBe(first.headers.etag);
    expect(replayed.headers.etag).not.toBe(bobs.headers.etag);
    expect(write.status).toBe(412);
    expect(await readStored(table, userId)).toEqual({
      item: { user_id: userId, owner: 'bob' },
      version: 1,
      etag: bobs.headers.etag,
    });
  });

  it('without a key, behaves as before: a repeated POST is a 409, and no record is kept', async () => {
    const item = { user_id: newId() };
    const before = (await records(table)).length;

    const first = await send('createItem', post(item));
    const again = await send('createItem', post(item));

    expect([first.status, again.status]).toEqual([201, 409]);
    expect(problem(again).type).toBe('urn:problem-type:dynamo-crud:conflict');
    expect(again.headers['retry-after']).toBeUndefined();
    expect(await records(table)).toHaveLength(before);
  });

  it.each([
    ['the one-attribute body', patch],
    ['a merge patch', mergePatch],
  ])('replays a PATCH (%s) without writing again: one version, one event', async (_what, as) => {
    const userId = newId();
    const created = await send('createItem', post({ user_id: userId, visits: 1 }));
    const body =
      as === patch
        ? { user_id: userId, updatedKey: 'visits', updatedValue: 2 }
        : { user_id: userId, visits: 2 };
    const headers = { 'idempotency-key': newKey(), 'if-match': created.headers.etag ?? '' };

    const first = await send('updateItem', as(body, headers));
    // With If-Match of version 1 a second write would be a 412; the replay is the first answer.
    const again = await send('updateItem', as(body, headers));

    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toBe(first.body);
    expect(again.headers.etag).toBe(etagAt(2, created.headers.etag));
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await readStored(table, userId)).toEqual({
      item: { user_id: userId, visits: 2 },
      version: 2,
      etag: again.headers.etag,
    });
    expect(eventsOf(userId).map((e) => e.operation)).toEqual(['POST', 'PATCH']);
  });

  it.each<[string, (userId: string, key: string) => TestRequest]>([
    ['another body', (userId, key) => post({ user_id: userId, name: 'Grace' }, key)],
    [
      'the same JSON written otherwise',
      (userId, key) => ({
        method: 'POST',
        body: `{ "user_id": "${userId}", "name": "Ada" }`,
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
      }),
    ],
    [
      'another precondition',
      (userId, key) => ({
        ...post({ user_id: userId, name: 'Ada' }, key),
        headers: { 'idempotency-key': key, 'if-none-match': '*' },
      }),
    ],
    [
      'another method',
      (userId, key) =>
        patch(
          { user_id: userId, updatedKey: 'name', updatedValue: 'Ada' },
          { 'idempotency-key': key },
        ),
    ],
  ])('refuses the key with %s: 422, and nothing is written', async (_what, other) => {
    const userId = newId();
    const key = newKey();
    const created = await send('createItem', post({ user_id: userId, name: 'Ada' }, key));

    const reused = await send(
      other(userId, key).method === 'PATCH' ? 'updateItem' : 'createItem',
      other(userId, key),
    );

    expect(reused.status).toBe(422);
    expect(problem(reused).type).toBe('urn:problem-type:dynamo-crud:idempotency-key-reused');
    expect(problem(reused).detail).toMatch(/send a new key with a new request/);
    expect(await readStored(table, userId)).toEqual({
      item: { user_id: userId, name: 'Ada' },
      version: 1,
      etag: created.headers.etag,
    });
    expect(eventsOf(userId)).toHaveLength(1);
  });

  it('takes a charset parameter as the same request: it has no effect on JSON (RFC 8259 §11)', async () => {
    const item = { user_id: newId() };
    const key = newKey();
    const sent = (contentType: string): TestRequest => ({
      method: 'POST',
      body: JSON.stringify(item),
      headers: { 'content-type': contentType, 'idempotency-key': key },
    });

    const first = await send('createItem', sent('application/json'));
    const again = await send('createItem', sent('application/json; charset=utf-8'));

    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('remembers no error: a request that failed can be sent again with its key once fixed', async () => {
    const userId = newId();
    const key = newKey();
    const set = patch(
      { user_id: userId, updatedKey: 'name', updatedValue: 'Ada' },
      {
        'idempotency-key': key,
      },
    );

    const missing = await send('updateItem', set);
    await send('createItem', post({ user_id: userId }));
    const fixed = await send('updateItem', set);
    const again = await send('updateItem', set);

    expect(missing.status).toBe(404);
    expect(fixed.status).toBe(200);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await readStored(table, userId))?.version).toBe(2);
  });

  it('takes a bare token as the key of the same characters', async () => {
    const item = { user_id: newId() };
    const token = randomUUID();

    const first = await send('createItem', post(item, `"${token}"`));
    const again = await send('createItem', post(item, token));

    expect(first.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it.each([
    ['an empty key', ''],
    ['an empty string', '""'],
    ['a key over 255 characters', `"${'k'.repeat(256)}"`],
    ['an unterminated string', '"abc'],
    ['two words', 'two words'],
    ['a string with parameters', '"abc";p=1'],
  ])('refuses %s with a 400 naming Idempotency-Key, and writes nothing', async (_what, key) => {
    const item = { user_id: newId() };

    const response = await send('createItem', post(item, key));

    expect(response.status).toBe(400);
    expect(problem(response).errors?.[0]?.header).toBe('Idempotency-Key');
    expect(problem(response).detail).toMatch(/^Header Idempotency-Key /);
    expect(await readStored(table, item.user_id)).toBeUndefined();
  });

  it('keeps each answer for IDEMPOTENCY_TTL_SECONDS, under the SHA-256 of its key', async () => {
    const item = { user_id: newId() };
    const key = randomUUID();
    const startedAt = Math.floor(Date.now() / 1000);

    const created = await send('createItem', post(item, `"${key}"`));

    const id = `Idempotency-Key#${createHash('sha256').update(JSON.stringify(key)).digest('base64')}`;
    const record = (await records(table)).find((r) => r.id === id);
    expect(record).toMatchObject({ id, status: 'COMPLETED' });
    const expiry = Number(record?.[IDEMPOTENCY_TTL_ATTRIBUTE]);
    expect(expiry).toBeGreaterThanOrEqual(startedAt + TEST_IDEMPOTENCY_TTL_SECONDS);
    expect(expiry).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + TEST_IDEMPOTENCY_TTL_SECONDS);
    expect(record?.data).toEqual({
      statusCode: 201,
      headers: {
        'content-type': 'application/json',
        etag: created.headers.etag,
        location: created.headers.location,
      },
      body: created.body,
    });
  });

  it('replays an item near DynamoDB’s 400 KB too: an answer over 1 KiB is kept gzipped', async () => {
    // Random base64 compresses little: 390 KB of it is about 295 KB gzipped.
    const item = { user_id: newId(), blob: randomBytesBase64(390 * 1000) };
    const key = randomUUID();

    const first = await send('createItem', post(item, `"${key}"`));
    const again = await send('createItem', post(item, `"${key}"`));

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    const id = `Idempotency-Key#${createHash('sha256').update(JSON.stringify(key)).digest('base64')}`;
    const data = (await records(table)).find((r) => r.id === id)?.data as Record<string, unknown>;
    expect(data.body).toBeUndefined();
    expect(gunzipSync(data.gzipped as Uint8Array).toString()).toBe(first.body);
  });

  it('treats an expired key as new: after IDEMPOTENCY_TTL_SECONDS the key writes again', async () => {
    const key = newKey();
    const ada = { user_id: newId(), name: 'Ada' };
    const grace = { user_id: newId(), name: 'Grace' };
    await send('createItem', post(ada, key));

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + (TEST_IDEMPOTENCY_TTL_SECONDS + 1) * 1000);
    const sameRequest = await send('createItem', post(ada, key));
    const otherRequest = await send('createItem', post(grace, key));

    // Carried out again, not replayed: the item exists, so a 409; another body is no 422.
    expect(sameRequest.status).toBe(409);
    expect(problem(sameRequest).type).toBe('urn:problem-type:dynamo-crud:conflict');
    expect(otherRequest.status).toBe(201);
    expect(otherRequest.headers['idempotent-replayed']).toBeUndefined();
    expect(await readStored(table, grace.user_id)).toEqual({
      item: grace,
      version: 1,
      etag: otherRequest.headers.etag,
    });
  });
});

describe.each(TRANSPORTS)(
  'a key whose first request is still running, through the %s',
  (transport) => {
    const table = useTable();
    let api: Reached;
    let gate: Gate;
    const events = createRecordingPublisher();

    /** The store, with creates held until the test lets them go. */
    function held(store: ItemStore): ItemStore {
      return {
        ...store,
        create: async (item) => {
          gate.arrive();
          await gate.opened;
          return store.create(item);
        },
      };
    }

    /** The API on the engine, its creates held at the gate when `held` is true. */
    async function start({ held: holding }: { held: boolean }) {
      const store = createDynamoDbStore(table.documentClient, table.tableName);
      const app = createTestApp(holding ? held(store) : store, {
        events,
        idempotency: createTestIdempotency(table),
      });
      api = await reach(app, transport);
    }

    it('is a 409 with Retry-After while it runs, then the replay of its answer; one write', async () => {
      gate = createGate();
      await start({ held: true });
      const item = { user_id: newId() };
      const key = newKey();

      const first = api.send(post(item, key));
      // Its key is in progress once it reaches the store: only then can a repeat be a 409.
      await gate.reached;
      const during = await api.send(post(item, key));
      gate.open();
      const answered = await first;
      const after = await api.send(post(item, key));
      await api.close();

      expect(during.status).toBe(409);
      expectContractResponse('createItem', during);
      expect(problem(during).type).toBe('urn:problem-type:dynamo-crud:request-in-progress');
      expect(during.headers['retry-after']).toBe('1');
      expect(answered.status).toBe(201);
      expect(after.headers['idempotent-replayed']).toBe('true');
      expect(after.body).toBe(answered.body);
      expect(events.published.filter((e) => e.user_id === item.user_id)).toHaveLength(1);
    });

    it('gives concurrent requests with one key one write: each answer is the 201 or a 409 to retry', async () => {
      gate = createGate();
      gate.open();
      await start({ held: false });
      const item = { user_id: newId(), name: 'Ada' };
      const key = newKey();

      const answers = await Promise.all(Array.from({ length: 8 }, () => api.send(post(item, key))));
      await api.close();

      const statuses = answers.map(
        (a) => `${a.status}${a.headers['idempotent-replayed'] ? ' replayed' : ''}`,
      );
      expect(statuses.filter((s) => s === '201')).toHaveLength(1);
      for (const status of statuses) expect(['201', '201 replayed', '409']).toContain(status);
      for (const answer of answers.filter((a) => a.status === 409)) {
        expect(problem(answer).type).toBe('urn:problem-type:dynamo-crud:request-in-progress');
      }
      const created = answers.find((a) => a.status === 201);
      expect(await readStored(table, item.user_id)).toEqual({
        item,
        version: 1,
        etag: created?.headers.etag,
      });
      expect(events.published.filter((e) => e.user_id === item.user_id)).toHaveLength(1);
    });

    it('frees the key of a first request that never finished (its process died) once its time is up', async () => {
      gate = createGate(); // never opened: the first request hangs, as if its process died
      await start({ held: true });
      const item = { user_id: newId() };
      const key = newKey();
      // Its connection breaks when the server stops; nobody hears its answer.
      void api.send(post(item, key)).catch(() => undefined);
      await gate.reached;
      expect((await api.send(post(item, key))).status).toBe(409);
      await api.close();
      // Another container, with the store free, after the time a request may take.
      await start({ held: false });

      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + TEST_IN_PROGRESS_MS + 60_000);
      const retried = await api.send(post(item, key));
      await api.close();

      expect(retried.status).toBe(201);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
    });
  },
);

describe('the idempotency table unreachable', () => {
  const table = useTable();

  it('is a 503 with Retry-After before anything is written', async () => {
    const unreachable = createTestClient('http://127.0.0.1:9', { DYNAMODB_MAX_ATTEMPTS: '1' });
    const app = createTestApp(createDynamoDbStore(table.documentClient, table.tableName), {
      idempotency: createDynamoDbIdempotency({
        client: unreachable,
        tableName: 'unreachable',
        ttlSeconds: TEST_IDEMPOTENCY_TTL_SECONDS,
        inProgressMs: TEST_IN_PROGRESS_MS,
        logger: quietLogger,
      }),
    });
    const api = await reach(app, 'Lambda HTTP API (v2)');
    const item = { user_id: newId() };

    const response = await api.send(post(item, newKey()));
    unreachable.destroy();

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(await readStored(table, item.user_id)).toBeUndefined();
  });
});

/** Holds the store's creates: `reached` once one arrives (its key is in progress by then). */
interface Gate {
  readonly reached: Promise<void>;
  readonly opened: Promise<void>;
  arrive(): void;
  open(): void;
}

function createGate(): Gate {
  let arrive = () => {};
  let open = () => {};
  const reached = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { reached, opened, arrive, open };
}

function randomBytesBase64(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4))
    .toString('base64')
    .slice(0, length);
}
