/**
 * JSON Merge Patch (RFC 7396) on `PATCH /dynamo` with `application/merge-patch+json`, through
 * every transport, on a real engine: every example of the RFC's Appendix A at the level of the
 * item's attributes and nested inside them, one conditional write (one version, one event with
 * `previous`) per patch, `If-Match` honoured, and the item made checked as a POSTed item is.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checked } from './support/conformance.js';
import { useTable } from './support/engine.js';
import { etagAt } from './support/etags.js';
import { readStored } from './support/model.js';
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

  it('keeps every number exactly', async () => {
    const userId = newId();
    await create({ user_id: userId });

    const merged = await send('updateItem', {
      method: 'PATCH',
      body: `{"user_id":"${userId}","big":123456789012345678901234567890123456,"deep":{"n":0.1000000000000000055511151231257827}}`,
      headers: { 'content-type': MERGE_PATCH },
    });

    expect(merged.body).toBe(
      `{"user_id":"${userId}","big":123456789012345678901234567890123456,"deep":{"n":0.1000000000000000055511151231257827}}`,
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
