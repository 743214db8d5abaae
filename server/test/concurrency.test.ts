/**
 * Conditional writes under contention, through the local HTTP server on a real engine: many
 * clients racing for one `user_id` or one version get exactly one winner, and a write
 * conditional on a state of an item deleted and created meanwhile lands on nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ItemStore,
  type VersionedItem,
  VersionMismatchError,
  validatorOf,
} from '../src/core/ports.js';
import { createDynamoDbStore } from '../src/store/dynamodb.js';
import { expectContractResponse } from './support/conformance.js';
import { useTable } from './support/engine.js';
import { etagAt } from './support/etags.js';
import { createRecordingPublisher } from './support/recorder.js';
import { createTestApp, type Reached, reach, useApi } from './support/transports.js';

const RACERS = 25;

describe('concurrent writes to one item', () => {
  const table = useTable();
  const api = useApi('local HTTP server', table);

  it(`${RACERS} simultaneous POSTs of one user_id: exactly one 201, the rest 409`, async () => {
    const userId = `race-${randomUUID()}`;

    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        api.send({ method: 'POST', json: { user_id: userId, writer: i } }),
      ),
    );

    for (const response of responses) expectContractResponse('createItem', response);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(RACERS - 1);
    const winner = JSON.parse(responses[statuses.indexOf(201)]?.body ?? '{}') as { writer: number };
    const stored = await api.send({ method: 'GET', query: { user_id: userId } });
    expect(JSON.parse(stored.body)).toEqual({ user_id: userId, writer: winner.writer });
  });

  it(`${RACERS} simultaneous PATCHes with the same If-Match: exactly one 200, the rest 412`, async () => {
    const userId = `race-${randomUUID()}`;
    const created = await api.send({ method: 'POST', json: { user_id: userId } });
    const etag = created.headers.etag ?? '';

    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        api.send({
          method: 'PATCH',
          headers: { 'if-match': etag },
          json: { user_id: userId, updatedKey: 'writer', updatedValue: i },
        }),
      ),
    );

    for (const response of responses) expectContractResponse('updateItem', response);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(RACERS - 1);
    const stored = await api.send({ method: 'GET', query: { user_id: userId } });
    expect(stored.headers.etag).toBe(etagAt(2, etag));
  });

  it(`${RACERS} simultaneous DELETEs: exactly one 200, the rest 404`, async () => {
    const userId = `race-${randomUUID()}`;
    await api.send({ method: 'POST', json: { user_id: userId } });

    const responses = await Promise.all(
      Array.from({ length: RACERS }, () =>
        api.send({ method: 'DELETE', query: { user_id: userId } }),
      ),
    );

    for (const response of responses) expectContractResponse('deleteItem', response);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 404)).toHaveLength(RACERS - 1);
  });

  it('unconditional PATCHes of different attributes all land: none is lost', async () => {
    const userId = `race-${randomUUID()}`;
    const created = await api.send({ method: 'POST', json: { user_id: userId } });

    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        api.send({
          method: 'PATCH',
          json: { user_id: userId, updatedKey: `field${i}`, updatedValue: i },
        }),
      ),
    );

    expect(responses.every((r) => r.status === 200)).toBe(true);
    const stored = await api.send({ method: 'GET', query: { user_id: userId } });
    const item = JSON.parse(stored.body) as Record<string, unknown>;
    for (let i = 0; i < RACERS; i++) expect(item[`field${i}`]).toBe(i);
    expect(stored.headers.etag).toBe(etagAt(RACERS + 1, created.headers.etag));
  });
});

describe('an item deleted and created again between a read and a write', () => {
  const table = useTable();
  let store: ItemStore;
  beforeAll(() => {
    store = createDynamoDbStore(table.documentClient, table.tableName);
  });
  const change = {
    set: [{ path: ['account'], value: { owner: 'alice', balance: 90 } }],
    remove: [],
  };
  const account = (owner: string, balance: number) => ({ account: { owner, balance } });

  /** Alice's item, then deleted and Bob's created under its user_id: both as the store said. */
  async function replace(userId: string) {
    await store.delete(userId, {});
    return store.create({ user_id: userId, ...account('bob', 5) });
  }

  it('the store refuses a write conditional on a state of the old item, and writes nothing', async () => {
    const userId = `aba-${randomUUID()}`;
    const alice = await store.create({ user_id: userId, ...account('alice', 100) });
    const bob = await replace(userId);
    const condition = { ifMatch: [validatorOf(alice)] };

    // Both writes in flight at once; allSettled holds both outcomes, so whichever
    // is refused first is never an unhandled rejection while the other is awaited.
    const [update, remove] = await Promise.allSettled([
      store.update(userId, change, condition),
      store.delete(userId, condition),
    ]);

    // Same version, another incarnation: DynamoDB's condition compares both.
    expect(bob.version).toBe(alice.version);
    expect(update).toMatchObject({ status: 'rejected', reason: expect.any(VersionMismatchError) });
    expect(update).toMatchObject({ reason: { current: validatorOf(bob) } });
    expect(remove).toMatchObject({ status: 'rejected', reason: expect.any(VersionMismatchError) });
    expect(await store.get(userId)).toEqual(bob);
  });

  describe('while the core merges a patch into the item it read', () => {
    let replaceAfterRead: string | undefined;
    let replaced: VersionedItem | undefined;
    const events = createRecordingPublisher();
    let app: Reached;
    beforeAll(async () => {
      // The store as the core sees it, but the item is replaced once the core has read it.
      const racing: ItemStore = {
        ...store,
        async get(userId) {
          const found = await store.get(userId);
          if (replaceAfterRead === userId) {
            replaceAfterRead = undefined;
            replaced = await replace(userId);
          }
          return found;
        },
      };
      app = await reach(createTestApp(racing, { events }), 'local HTTP server');
    });
    afterAll(() => app?.close());

    const merge = (userId: string, headers: Record<string, string>) =>
      app.send({
        method: 'PATCH',
        body: JSON.stringify({ user_id: userId, account: { balance: 90 } }),
        headers: { 'content-type': 'application/merge-patch+json', ...headers },
      });

    it('with If-Match of the state read: 412, and the new item stays as it is', async () => {
      const userId = `aba-${randomUUID()}`;
      const created = await app.send({
        method: 'POST',
        json: { user_id: userId, ...account('alice', 100) },
      });
      replaceAfterRead = userId;

      const response = await merge(userId, { 'if-match': created.headers.etag ?? '' });

      expectContractResponse('updateItem', response);
      expect(replaceAfterRead, 'the race ran').toBeUndefined();
      expect(response.status).toBe(412);
      const now = await store.get(userId);
      expect(now?.item).toEqual({ user_id: userId, ...account('bob', 5) });
      expect(now?.version).toBe(1);
      expect(events.published.filter((e) => e.operation === 'PATCH')).toEqual([]);
    });

    it('without a precondition: the patch is merged into the new item, read again', async () => {
      const userId = `aba-${randomUUID()}`;
      await app.send({ method: 'POST', json: { user_id: userId, ...account('alice', 100) } });
      replaceAfterRead = userId;

      const response = await merge(userId, {});

      expect(response.status).toBe(200);
      // Merged into Bob's account, not Alice's as read first.
      expect(JSON.parse(response.body)).toEqual({ user_id: userId, ...account('bob', 90) });
      expect((await store.get(userId))?.item).toEqual(JSON.parse(response.body));
      expect(response.headers.etag).toBe(`"2.${replaced?.incarnation}"`);
    });
  });
});
