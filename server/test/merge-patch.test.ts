/**
 * JSON Merge Patch (RFC 7396) on `PATCH /dynamo` with `application/merge-patch+json`, through
 * every transport, on a real engine: every example of the RFC's Appendix A at the level of the
 * item's attributes and nested inside them, one conditional write (one version, one event with
 * `previous`) per patch, `If-Match` honoured, and the item made checked as a POSTed item is.
 */
import { randomUUID } from 'node:crypto';
import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemStore } from '../src/core/ports.js';
import { createDocumentClient, createDynamoDbStore } from '../src/store/dynamodb.js';
import { checked } from './support/conformance.js';
import { createTestClient, useTable } from './support/engine.js';
import { etagAt } from './support/etags.js';
import { readStored, readTypedItem } from './support/model.js';
import type { SeenResponse, TestRequest } from './support/request.js';
import { RFC_7396_EXAMPLES } from './support/rfc7396-examples.js';
import { TRANSPORTS, useApi } from './support/transports.js';

type Problem = {
  type: string;
  detail: string;
  errors?: Array<{ pointer?: string; header?: string; detail: string }>;
};

const MERGE_PATCH = 'application/merge-patch+json';
const newId = () => `merge-${randomUUID()}`;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const problem = (response: SeenResponse) => JSON.parse(response.body) as Problem;

