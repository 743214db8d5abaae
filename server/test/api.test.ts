/**
 * The contract, call by call, through every way a request arrives: the local HTTP server and
 * API Gateway REST (v1) and HTTP API (v2) events into the Lambda adapter, on a real engine.
 * Every response is checked against openapi.yaml.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { MAX_ENTITY_TAGS } from '../src/core/conditional.js';
import { NumberValue, parseJson, toDecimal } from '../src/core/json.js';
import { INCARNATION_ATTRIBUTE, VERSION_ATTRIBUTE } from '../src/store/dynamodb.js';
import { expectContractResponse, type OperationId } from './support/conformance.js';
import { useTable } from './support/engine.js';
import { etagAt, etagParts } from './support/etags.js';
import type { TestRequest } from './support/request.js';
import { MAX_BODY_BYTES, TRANSPORTS, useApi } from './support/transports.js';

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: Array<{ detail: string; pointer?: string; parameter?: string; header?: string }>;
};

describe.each(TRANSPORTS)('through the %s', (transport) => {
  const table = useTable();
  const api = useApi(transport, table);

  /** Sends `call` as `operationId`, checks the response against the contract, returns it. */
  async function call(operationId: OperationId | undefined, request: TestRequest) {
    const response = await api.send(request);
    const body = expectContractResponse(operationId, response);
    return { ...response, json: body as Record<string, unknown> };
  }
  const getItem = (userId: string | string[], headers: Record<string, string> = {}) =>
    call('getItem', { method: 'GET', query: { user_id: userId }, headers });
  const createItem = (item: unknown, headers: Record<string, string> = {}) =>
    call('createItem', { method: 'POST', json: item, headers });
  const updateItem = (body: unknown, headers: Record<string, string> = {}) =>
    call('updateItem', { method: 'PATCH', json: body, headers });
  const deleteItem = (userId: string, headers: Record<string, string> = {}) =>
    call('deleteItem', { method: 'DELETE', query: { user_id: userId }, headers });
  const newId = () => `user-${randomUUID()}`;
  const problem = (response: { json: unknown }) => response.json as Problem;
  const eventsOf = (userId: string) => api.published.filter((e) => e.user_id === userId);

  describe('POST /dynamo (createItem)', () => {
    it('creates the item: 201 with the item, Location and ETag', async () => {
      const item = { user_id: newId(), name: 'Ada', tags: ['x', 'y'], nested: { ok: true } };

      const created = await createItem(item);

      expect(created.status).toBe(201);
      expect(created.json).toEqual(item);
      expect(created.headers.etag).toEqual(etagAt(1));
      expect(created.headers.location).toBe(`?user_id=${encodeURIComponent(item.user_id)}`);
      const stored = await table.documentClient.send(
        new GetCommand({ TableName: table.tableName, Key: { user_id: item.user_id } }),
      );
      expect(stored.Item).toEqual({
        ...item,
        [VERSION_ATTRIBUTE]: 1,
        [INCARNATION_ATTRIBUTE]: etagParts(created.headers.etag).incarnation,
      });
    });

    it('never overwrites: a second POST of the same user_id is 409 and changes nothing', async () => {
      const userId = newId();
      await createItem({ user_id: userId, v: 'first' });

      const again = await createItem({ user_id: userId, v: 'second' });

      expect(again.status).toBe(409);
      expect(problem(again).detail).toContain(userId);
      // It says what to send instead.
      expect(problem(again).detail).toMatch(/PATCH .*DELETE/);
      expect((await getItem(userId)).json).toEqual({ user_id: userId, v: 'first' });
    });

    it('keeps every number exactly, beyond what a JS number holds', async () => {
      const userId = newId();
      // Each number as sent, and as answered: the same value, in ECMAScript's spelling.
      const numbers = {
        big: ['12345678901234567890123456789', '1.2345678901234567890123456789e+28'],
        int: ['123456789012345678901', '123456789012345678901'],
        tiny: ['1.000000000000000000000000000001', '1.000000000000000000000000000001'],
        small: ['0.00000012345678901234567890', '1.234567890123456789e-7'],
        plain: ['42', '42'],
        neg: ['-0.5', '-0.5'],
      };
      const fields = Object.entries(numbers).map(([name, [text]]) => `"${name}":${text}`);

      const created = await call('createItem', {
        method: 'POST',
        body: `{"user_id":"${userId}",${fields.join(',')}}`,
        headers: { 'content-type': 'application/json' },
      });
      const read = await getItem(userId);

      expect(created.status).toBe(201);
      for (const [name, [, answered]] of Object.entries(numbers)) {
        expect(read.body).toContain(`"${name}":${answered}`);
      }
    });

    it('keeps the value of numbers DynamoDB writes in another form', async () => {
      const userId = newId();
      await call('createItem', {
        method: 'POST',
        body: `{"user_id":"${userId}","exp":1e100,"small":-2.5E-7}`,
        headers: { 'content-type': 'application/json' },
      });

      const read = parseJson((await getItem(userId)).body) as Record<string, unknown>;

      expect(decimal(read.exp)).toEqual(toDecimal('1e100'));
      expect(decimal(read.small)).toEqual(toDecimal('2.5e-7'));
      expect(String(read.small).startsWith('-')).toBe(true);
    });

    it.each([
      ['more than 38 significant digits', '1234567890123456789012345678901234567890', '/n'],
      ['a magnitude of 1e126 or more', '1e126', '/n'],
      ['a magnitude under 1e-130', '1e-131', '/n'],
      ['an exponent of a trillion', '1E+999999999999', '/n'],
      ['an exponent of minus a trillion', '1e-999999999999', '/n'],
    ])('refuses a number with %s: 400 naming the field', async (_what, number, pointer) => {
      const response = await call('createItem', {
        method: 'POST',
        body: `{"user_id":"${newId()}","n":${number}}`,
        headers: { 'content-type': 'application/json' },
      });

      expect(response.status).toBe(400);
      expect(problem(response).errors).toEqual([expect.objectContaining({ pointer })]);
      expect(problem(response).errors?.[0]?.detail).toMatch(/DynamoDB/);
    });

    it.each([
      ['no user_id', { name: 'x' }, '/user_id', /required/],
      ['a numeric user_id', { user_id: 7 }, '/user_id', /string/],
      ['an empty user_id', { user_id: '' }, '/user_id', /at least 1 character long/],
      [
        'a user_id over 512 characters',
        { user_id: 'u'.repeat(513) },
        '/user_id',
        /at most 512 characters long/,
      ],
      ['a reserved @ attribute', { user_id: 'r', '@version': 9 }, '/@version', /reserved/],
      ['an empty attribute name', { user_id: 'r', '': 1 }, '/', /empty/],
      ['an array body', [1, 2], '', /object/],
      ['nesting deeper than 32 levels', { user_id: 'r', d: nest(40) }, undefined, /32 levels/],
    ])('refuses %s: 400 naming the field', async (_what, body, pointer, detail) => {
      const response = await createItem(body);

      expect(response.status).toBe(400);
      const first = problem(response).errors?.[0];
      if (pointer !== undefined) expect(first?.pointer).toBe(pointer);
      expect(first?.detail).toMatch(detail);
      expect(problem(response).detail).toMatch(detail);
    });

    it('refuses a __proto__ attribute, which would not survive a round trip', async () => {
      const response = await call('createItem', {
        method: 'POST',
        body: `{"user_id":"${newId()}","__proto__":{"admin":true}}`,
        headers: { 'content-type': 'application/json' },
      });

      expect(response.status).toBe(400);
      expect(problem(response).errors).toEqual([
        { pointer: '/__proto__', detail: 'is not allowed as an attribute name' },
      ]);
    });

    it('names every bad field at once', async () => {
      const response = await call('createItem', {
        method: 'POST',
        body: '{"user_id":"ok","@a":1,"big":1e200,"list":[1,1e-200]}',
        headers: { 'content-type': 'application/json' },
      });

      expect(response.status).toBe(400);
      expect(problem(response).errors?.map((e) => e.pointer)).toEqual(['/@a', '/big', '/list/1']);
    });

    it('refuses malformed JSON: 400 that says so', async () => {
      const response = await call('createItem', {
        method: 'POST',
        body: '{"user_id": "a",',
        headers: { 'content-type': 'application/json' },
      });

      expect(response.status).toBe(400);
      expect(problem(response).detail).toMatch(/not valid JSON/);
    });

    it('refuses a missing body: 400', async () => {
      const response = await call('createItem', { method: 'POST' });

      expect(response.status).toBe(400);
      expect(problem(response).errors).toEqual([
        {
          pointer: '',
          detail:
            'is required: send application/json such as {"user_id":"user-123","name":"Ada","visits":3}',
        },
      ]);
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['form data', 'application/x-www-form-urlencoded'],
      ['another JSON-based type', 'application/vnd.api+json'],
      ['a problem, which is an answer', 'application/problem+json'],
    ])('refuses %s: 415', async (_what, contentType) => {
      const response = await createItem({ user_id: newId() }, { 'content-type': contentType });

      expect(response.status).toBe(415);
      expect(problem(response).detail).toContain('application/json');
    });

    it('accepts application/json with a UTF-8 charset', async () => {
      const response = await createItem(
        { user_id: newId() },
        { 'content-type': 'application/json; charset=UTF-8' },
      );

      expect(response.status).toBe(201);
    });

    it(`refuses a body over the limit (${MAX_BODY_BYTES} bytes here): 413`, async () => {
      const response = await createItem({ user_id: newId(), blob: 'x'.repeat(MAX_BODY_BYTES) });

      expect(response.status).toBe(413);
    });
  });

  describe('GET /dynamo (getItem)', () => {
    it('reads the item with its ETag', async () => {
      const item = { user_id: newId(), name: 'Grace', nothing: null, n: 0.1 };
      const created = await createItem(item);

      const read = await getItem(item.user_id);

      expect(read.status).toBe(200);
      expect(read.json).toEqual(item);
      expect(read.headers.etag).toBe(created.headers.etag);
    });

    it('answers 404 for a user_id nobody created', async () => {
      const response = await getItem(newId());

      expect(response.status).toBe(404);
      expect(problem(response).type).toMatch(/not-found/);
    });

    it('reads ids with characters that need escaping', async () => {
      const userId = `a/b?c=d&e#f ü ${randomUUID()}`;
      await createItem({ user_id: userId });

      const read = await getItem(userId);

      expect(read.status).toBe(200);
      expect(read.json.user_id).toBe(userId);
    });

    it.each([
      ['no user_id', {}, /required/],
      ['an empty user_id', { user_id: '' }, /at least 1 character long/],
      ['user_id given twice', { user_id: ['a', 'b'] }, /is given 2 times; send it once/],
      ['an unknown parameter', { user_id: 'a', colour: 'red' }, /not a parameter/],
    ])('refuses %s: 400 naming the parameter', async (_what, query, detail) => {
      const response = await call('getItem', { method: 'GET', query });

      expect(response.status).toBe(400);
      expect(problem(response).errors?.[0]?.parameter).toMatch(/user_id|colour/);
      expect(problem(response).errors?.[0]?.detail).toMatch(detail);
    });

    it('reads items written before versions existed as version 0', async () => {
      const userId = newId();
      await table.documentClient.send(
        new PutCommand({ TableName: table.tableName, Item: { user_id: userId, legacy: true } }),
      );

      const read = await getItem(userId);

      expect(read.json).toEqual({ user_id: userId, legacy: true });
      expect(read.headers.etag).toBe('"0"');
      const updated = await updateItem(
        { user_id: userId, updatedKey: 'legacy', updatedValue: false },
        { 'if-match': '"0"' },
      );
      expect(updated.status).toBe(200);
      expect(updated.headers.etag).toEqual(etagAt(1));
    });

    it('keeps the ETag of an item versioned before incarnations, until its next write', async () => {
      const userId = newId();
      await table.documentClient.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { user_id: userId, n: 1, [VERSION_ATTRIBUTE]: 3 },
        }),
      );

      const read = await getItem(userId);
      const fresh = await getItem(userId, { 'if-none-match': '"3"' });
      const updated = await updateItem(
        { user_id: userId, updatedKey: 'n', updatedValue: 2 },
        { 'if-match': '"3"' },
      );
      const again = await updateItem(
        { user_id: userId, updatedKey: 'n', updatedValue: 3 },
        { 'if-match': '"4"' },
      );

      expect([read.headers.etag, fresh.status]).toEqual(['"3"', 304]);
      expect(updated.status).toBe(200);
      // The write gives the item an incarnation: no later state shares a tag with an old one.
      expect(updated.headers.etag).toEqual(etagAt(4));
      expect(again.status).toBe(412);
      expect((await getItem(userId)).json).toEqual({ user_id: userId, n: 2 });
    });
  });

  describe('PATCH /dynamo (updateItem)', () => {
    it('sets one attribute and bumps the version', async () => {
      const userId = newId();
      const created = await createItem({ user_id: userId, name: 'Ada', keep: 1 });

      const updated = await updateItem({
        user_id: userId,
        updatedKey: 'name',
        updatedValue: 'Lin',
      });

      expect(updated.status).toBe(200);
      expect(updated.json).toEqual({ user_id: userId, name: 'Lin', keep: 1 });
      expect(updated.headers.etag).toBe(etagAt(2, created.headers.etag));
      expect((await getItem(userId)).json).toEqual(updated.json);
    });

    it.each(['name', 'status', 'size', 'a.b', '#x', ':v', 'x = :value, #version'])(
      'takes updatedKey %j literally: reserved words and expression syntax just work',
      async (key) => {
        const userId = newId();
        await createItem({ user_id: userId });

        const updated = await updateItem({
          user_id: userId,
          updatedKey: key,
          updatedValue: [1, 'two'],
        });

        expect(updated.status).toBe(200);
        expect(updated.json).toEqual({ user_id: userId, [key]: [1, 'two'] });
      },
    );

    it('sets any JSON value, null and exact big numbers included', async () => {
      const userId = newId();
      await createItem({ user_id: userId });

      const updated = await call('updateItem', {
        method: 'PATCH',
        body: `{"user_id":"${userId}","updatedKey":"n","updatedValue":{"big":98765432109876543210,"z":null}}`,
        headers: { 'content-type': 'application/json' },
      });

      expect(updated.body).toBe(
        `{"user_id":"${userId}","n":{"big":98765432109876543210,"z":null}}`,
      );
    });

    it('refuses updatedKey user_id: 400, the key never changes', async () => {
      const userId = newId();
      await createItem({ user_id: userId });

      const response = await updateItem({
        user_id: userId,
        updatedKey: 'user_id',
        updatedValue: 'x',
      });

      expect(response.status).toBe(400);
      expect(problem(response).errors?.[0]?.pointer).toBe('/updatedKey');
      expect((await getItem(userId)).json).toEqual({ user_id: userId });
    });

    it.each([
      ['a reserved @ name', { updatedKey: '@version', updatedValue: 1 }, '/updatedKey'],
      ['__proto__', { updatedKey: '__proto__', updatedValue: {} }, '/updatedKey'],
      ['an empty updatedKey', { updatedKey: '', updatedValue: 1 }, '/updatedKey'],
      ['a missing updatedValue', { updatedKey: 'a' }, '/updatedValue'],
      ['an unknown field', { updatedKey: 'a', updatedValue: 1, extra: 1 }, '/extra'],
      ['an unstorable value', { updatedKey: 'a', updatedValue: [1e300] }, '/updatedValue/0'],
    ])('refuses %s: 400 naming the field', async (_what, fields, pointer) => {
      const response = await updateItem({ user_id: newId(), ...fields });

      expect(response.status).toBe(400);
      expect(problem(response).errors?.map((e) => e.pointer)).toContain(pointer);
    });

    it('never creates: 404 for a missing item, and nothing is written', async () => {
      const userId = newId();

      const response = await updateItem({ user_id: userId, updatedKey: 'a', updatedValue: 1 });

      expect(response.status).toBe(404);
      expect((await getItem(userId)).status).toBe(404);
    });

    it('honours If-Match: the current ETag writes, a stale one is 412 and writes nothing', async () => {
      const userId = newId();
      const created = await createItem({ user_id: userId, n: 0 });
      const etag = created.headers.etag ?? '';
      const first = await updateItem(
        { user_id: userId, updatedKey: 'n', updatedValue: 1 },
        { 'if-match': etag },
      );

      const stale = await updateItem(
        { user_id: userId, updatedKey: 'n', updatedValue: 2 },
        { 'if-match': etag },
      );

      expect(first.status).toBe(200);
      expect(stale.status).toBe(412);
      expect(problem(stale).detail).toContain(first.headers.etag);
      expect((await getItem(userId)).json).toEqual({ user_id: userId, n: 1 });
    });

    it.each([
      ['*', 200, () => '*'],
      ['its ETag', 200, (tag: string) => tag],
      ['a list holding its ETag', 200, (tag: string) => `"7", ${tag}`],
      ['its ETag made weak', 412, (tag: string) => `W/${tag}`],
      ['its version alone', 412, () => '"1"'],
      ['its version of another incarnation', 412, () => '"1.AAAAAAAAAAAA"'],
      ['something else', 412, () => '"abc"'],
    ])('If-Match with %s on version 1 answers %i', async (_what, status, ifMatch) => {
      const userId = newId();
      const created = await createItem({ user_id: userId });

      const response = await updateItem(
        { user_id: userId, updatedKey: 'a', updatedValue: 1 },
        { 'if-match': ifMatch(created.headers.etag ?? '') },
      );

      expect(response.status).toBe(status);
    });

    it(`takes If-Match and If-None-Match of ${MAX_ENTITY_TAGS} ETags each, all of other incarnations but one`, async () => {
      // Each tag is a clause of DynamoDB's condition: the most a request may send fits in it.
      const userId = newId();
      const created = await createItem({ user_id: userId });
      const others = (prefix: string, count: number) =>
        Array.from(
          { length: count },
          (_, i) => `"${i + 1}.${prefix}${String(i).padStart(11, '0')}"`,
        );
      const headers = (current: string) => ({
        'if-match': [...others('m', MAX_ENTITY_TAGS - 1), current].join(', '),
        'if-none-match': others('n', MAX_ENTITY_TAGS).join(', '),
      });

      const updated = await updateItem(
        { user_id: userId, updatedKey: 'a', updatedValue: 1 },
        headers(created.headers.etag ?? ''),
      );
      const deleted = await deleteItem(userId, headers(updated.headers.etag ?? ''));

      expect([updated.status, deleted.status]).toEqual([200, 200]);
      expect(deleted.json).toEqual({ user_id: userId, a: 1 });
    });

    it('answers 404, not 412, when the item is gone whatever If-Match says', async () => {
      const response = await updateItem(
        { user_id: newId(), updatedKey: 'a', updatedValue: 1 },
        { 'if-match': '"1"' },
      );

      expect(response.status).toBe(404);
    });

    it('refuses an If-Match over 1024 characters: 400 naming the header', async () => {
      const response = await updateItem(
        { user_id: newId(), updatedKey: 'a', updatedValue: 1 },
        { 'if-match': `"${'1'.repeat(1100)}"` },
      );

      expect(response.status).toBe(400);
      expect(problem(response).errors?.[0]?.header).toBe('If-Match');
    });

    it('refuses a non-JSON body: 415', async () => {
      const response = await call('updateItem', {
        method: 'PATCH',
        body: 'user_id=a',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });

      expect(response.status).toBe(415);
    });
  });

  describe('DELETE /dynamo (deleteItem)', () => {
    it('deletes and returns the item as it was', async () => {
      const item = { user_id: newId(), name: 'Ada' };
      await createItem(item);

      const deleted = await deleteItem(item.user_id);

      expect(deleted.status).toBe(200);
      expect(deleted.json).toEqual(item);
      expect((await getItem(item.user_id)).status).toBe(404);
    });

    it('answers 404 for a missing item', async () => {
      const response = await deleteItem(newId());

      expect(response.status).toBe(404);
    });

    it('honours If-Match: a stale ETag is 412 and the item stays', async () => {
      const userId = newId();
      const created = await createItem({ user_id: userId });
      const updated = await updateItem({ user_id: userId, updatedKey: 'a', updatedValue: 1 });

      const stale = await deleteItem(userId, { 'if-match': created.headers.etag ?? '' });
      const current = await deleteItem(userId, { 'if-match': updated.headers.etag ?? '' });

      expect(stale.status).toBe(412);
      expect(current.status).toBe(200);
      expect(current.json).toEqual({ user_id: userId, a: 1 });
    });

    it('refuses a missing user_id: 400 naming the parameter', async () => {
      const response = await call('deleteItem', { method: 'DELETE' });

      expect(response.status).toBe(400);
      expect(problem(response).errors?.[0]).toEqual({
        parameter: 'user_id',
        detail: 'is required',
      });
    });
  });

  describe('an item deleted and created again (RFC 9110 §8.8.1)', () => {
    /** Alice's item, read, then deleted and Bob's created under the same user_id. */
    async function recreated() {
      const userId = newId();
      const alices = await createItem({ user_id: userId, owner: 'alice', balance: 100 });
      await deleteItem(userId);
      const bobs = await createItem({ user_id: userId, owner: 'bob', balance: 5 });
      const stale = alices.headers.etag ?? '';
      return { userId, stale, current: bobs.headers.etag ?? '', bob: bobs.json };
    }

    it('gives the new item an ETag no state of the old one had, at version 1 again', async () => {
      const { stale, current } = await recreated();

      expect(etagParts(current).version).toBe(1);
      expect(current).not.toBe(stale);
      expect(etagParts(current).incarnation).not.toBe(etagParts(stale).incarnation);
    });

    it('answers a GET with the old ETag in If-None-Match with the new item, not 304', async () => {
      const { userId, stale, current, bob } = await recreated();

      const read = await getItem(userId, { 'if-none-match': stale });
      const conditional = await getItem(userId, { 'if-match': stale });

      expect([read.status, read.headers.etag, read.json]).toEqual([200, current, bob]);
      expect(conditional.status).toBe(412);
    });

    it.each([
      [
        'PATCH (application/json)',
        (userId: string, headers: Record<string, string>) =>
          updateItem({ user_id: userId, updatedKey: 'balance', updatedValue: 90 }, headers),
      ],
      [
        'PATCH (application/merge-patch+json)',
        (userId: string, headers: Record<string, string>) =>
          call('updateItem', {
            method: 'PATCH',
            body: JSON.stringify({ user_id: userId, balance: 90 }),
            headers: { 'content-type': 'application/merge-patch+json', ...headers },
          }),
      ],
      ['DELETE', (userId: string, headers: Record<string, string>) => deleteItem(userId, headers)],
    ])('refuses a %s with the old ETag in If-Match: 412, nothing written', async (_what, write) => {
      const { userId, stale, current, bob } = await recreated();
      const announced = eventsOf(userId).length;

      const refused = await write(userId, { 'if-match': stale });

      expect(refused.status).toBe(412);
      expect(problem(refused).detail).toContain(current);
      const read = await getItem(userId);
      expect([read.headers.etag, read.json]).toEqual([current, bob]);
      expect(eventsOf(userId)).toHaveLength(announced);
    });

    it('lets a write whose If-None-Match names only the old ETag through', async () => {
      const { userId, stale, current } = await recreated();

      const updated = await updateItem(
        { user_id: userId, updatedKey: 'balance', updatedValue: 90 },
        { 'if-none-match': stale },
      );

      expect(updated.status).toBe(200);
      expect(updated.headers.etag).toBe(etagAt(2, current));
    });
  });

  describe('events of writes', () => {
    it('announces each committed write once, with the item before and after', async () => {
      const userId = newId();
      const created = await createItem({ user_id: userId, n: 1 });
      const updated = await updateItem({ user_id: userId, updatedKey: 'n', updatedValue: 2 });
      await deleteItem(userId);

      const events = eventsOf(userId);

      expect(events.map((e) => [e.operation, e.version, e.etag])).toEqual([
        ['POST', 1, created.headers.etag],
        ['PATCH', 2, updated.headers.etag],
        ['DELETE', 2, updated.headers.etag],
      ]);
      expect(events[0]?.item).toEqual({ user_id: userId, n: 1 });
      expect(events[1]).toMatchObject({
        item: updated.json,
        previous: { user_id: userId, n: 1 },
      });
      expect(events[2]?.item).toEqual({ user_id: userId, n: 2 });
      for (const event of events) {
        expect(event.message).toBe('success');
        expect(Date.parse(event.occurredAt)).not.toBeNaN();
        expect(event.requestId).toMatch(/\S{8,}/);
      }
    });

    it('announces nothing when the write did not happen', async () => {
      const userId = newId();
      await createItem({ user_id: userId });
      const before = eventsOf(userId).length;

      await createItem({ user_id: userId });
      await updateItem(
        { user_id: userId, updatedKey: 'a', updatedValue: 1 },
        { 'if-match': '"9"' },
      );
      await updateItem({ user_id: userId, updatedKey: 'user_id', updatedValue: 'x' });
      await deleteItem(userId, { 'if-match': '"9"' });
      await deleteItem(newId());

      expect(eventsOf(userId)).toHaveLength(before);
    });
  });

  describe('routing', () => {
    it('answers 404 problem+json for an unknown path', async () => {
      const response = await call(undefined, { method: 'GET', path: '/nothing-here' });

      expect(response.status).toBe(404);
      expect(problem(response).detail).toContain('/nothing-here');
    });

    it.each(['PUT', 'OPTIONS'])('answers %s with 405 and an Allow header', async (method) => {
      const response = await call(undefined, { method, query: { user_id: 'a' } });

      expect(response.status).toBe(405);
      expect(response.headers.allow?.split(', ').sort()).toEqual([
        'DELETE',
        'GET',
        'HEAD',
        'PATCH',
        'POST',
      ]);
    });

    it('puts the request id in every problem, for support', async () => {
      const response = await getItem(newId());

      expect(problem(response).instance).toMatch(/\S{8,}/);
    });
  });
});

function nest(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

function decimal(value: unknown) {
  return toDecimal(value instanceof NumberValue ? value.value : String(value));
}