describe.each(TRANSPORTS)('JSON Merge Patch through the %s', (transport) => {
  const table = useTable();
  const api = useApi(transport, table, { maxBodyBytes: 1024 * 1024 });

  const send = (operationId: 'createItem' | 'updateItem', request: TestRequest) =>
    checked(operationId, api.send(request));
  const create = (item: Record<string, unknown>) =>
    send('createItem', { method: 'POST', json: item });
  const merge = (patch: unknown, headers: Record<string, string> = {}) =>
    send('updateItem', {
      method: 'PATCH',
      body: JSON.stringify(patch),
      headers: { 'content-type': MERGE_PATCH, ...headers },
    });
  const eventsOf = (userId: string) => api.published.filter((e) => e.user_id === userId);

  /**
   * Creates `item`, merges `patch` into it, and checks that the answer, the stored item and the
   * one event all say `expected`, at version 2; returns the answer.
   */
  async function expectMerged(
    item: Record<string, unknown>,
    patch: Record<string, unknown>,
    expected: Record<string, unknown>,
  ) {
    const created = await create(item);

    const merged = await merge(patch);

    expect(merged.status, merged.body).toBe(200);
    expect(JSON.parse(merged.body)).toEqual(expected);
    expect(merged.headers.etag).toBe(etagAt(2, created.headers.etag));
    expect(await readStored(table, String(item.user_id))).toEqual({
      item: expected,
      version: 2,
      etag: merged.headers.etag,
    });
    const events = eventsOf(String(item.user_id));
    expect(events.map((e) => e.operation)).toEqual(['POST', 'PATCH']);
    expect(events[1]).toMatchObject({
      item: expected,
      previous: item,
      version: 2,
      etag: merged.headers.etag,
    });
    return merged;
  }

  describe("RFC 7396 Appendix A, on the item's attributes", () => {
    const objects = RFC_7396_EXAMPLES.filter(
      ([original, patch]) => isObject(original) && isObject(patch),
    );

    it.each(objects)('%j merged with %j is %j', async (original, patch, result) => {
      const userId = newId();

      await expectMerged(
        { user_id: userId, ...(original as object) },
        { user_id: userId, ...(patch as object) },
        { user_id: userId, ...(result as object) },
      );
    });

    it('covers every example whose original and patch are objects (the others cannot be items)', () => {
      expect(objects).toHaveLength(10);
    });
  });

  describe('RFC 7396 Appendix A, inside an attribute (a null result removes it)', () => {
    it.each(RFC_7396_EXAMPLES)('%j merged with %j is %j', async (original, patch, result) => {
      const userId = newId();

      await expectMerged(
        { user_id: userId, doc: original, kept: 1 },
        { user_id: userId, doc: patch },
        result === null ? { user_id: userId, kept: 1 } : { user_id: userId, doc: result, kept: 1 },
      );
    });
  });

  describe('RFC 7396 Appendix A, two maps deep', () => {
    it.each(RFC_7396_EXAMPLES)('%j merged with %j is %j', async (original, patch, result) => {
      const userId = newId();

      await expectMerged(
        { user_id: userId, outer: { doc: original, kept: 1 } },
        { user_id: userId, outer: { doc: patch } },
        {
          user_id: userId,
          outer: result === null ? { kept: 1 } : { doc: result, kept: 1 },
        },
      );
    });
  });

  it('sets, removes and merges many attributes in one write: one version, one event', async () => {
    const userId = newId();

    await expectMerged(
      { user_id: userId, name: 'Ada', nickname: 'A', address: { city: 'London', zip: '1' } },
      {
        user_id: userId,
        name: 'Ada Lovelace',
        nickname: null,
        address: { zip: null, street: 'St James' },
        visits: 1,
      },
      {
        user_id: userId,
        name: 'Ada Lovelace',
        address: { city: 'London', street: 'St James' },
        visits: 1,
      },
    );
  });

  describe('members the patch does not name keep the types they are stored with', () => {
    /** Writes `item` straight into the table, as another program would (README). */
    const putForeign = (item: Record<string, AttributeValue>) =>
      table.client.send(new PutItemCommand({ TableName: table.tableName, Item: item }));
    const readTyped = (userId: string) => readTypedItem(table, userId);

    it('keeps binary, sets and strings beside a member the patch adds to a map (the input of the fault)', async () => {
      await putForeign({
        user_id: { S: 'ext1' },
        doc: {
          M: {
            blob: { B: Buffer.from('hello') },
            tags: { SS: ['x', 'y'] },
            nums: { NS: ['1', '2'] },
            keep: { S: 'k' },
          },
        },
      });

      const merged = await merge({ user_id: 'ext1', doc: { added: 1 } });

      expect(merged.status, merged.body).toBe(200);
      const asJson = {
        user_id: 'ext1',
        doc: { blob: 'aGVsbG8=', tags: ['x', 'y'], nums: [1, 2], keep: 'k', added: 1 },
      };
      expect(JSON.parse(merged.body)).toEqual(asJson);
      expect(merged.headers.etag).toEqual(etagAt(1));
      expect(await readTyped('ext1')).toEqual({
        user_id: { S: 'ext1' },
        doc: {
          M: {
            blob: { B: 'hello' },
            tags: { SS: ['x', 'y'] },
            nums: { NS: ['1', '2'] },
            keep: { S: 'k' },
            added: { N: '1' },
          },
        },
        '@version': { N: '1' },
        '@incarnation': { S: expect.any(String) },
      });
      expect(eventsOf('ext1')).toEqual([
        expect.objectContaining({
          operation: 'PATCH',
          item: asJson,
          previous: { user_id: 'ext1', doc: { ...asJson.doc, added: undefined } },
          version: 1,
        }),
      ]);
    });

    it('keeps binary and sets beside the attributes a patch sets at the top level', async () => {
      const userId = newId();
      await putForeign({
        user_id: { S: userId },
        blob: { B: Buffer.from('hi') },
        tags: { SS: ['b', 'a'] },
        blobs: { BS: [Buffer.from('x')] },
        name: { S: 'A' },
      });

      const merged = await merge({ user_id: userId, name: 'Ada', visits: 1 });

      expect(merged.status, merged.body).toBe(200);
      expect(await readTyped(userId)).toEqual({
        user_id: { S: userId },
        blob: { B: 'hi' },
        tags: { SS: ['a', 'b'] },
        blobs: { BS: ['x'] },
        name: { S: 'Ada' },
        visits: { N: '1' },
        '@version': { N: '1' },
        '@incarnation': { S: expect.any(String) },
      });
    });

    it('keeps them two maps deep, and beside the maps on the way', async () => {
      const userId = newId();
      await putForeign({
        user_id: { S: userId },
        outer: {
          M: {
            inner: { M: { blob: { B: Buffer.from('deep') }, ns: { NS: ['3'] }, n: { N: '1' } } },
            blobs: { BS: [Buffer.from('b')] },
            s: { S: 'old' },
          },
        },
      });

      const merged = await merge({
        user_id: userId,
        outer: { inner: { n: 2, added: { x: 1, y: null } }, s: 'new' },
      });

      expect(merged.status, merged.body).toBe(200);
      expect(await readTyped(userId)).toEqual({
        user_id: { S: userId },
        outer: {
          M: {
            inner: {
              M: {
                blob: { B: 'deep' },
                ns: { NS: ['3'] },
                n: { N: '2' },
                added: { M: { x: { N: '1' } } },
              },
            },
            blobs: { BS: ['b'] },
            s: { S: 'new' },
          },
        },
        '@version': { N: '1' },
        '@incarnation': { S: expect.any(String) },
      });
    });

    it('keeps them beside a member the patch removes, in a map and at the top level', async () => {
      const userId = newId();
      await putForeign({
        user_id: { S: userId },
        doc: { M: { blob: { B: Buffer.from('z') }, gone: { S: 'g' }, tags: { SS: ['t'] } } },
        old: { SS: ['o'] },
        nums: { NS: ['5'] },
      });

      const merged = await merge({ user_id: userId, doc: { gone: null }, old: null });

      expect(merged.status, merged.body).toBe(200);
      expect(await readTyped(userId)).toEqual({
        user_id: { S: userId },
        doc: { M: { blob: { B: 'z' }, tags: { SS: ['t'] } } },
        nums: { NS: ['5'] },
        '@version': { N: '1' },
        '@incarnation': { S: expect.any(String) },
      });
    });

    it('stores what the patch names as the patch says: a list in place of a set, a map in place of binary', async () => {
      const userId = newId();
      await putForeign({
        user_id: { S: userId },
        doc: { M: { tags: { SS: ['t'] }, blob: { B: Buffer.from('b') }, kept: { NS: ['1'] } } },
      });

      const merged = await merge({ user_id: userId, doc: { tags: ['u'], blob: { a: 1 } } });

      expect(merged.status, merged.body).toBe(200);
      expect((await readTyped(userId))?.doc).toEqual({
        M: {
          tags: { L: [{ S: 'u' }] },
          blob: { M: { a: { N: '1' } } },
          kept: { NS: ['1'] },
        },
      });
    });

    it("keeps them when the seed's PATCH sets another attribute, too", async () => {
      const userId = newId();
      await putForeign({
        user_id: { S: userId },
        doc: { M: { blob: { B: Buffer.from('b') }, tags: { SS: ['t'] } } },
      });

      const patched = await send('updateItem', {
        method: 'PATCH',
        json: { user_id: userId, updatedKey: 'name', updatedValue: 'Ada' },
      });

      expect(patched.status, patched.body).toBe(200);
      expect((await readTyped(userId))?.doc).toEqual({
        M: { blob: { B: 'b' }, tags: { SS: ['t'] } },
      });
    });

    it('keeps them when the patch names more members than one DynamoDB expression holds (4 KB)', async () => {
      const userId = newId();
      await putForeign({
        user_id: { S: userId },
        doc: { M: { blob: { B: Buffer.from('b') }, tags: { SS: ['t'] } } },
        other: { BS: [Buffer.from('o')] },
      });
      const many = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`m${i}`, i]));

      const merged = await merge({ user_id: userId, doc: many, visits: 1 });

      expect(merged.status, merged.body).toBe(200);
      const stored = await readTyped(userId);
      expect(stored?.doc).toEqual({
        M: {
          blob: { B: 'b' },
          tags: { SS: ['t'] },
          ...Object.fromEntries(Object.entries(many).map(([name, n]) => [name, { N: `${n}` }])),
        },
      });
      expect(stored?.other).toEqual({ BS: ['o'] });
      expect(stored?.visits).toEqual({ N: '1' });
      expect(eventsOf(userId)).toHaveLength(1);
    });
  });

  it('refuses a patch of more attributes than one DynamoDB write holds: 413, nothing written', async () => {
    const userId = newId();
    await create({ user_id: userId, name: 'Ada' });
    const many = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`attribute${i}`, i]));

    const response = await merge({ user_id: userId, ...many });

    expect(response.status).toBe(413);
    expect(problem(response).detail).toMatch(/more attributes than one write/);
    expect(await readStored(table, userId)).toEqual({
      item: { user_id: userId, name: 'Ada' },
      version: 1,
      etag: etagAt(1),
    });
    expect(eventsOf(userId)).toHaveLength(1);
  });

  it('keeps every number exactly', async () => {
    const userId = newId();
    await create({ user_id: userId });

    const merged = await send('updateItem', {
      method: 'PATCH',
      body: `{"user_id":"${userId}","big":123456789012345678901234567890123456,"deep":{"n":0.1000000000000000055511151231257827}}`,
      headers: { 'content-type': MERGE_PATCH },
    });

    expect(merged.body).toBe(
      `{"user_id":"${userId}","big":1.23456789012345678901234567890123456e+35,"deep":{"n":0.1000000000000000055511151231257827}}`,
    );
  });

  it('counts a patch that changes nothing as a write: a new version and an event', async () => {
    const userId = newId();

    const merged = await expectMerged(
      { user_id: userId, name: 'Ada' },
      { user_id: userId, name: 'Ada' },
      { user_id: userId, name: 'Ada' },
    );
    const alone = await merge({ user_id: userId });
    expect(alone.status).toBe(200);
    expect(alone.headers.etag).toBe(etagAt(3, merged.headers.etag));
    expect(eventsOf(userId)).toHaveLength(3);
  });

  it('honours If-Match: a stale version is a 412 and nothing is written; the current one writes', async () => {
    const userId = newId();
    const created = await create({ user_id: userId, name: 'Ada' });
    const first = await merge({ user_id: userId, visits: 1 });
    const ifMatch = (response: typeof created) => ({ 'if-match': response.headers.etag ?? '' });

    const stale = await merge({ user_id: userId, name: 'Grace' }, ifMatch(created));
    const current = await merge({ user_id: userId, name: 'Grace' }, ifMatch(first));

    expect(stale.status).toBe(412);
    expect(problem(stale).detail).toContain(first.headers.etag);
    expect(current.status).toBe(200);
    expect(await readStored(table, userId)).toEqual({
      item: { user_id: userId, name: 'Grace', visits: 1 },
      version: 3,
      etag: etagAt(3, created.headers.etag),
    });
  });

  it('honours If-None-Match: the listed version is refused with a 412', async () => {
    const userId = newId();
    const created = await create({ user_id: userId });

    const refused = await merge(
      { user_id: userId, a: 1 },
      { 'if-none-match': created.headers.etag ?? '' },
    );

    expect(refused.status).toBe(412);
    expect((await readStored(table, userId))?.version).toBe(1);
  });

  it('never creates an item: 404', async () => {
    const userId = newId();

    const response = await merge({ user_id: userId, name: 'Ada' });

    expect(response.status).toBe(404);
    expect(await readStored(table, userId)).toBeUndefined();
  });

  it('lets concurrent patches of other attributes both land: no update is lost', async () => {
    const userId = newId();
    const created = await create({ user_id: userId });

    const [a, b] = await Promise.all([
      merge({ user_id: userId, a: 1 }),
      merge({ user_id: userId, b: 2 }),
    ]);

    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await readStored(table, userId)).toEqual({
      item: { user_id: userId, a: 1, b: 2 },
      version: 3,
      etag: etagAt(3, created.headers.etag),
    });
  });

  it.each<[string, (userId: string) => string, string, RegExp]>([
    ['user_id null', () => '{"user_id":null}', '/user_id', /must be a string/],
    ['no user_id', () => '{"name":"Ada"}', '/user_id', /is required/],
    ['a reserved name', (id) => `{"user_id":"${id}","@version":7}`, '/@version', /reserved/],
    [
      '__proto__ nested',
      (id) => `{"user_id":"${id}","a":{"__proto__":{"x":1}}}`,
      '/a/__proto__',
      /not allowed/,
    ],
    ['an empty name nested', (id) => `{"user_id":"${id}","a":{"":1}}`, '/a/', /is an empty name/],
    [
      'a number DynamoDB cannot hold',
      (id) => `{"user_id":"${id}","n":1e200}`,
      '/n',
      /larger in magnitude/,
    ],
    [
      'nesting past 32 levels',
      (id) => `{"user_id":"${id}","deep":${JSON.stringify(nested(33))}}`,
      '/deep',
      /32 levels/,
    ],
  ])(
    'refuses %s with a 400 naming the field, and writes nothing',
    async (_what, body, pointer, detail) => {
      const userId = newId();
      const created = await create({ user_id: userId, name: 'Ada' });

      const response = await send('updateItem', {
        method: 'PATCH',
        body: body(userId),
        headers: { 'content-type': MERGE_PATCH },
      });

      expect(response.status).toBe(400);
      const errors = problem(response).errors ?? [];
      expect(
        errors.some((e) => e.pointer?.startsWith(pointer) && detail.test(e.detail)),
        response.body,
      ).toBe(true);
      expect(await readStored(table, userId)).toEqual({
        item: { user_id: userId, name: 'Ada' },
        version: 1,
        etag: created.headers.etag,
      });
    },
  );

  it('refuses a patch that is not an object: 400', async () => {
    const response = await send('updateItem', {
      method: 'PATCH',
      body: '["c"]',
      headers: { 'content-type': MERGE_PATCH },
    });

    expect(response.status).toBe(400);
    expect(problem(response).detail).toMatch(/must be an object/);
  });

  it('refuses a merge that makes an item over 400 KB: 413, nothing written', async () => {
    const userId = newId();
    await create({ user_id: userId, a: 'x'.repeat(300 * 1024) });

    const response = await merge({ user_id: userId, b: 'y'.repeat(200 * 1024) });

    expect(response.status).toBe(413);
    expect((await readStored(table, userId))?.version).toBe(1);
  });

  it('takes the seed body as JSON still: application/json sets one attribute', async () => {
    const userId = newId();
    await create({ user_id: userId });
    const body = { user_id: userId, updatedKey: 'name', updatedValue: 'Ada' };

    const seed = await send('updateItem', { method: 'PATCH', json: body });
    const asPatch = await merge(body);

    expect(JSON.parse(seed.body)).toEqual({ user_id: userId, name: 'Ada' });
    // As a merge patch the same object sets the attributes its members name.
    expect(JSON.parse(asPatch.body)).toEqual({ ...body, name: 'Ada' });
  });

  it('says which media types a PATCH takes when sent another: 415 with Accept-Patch', async () => {
    const response = await send('updateItem', {
      method: 'PATCH',
      body: '{"user_id":"x"}',
      headers: { 'content-type': 'application/json-patch+json' },
    });

    expect(response.status).toBe(415);
    expect(response.headers['accept-patch']).toBe('application/json, application/merge-patch+json');
    expect(problem(response).detail).toMatch(
      /send application\/json or application\/merge-patch\+json/,
    );
  });
});

/** `{"a":{"a":…}}`, `depth` maps deep. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('the DynamoDB store, for a change longer than one update expression holds', () => {
  const table = useTable();
  /** The update expressions the store sent, and a write to land right after its next read. */
  const expressions: string[] = [];
  let afterNextRead: (() => Promise<unknown>) | undefined;
  let client: DynamoDBClient;
  let store: ItemStore;
  let other: ItemStore;

  beforeAll(() => {
    client = createTestClient(table.endpoint);
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { UpdateExpression?: string; ConsistentRead?: boolean };
        if (input.UpdateExpression !== undefined) expressions.push(input.UpdateExpression);
        const output = await next(args);
        const race = afterNextRead;
        if (input.ConsistentRead === true && race !== undefined) {
          afterNextRead = undefined;
          await race();
        }
        return output;
      },
      { step: 'initialize', name: 'recordExpressions' },
    );
    store = createDynamoDbStore(createDocumentClient(client), table.tableName);
    other = createDynamoDbStore(table.documentClient, table.tableName);
  });
  afterAll(() => client?.destroy());

  const manyMembers = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ path: ['doc', `member${i}`], value: i }));

  it('sets the attributes it touches whole, from the item as stored, in one expression of at most 4 KB', async () => {
    const userId = newId();
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: { user_id: { S: userId }, doc: { M: { blob: { B: Buffer.from('b') } } } },
      }),
    );
    expressions.length = 0;

    const updated = await store.update(userId, { set: manyMembers(500), remove: [] }, {});

    expect(expressions.length).toBe(1);
    expect(expressions[0]?.length).toBeLessThanOrEqual(4096);
    expect(updated.version).toBe(1);
    expect((await readTypedItem(table, userId))?.doc).toEqual({
      M: {
        blob: { B: 'b' },
        ...Object.fromEntries(
          Array.from({ length: 500 }, (_, i) => [`member${i}`, { N: String(i) }]),
        ),
      },
    });
  });

  it('writes on condition that the item is as it read it: a write landing in between is kept', async () => {
    const userId = newId();
    await other.create({ user_id: userId, doc: { a: 1 } });
    afterNextRead = () =>
      other.update(userId, { set: [{ path: ['doc', 'raced'], value: true }], remove: [] }, {});

    const updated = await store.update(userId, { set: manyMembers(500), remove: [] }, {});

    expect(afterNextRead).toBeUndefined();
    expect(updated.version).toBe(3);
    expect(updated.previous.item).toEqual({ user_id: userId, doc: { a: 1, raced: true } });
    const stored = await readStored(table, userId);
    expect(stored?.item).toMatchObject({ doc: { a: 1, raced: true, member499: 499 } });
  });

  it('refuses a change of as many attributes as a 400 KB body names, as it refuses 500', async () => {
    // `"abc":0,` is 8 bytes: a merge patch at the body limit names about 50,000 attributes.
    // Giving each value its placeholder once counted the placeholders so far, which made this
    // change minutes of CPU (quadratic) before the 413; it is linear in the change.
    const userId = newId();
    await other.create({ user_id: userId });
    const set = Array.from({ length: 50_000 }, (_, i) => ({ path: [i.toString(36)], value: i }));

    await expect(store.update(userId, { set, remove: [] }, {})).rejects.toMatchObject({
      name: 'StoreRefusedError',
      reason: 'change-too-large',
    });
    expect((await readStored(table, userId))?.version).toBe(1);
  });

  it('refuses a change whose attributes alone are past 4 KB, and writes nothing', async () => {
    const userId = newId();
    await other.create({ user_id: userId });
    const set = Array.from({ length: 500 }, (_, i) => ({ path: [`attribute${i}`], value: i }));

    await expect(store.update(userId, { set, remove: [] }, {})).rejects.toMatchObject({
      name: 'StoreRefusedError',
      reason: 'change-too-large',
    });
    expect(await readStored(table, userId)).toEqual({
      item: { user_id: userId },
      version: 1,
      etag: etagAt(1),
    });
  });
});
