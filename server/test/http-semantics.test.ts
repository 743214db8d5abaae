/**
 * The HTTP and JSON rules the API keeps, each input that once broke them asserted with the
 * right value, through every transport (the local HTTP server, REST API v1 and HTTP API v2
 * events) on a real engine:
 *
 * - the value validated is the value used (a JSON string body is a string, not an object);
 * - bytes become text strictly (RFC 8259 §8.1, RFC 3986 §2.1), never with U+FFFD;
 * - conditional requests (RFC 9110 §13): evaluated or refused, never dropped; HEAD;
 * - media types and codings (RFC 9110 §8.3, §8.4; RFC 8259 §11);
 * - values other programs wrote into the table (sets, binary, a version that is not a number);
 * - a refused conditional write is explained from DynamoDB's answer, not a racy read;
 * - a name twice in one object (RFC 8259 §4); messages a person can act on;
 * - one access log line per request.
 */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLambdaHandler } from '../src/adapters/lambda.js';
import { createLogger } from '../src/logger.js';
import {
  createDocumentClient,
  createDynamoDbStore,
  INCARNATION_ATTRIBUTE,
  VERSION_ATTRIBUTE,
} from '../src/store/dynamodb.js';
import { checked, expectContractResponse, type OperationId } from './support/conformance.js';
import { createTestClient, useTable } from './support/engine.js';
import { etagAt } from './support/etags.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { lambdaContext, restApiEvent, seenFromLambda } from './support/lambda-events.js';
import type { TestRequest } from './support/request.js';
import {
  createTestApp,
  quietLogger,
  type Reached,
  reach,
  TRANSPORTS,
  type TransportName,
  useApi,
} from './support/transports.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const newId = () => `http-${randomUUID()}`;
type Problem = {
  type: string;
  detail: string;
  errors?: Array<{ pointer?: string; parameter?: string; header?: string; detail: string }>;
};

describe.each(TRANSPORTS)('through the %s', (transport) => {
  const table = useTable();
  const api = useApi(transport, table);

  const send = (operationId: OperationId | undefined, request: TestRequest) =>
    checked(operationId, api.send(request));
  const create = (item: Record<string, unknown>, headers: Record<string, string> = {}) =>
    send('createItem', { method: 'POST', json: item, headers });
  const get = (userId: string, headers: Record<string, string> = {}, method = 'GET') =>
    api.send({ method, query: { user_id: userId }, headers }).then((seen) => ({
      ...seen,
      json: expectContractResponse('getItem', seen, method) as Record<string, unknown> | undefined,
    }));
  const patch = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    send('updateItem', { method: 'PATCH', json: body, headers });
  const remove = (userId: string, headers: Record<string, string> = {}) =>
    send('deleteItem', { method: 'DELETE', query: { user_id: userId }, headers });
  const problem = (response: { json: unknown }) => response.json as Problem;

  async function stored(userId: string) {
    const { Item } = await table.documentClient.send(
      new GetCommand({
        TableName: table.tableName,
        Key: { user_id: userId },
        ConsistentRead: true,
      }),
    );
    return Item;
  }

  describe('the value validated is the value used', () => {
    it('refuses a PATCH body that is a JSON string holding JSON: 400 "must be an object", nothing written', async () => {
      const userId = newId();
      await create({ user_id: userId, name: 'Ada' });
      const text = JSON.stringify({ user_id: userId, updatedKey: 'name', updatedValue: 'x' });

      const response = await send('updateItem', {
        method: 'PATCH',
        headers: JSON_TYPE,
        body: JSON.stringify(text),
      });

      expect(response.status).toBe(400);
      expect(problem(response).errors).toEqual([{ pointer: '', detail: 'must be an object' }]);
      expect(problem(response).detail).toBe('The body must be an object.');
      expect(await stored(userId)).toEqual({
        user_id: userId,
        name: 'Ada',
        [VERSION_ATTRIBUTE]: 1,
        [INCARNATION_ATTRIBUTE]: expect.any(String),
      });
    });
  });

  describe('bytes become text strictly', () => {
    it('refuses a body with a Latin-1 é (0xE9): 400 saying where, nothing stored (RFC 8259 §8.1)', async () => {
      const userId = newId();
      const body = Buffer.concat([
        Buffer.from(`{"user_id":"${userId}","s":"caf`),
        Buffer.from([0xe9]),
        Buffer.from('"}'),
      ]);

      const response = await send('createItem', { method: 'POST', headers: JSON_TYPE, body });

      expect(response.status).toBe(400);
      expect(problem(response).type).toBe('urn:problem-type:dynamo-crud:malformed-json');
      const offset = body.indexOf(0xe9);
      expect(problem(response).detail).toBe(
        `The body is not valid UTF-8 (RFC 8259 §8.1): the bytes from offset ${offset} are not a UTF-8 character; send UTF-8.`,
      );
      expect(await stored(userId)).toBeUndefined();
    });

    it('refuses a path that is not percent-encoded UTF-8: 400', async () => {
      const response = await send(undefined, { method: 'GET', path: '/dyn%E9mo' });

      expect(response.status).toBe(400);
      expect(problem(response).type).toBe('urn:problem-type:dynamo-crud:malformed-request');
    });
  });

  // The paths as the client sent them. API Gateway's HTTP APIs are reported to decode the path
  // before the function sees it (and to route on the decoded one); REST APIs, which Terraform
  // deploys, hand it over as sent.
  describe('paths compared as RFC 3986 §6.2.2 says', () => {
    it.each(['/dynamo%2Fitems', '/dynamo%2fitems', '/dynamo%2F'])(
      'takes a percent-encoded slash as data, not a separator: %s is 404',
      async (path) => {
        const response = await send(undefined, { method: 'GET', path, query: { user_id: 'x' } });

        expect(response.status).toBe(404);
        expect(problem(response).detail).toBe(
          `Nothing is served at "${path.replace('%2f', '%2F')}"; the API serves /dynamo and /dynamo/items.`,
        );
      },
    );

    it('takes a percent-encoded unreserved character as the character: /%64ynamo is /dynamo', async () => {
      const userId = newId();
      await create({ user_id: userId });

      const response = await send('getItem', {
        method: 'GET',
        path: '/%64yn%61mo',
        query: { user_id: userId },
      });

      expect(response.status).toBe(200);
      expect(response.json).toEqual({ user_id: userId });
    });
  });

  describe('conditional requests (RFC 9110 §13)', () => {
    it('refuses PATCH with If-None-Match: * on an existing item: 412, nothing written', async () => {
      const userId = newId();
      await create({ user_id: userId, n: 1 });

      const response = await patch(
        { user_id: userId, updatedKey: 'n', updatedValue: 2 },
        { 'if-none-match': '*' },
      );

      expect(response.status).toBe(412);
      expect((await stored(userId))?.n).toBe(1);
    });

    it('tells caches to check every read and every problem with the API before reusing it (RFC 9111 §5.2.2.4)', async () => {
      const userId = newId();
      const created = await create({ user_id: userId });

      const answers = {
        read: await get(userId),
        head: await get(userId, {}, 'HEAD'),
        fresh: await get(userId, { 'if-none-match': created.headers.etag ?? '' }),
        page: await send('listItems', { method: 'GET', path: '/dynamo/items' }),
        missing: await get(newId()),
        invalid: await create({ user_id: '' }),
      };

      expect(
        Object.fromEntries(
          Object.entries(answers).map(([name, a]) => [
            name,
            [a.status, a.headers['cache-control']],
          ]),
        ),
      ).toEqual({
        read: [200, 'no-cache'],
        head: [200, 'no-cache'],
        fresh: [304, 'no-cache'],
        page: [200, 'no-cache'],
        missing: [404, 'no-cache'],
        invalid: [400, 'no-cache'],
      });
    });

    it('answers GET with If-None-Match of the current ETag with 304, the ETag and no body', async () => {
      const userId = newId();
      const tag = (await create({ user_id: userId })).headers.etag;

      const fresh = await get(userId, { 'if-none-match': `${tag}` });
      const weak = await get(userId, { 'if-none-match': `W/${tag}` });
      const other = await get(userId, { 'if-none-match': etagAt(7, tag) });
      const version = await get(userId, { 'if-none-match': '"1"' });

      expect([fresh.status, fresh.headers.etag, fresh.body]).toEqual([304, tag, '']);
      expect(weak.status, 'If-None-Match compares weakly').toBe(304);
      expect(other.status).toBe(200);
      expect(version.status, 'the version alone is not the tag').toBe(200);
    });

    it('answers GET with a stale If-Match 412, and 404 for a missing item whatever it says', async () => {
      const userId = newId();
      const tag = (await create({ user_id: userId })).headers.etag;

      expect((await get(userId, { 'if-match': etagAt(2, tag) })).status).toBe(412);
      expect((await get(userId, { 'if-match': `${tag}` })).status).toBe(200);
      expect((await get(newId(), { 'if-match': `${tag}` })).status).toBe(404);
    });

    it('compares If-Match character by character: "01.…" is not "1.…"', async () => {
      const userId = newId();
      const tag = (await create({ user_id: userId })).headers.etag ?? '';

      for (const other of [tag.replace('"1.', '"01.'), tag.toLowerCase(), tag.toUpperCase()]) {
        const response = await patch(
          { user_id: userId, updatedKey: 'a', updatedValue: 1 },
          { 'if-match': other },
        );

        expect(response.status).toBe(other === tag ? 200 : 412);
      }
    });

    it('refuses an unquoted If-Match: 400 that says ETags are quoted', async () => {
      const response = await patch(
        { user_id: newId(), updatedKey: 'a', updatedValue: 1 },
        { 'if-match': '3' },
      );

      expect(response.status).toBe(400);
      expect(problem(response).errors).toEqual([
        {
          header: 'If-Match',
          detail:
            'must be * or a list of entity tags; entity tags are quoted, as an ETag is sent, and this is not one: 3 (send "3" instead)',
        },
      ]);
    });

    it.each([
      ['GET', 'If-Modified-Since'],
      ['DELETE', 'If-Unmodified-Since'],
    ])('refuses %s with %s: items have versions, not dates', async (method, header) => {
      const userId = newId();
      await create({ user_id: userId });

      const response = await send(method === 'GET' ? 'getItem' : 'deleteItem', {
        method,
        query: { user_id: userId },
        headers: { [header]: 'Sun, 29 Nov 2026 18:00:00 GMT' },
      });

      expect(response.status).toBe(400);
      expect(problem(response).errors?.[0]?.header).toBe(header);
      expect(await stored(userId)).toBeDefined();
    });

    it('evaluates If-None-Match: * on POST (412 over an existing item) and refuses If-Match there', async () => {
      const userId = newId();
      await create({ user_id: userId });

      const again = await create({ user_id: userId }, { 'if-none-match': '*' });
      const fresh = await create({ user_id: newId() }, { 'if-none-match': '*' });
      const ifMatch = await create({ user_id: newId() }, { 'if-match': '*' });

      expect(again.status).toBe(412);
      expect(fresh.status).toBe(201);
      expect(ifMatch.status).toBe(400);
      expect(problem(ifMatch).errors?.[0]?.header).toBe('If-Match');
    });

    it('answers HEAD as GET without the body, 404 included', async () => {
      const userId = newId();
      const created = await create({ user_id: userId, name: 'Ada' });

      const found = await get(userId, {}, 'HEAD');
      const missing = await get(newId(), {}, 'HEAD');

      expect([found.status, found.headers.etag, found.body]).toEqual([
        200,
        created.headers.etag,
        '',
      ]);
      expect(found.headers['content-type']).toBe('application/json');
      expect([missing.status, missing.body]).toEqual([404, '']);
    });
  });

  describe('media types and codings', () => {
    it('takes application/json with any charset parameter, which has no effect (RFC 8259 §11)', async () => {
      const response = await create(
        { user_id: newId() },
        { 'content-type': 'application/json; charset=utf8' },
      );

      expect(response.status).toBe(201);
    });

    it.each([
      'application/vnd.api+json',
      'application/problem+json',
      'application/merge-patch+json',
    ])(
      'refuses POST as %s, which is not what it takes: 415 naming application/json',
      async (contentType) => {
        const response = await create({ user_id: newId() }, { 'content-type': contentType });

        expect(response.status).toBe(415);
        expect(problem(response).detail).toMatch(/send application\/json/);
      },
    );

    it('refuses a PATCH body of another type with 415 and Accept-Patch (RFC 5789 §3.1)', async () => {
      const response = await send('updateItem', {
        method: 'PATCH',
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      });

      expect(response.status).toBe(415);
      expect(response.headers['accept-patch']).toBe(
        'application/json, application/merge-patch+json',
      );
    });

    it('refuses a Content-Encoding it does not apply: 415 with Accept-Encoding: identity', async () => {
      const response = await send('createItem', {
        method: 'POST',
        headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
        body: JSON.stringify({ user_id: newId() }),
      });

      expect(response.status).toBe(415);
      expect(response.headers['accept-encoding']).toBe('identity');
    });
  });

  describe('values other programs wrote into the table', () => {
    /** A PATCH setting `n` to 1, on condition of `ifMatch`. */
    const setN = (userId: string, ifMatch: string) =>
      patch({ user_id: userId, updatedKey: 'n', updatedValue: 1 }, { 'if-match': ifMatch });

    /** An item as the AWS CLI would put it: every DynamoDB type, and a version in a string. */
    async function putForeign(userId: string, version: unknown = { S: '7' }) {
      await table.client.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: {
            user_id: { S: userId },
            tags: { SS: ['b', 'a'] },
            scores: { NS: ['10', '-2', '12345678901234567890123'] },
            blob: { B: Buffer.from('ab') },
            blobs: { BS: [Buffer.from([1]), Buffer.from([0])] },
            ...(version === undefined ? {} : { [VERSION_ATTRIBUTE]: version as never }),
          },
        }),
      );
    }
    const asJson = (userId: string) => ({
      user_id: userId,
      tags: ['a', 'b'],
      scores: [-2, 10, '12345678901234567890123'],
      blob: 'YWI=',
      blobs: ['AA==', 'AQ=='],
    });

    it('reads sets as sorted arrays and binary as base64, exact numbers kept, at version 0', async () => {
      const userId = newId();
      await putForeign(userId);

      const read = await get(userId);

      expect(read.status).toBe(200);
      expect(read.headers.etag).toBe('"0"');
      const expected = asJson(userId);
      expect({ ...read.json, scores: undefined }).toEqual({ ...expected, scores: undefined });
      expect(read.body).toContain('"scores":[-2,10,1.2345678901234567890123e+22]');
    });

    it('writes over a version that is not a number conditionally: "0" matches, "7" does not', async () => {
      const userId = newId();
      await putForeign(userId);

      const stale = await setN(userId, '"7"');
      const updated = await setN(userId, '"0"');

      expect(stale.status).toBe(412);
      expect(updated.status).toBe(200);
      // The write gives it metadata of this API's: version 1 of a new incarnation.
      expect(updated.headers.etag).toEqual(etagAt(1));
      const raw = await stored(userId);
      expect(raw?.[VERSION_ATTRIBUTE]).toBe(1);
      expect(`"1.${raw?.[INCARNATION_ATTRIBUTE]}"`).toBe(updated.headers.etag);
      expect(raw?.tags, 'the set another program wrote stays a set').toBeInstanceOf(Set);
      expect(api.published.at(-1)).toMatchObject({
        operation: 'PATCH',
        previous: { ...asJson(userId), scores: expect.any(Array) },
        version: 1,
      });
    });

    it.each([
      ['a number', { N: '7' }],
      ['a string no ETag can carry', { S: 'not "a" token' }],
    ])(
      'takes an item whose @incarnation is %s as version 0, and writes over it conditionally',
      async (_what, incarnation) => {
        const userId = newId();
        await table.client.send(
          new PutItemCommand({
            TableName: table.tableName,
            Item: {
              user_id: { S: userId },
              [VERSION_ATTRIBUTE]: { N: '5' },
              [INCARNATION_ATTRIBUTE]: incarnation,
            },
          }),
        );

        const read = await get(userId);
        const stale = await setN(userId, '"5"');
        const updated = await setN(userId, '"0"');

        expect(read.headers.etag).toBe('"0"');
        expect(stale.status).toBe(412);
        expect(updated.status).toBe(200);
        expect(updated.headers.etag).toEqual(etagAt(1));
        const raw = await stored(userId);
        expect(`"${raw?.[VERSION_ATTRIBUTE]}.${raw?.[INCARNATION_ATTRIBUTE]}"`).toBe(
          updated.headers.etag,
        );
      },
    );

    it('lets exactly one of two racing writes over a foreign version through', async () => {
      const userId = newId();
      await putForeign(userId, { BOOL: true });

      const outcomes = await Promise.all(
        [1, 2].map((n) =>
          patch({ user_id: userId, updatedKey: 'n', updatedValue: n }, { 'if-match': '"0"' }),
        ),
      );

      expect(outcomes.map((o) => o.status).sort()).toEqual([200, 412]);
      expect((await stored(userId))?.[VERSION_ATTRIBUTE]).toBe(1);
    });

    it('updates and deletes an item another program wrote, answering its JSON shape', async () => {
      const userId = newId();
      await putForeign(userId);

      const updated = await patch({ user_id: userId, updatedKey: 'name', updatedValue: 'Ada' });
      const deleted = await remove(userId, { 'if-match': updated.headers.etag ?? '' });

      expect(updated.status).toBe(200);
      expect(deleted.status).toBe(200);
      expect(deleted.json.tags).toEqual(['a', 'b']);
      expect(deleted.json.blob).toBe('YWI=');
      expect(api.published.at(-1)?.item).toMatchObject({ tags: ['a', 'b'], blob: 'YWI=' });
    });
  });

  describe('JSON', () => {
    it.each([
      ['{"user_id":"a","user_id":"b"}', '/user_id'],
      ['{"user_id":"a","m":{"k":1,"\\u006b":2}}', '/m/k'],
      ['{"user_id":"a","l":[{"x":1},{"x":1,"x":2}]}', '/l/1/x'],
    ])('refuses %s, naming %s: names are given once (RFC 8259 §4)', async (body, pointer) => {
      const response = await send('createItem', { method: 'POST', headers: JSON_TYPE, body });

      expect(response.status).toBe(400);
      expect(problem(response).errors).toEqual([
        {
          pointer,
          detail:
            'is given twice in one object, and JSON parsers disagree on which one counts (RFC 8259 §4); send each name once',
        },
      ]);
      expect(await stored('a')).toBeUndefined();
    });

    it('answers a write with the very bytes a later read answers: one version, one representation', async () => {
      const userId = newId();
      const spelled =
        '{"n":1e21,"m":{"x":1.23456789012345678e-5,"l":[-0.0,12345678901234567890.000]}}';
      const body = `{"user_id":${JSON.stringify(userId)},${spelled.slice(1)}`;

      const created = await send('createItem', { method: 'POST', headers: JSON_TYPE, body });
      const read = await get(userId);
      const patched = await send('updateItem', {
        method: 'PATCH',
        headers: JSON_TYPE,
        body: `{"user_id":${JSON.stringify(userId)},"updatedKey":"p","updatedValue":9.9e30}`,
      });
      const readAgain = await get(userId);

      expect(created.status).toBe(201);
      expect(created.body).toBe(read.body);
      expect(created.headers.etag).toBe(read.headers.etag);
      // Members in one order (user_id first, then by code point), numbers in one spelling:
      // ECMAScript's, whatever the client sent and the engine read back.
      expect(read.body).toBe(
        `{"user_id":${JSON.stringify(userId)},"m":{"l":[0,12345678901234567890],"x":0.0000123456789012345678},"n":1e+21}`,
      );
      expect(patched.body).toBe(readAgain.body);
      expect(readAgain.body).toContain(`"n":1e+21,"p":9.9e+30}`);
    });
  });

  describe('messages a person can act on', () => {
    it('says a body that is not JSON is not, and what to send instead', async () => {
      const response = await send('createItem', {
        method: 'POST',
        headers: JSON_TYPE,
        body: 'hello',
      });

      expect(response.status).toBe(400);
      expect(problem(response).detail).toBe(
        `The body is not valid JSON (RFC 8259): unexpected token 'h'; send application/json such as {"user_id":"user-123","name":"Ada","visits":3}.`,
      );
    });

    it('says an empty body is required, and what to send', async () => {
      const response = await send('updateItem', { method: 'PATCH', headers: JSON_TYPE, body: '' });

      expect(response.status).toBe(400);
      expect(problem(response).detail).toBe(
        'The body is required: send application/json such as {"user_id":"user-123","updatedKey":"name","updatedValue":"Grace"}.',
      );
    });

    it('says a parameter given twice is given twice', async () => {
      const response = await send('getItem', { method: 'GET', query: 'user_id=a&user_id=b' });

      expect(problem(response).detail).toBe(
        'Query parameter user_id is given 2 times; send it once.',
      );
    });
  });
});

const NOT_UTF8 =
  'is not valid percent-encoded UTF-8 (RFC 3986 §2.1); encode the value as UTF-8, then percent-encode it';

describe.each(['local HTTP server', 'Lambda HTTP API (v2)'] as const)(
  'a query string as sent, through the %s',
  (transport) => {
    const table = useTable();
    const api = useApi(transport, table);

    it.each([['user_id=caf%E9'], ['user_id=%C0%AF'], ['user_id=%ED%A0%80']])(
      'refuses %s, whose percent-encoding is not UTF-8: 400 naming the parameter',
      async (query) => {
        const response = await checked('getItem', api.send({ method: 'GET', query }));

        expect(response.status).toBe(400);
        expect((response.json as Problem).errors).toEqual([
          { parameter: 'user_id', detail: NOT_UTF8 },
        ]);
      },
    );
  },
);

describe.each(['Lambda REST API (v1)', 'Lambda HTTP API (v2)'] as const)(
  'text as API Gateway hands it over, through the %s',
  (transport) => {
    const table = useTable();
    const api = useApi(transport, table);

    it('refuses a text body with a lone surrogate, which has no UTF-8 form', async () => {
      const body = `{"user_id":"${newId()}","s":"\ud800"}`;

      const response = await checked(
        'createItem',
        api.send({ method: 'POST', headers: JSON_TYPE, body }),
      );

      expect(response.status).toBe(400);
      expect((response.json as Problem).detail).toBe(
        `The body is not valid UTF-8 text (RFC 8259 §8.1): character ${[...body].indexOf('\ud800')} is a lone UTF-16 surrogate; send UTF-8.`,
      );
    });
  },
);

describe('a REST API (v1) query, which API Gateway hands over decoded', () => {
  const table = useTable();

  it('refuses a value with a lone surrogate, which has no UTF-8 form: 400 naming the parameter', async () => {
    const handler = createLambdaHandler(
      createTestApp(createDynamoDbStore(table.documentClient, table.tableName)),
      quietLogger,
    );
    const event = {
      ...restApiEvent({ method: 'GET' }),
      queryStringParameters: { user_id: 'caf\ud800' },
      multiValueQueryStringParameters: { user_id: ['caf\ud800'] },
    };

    const response = seenFromLambda(await handler(event, lambdaContext()));

    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).errors).toEqual([{ parameter: 'user_id', detail: NOT_UTF8 }]);
  });
});

/**
 * A refused conditional write, explained from what DynamoDB returned with the refusal, or, from
 * an engine that returns nothing (dynalite), from a read afterwards. Both kinds of engine are
 * run here: dynalite as it is, and behind a proxy that answers as DynamoDB does (the item in
 * the refusal). A store's client that, when a condition fails, lets another write land before
 * the store can look at the item: the race a second read would lose.
 */
describe.each([
  ['an engine that returns nothing with a refusal', false],
  ['an engine that returns the item with a refusal (as DynamoDB)', true],
])('a refused conditional write, on %s', (_engine, returnsItem) => {
  const table = useTable();
  let proxy: FaultProxy;
  let racing: DynamoDBClient;
  let engineReturnsItem = false;
  let raceOnce: (() => Promise<void>) | undefined;
  let app: Reached;

  beforeAll(async () => {
    proxy = await startFaultProxy(table.endpoint);
    proxy.returnItemOnConditionFailure(returnsItem);
    racing = createTestClient(proxy.url);
    // Does the engine, as this store sees it, return the item with a failed condition? Against
    // DynamoDB Local (`npm run test:dynamodb-local`) it does either way.
    const probe = `probe-${randomUUID()}`;
    await table.documentClient.send(
      new PutCommand({ TableName: table.tableName, Item: { user_id: probe } }),
    );
    try {
      await racing.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: { user_id: { S: probe } },
          ConditionExpression: 'attribute_not_exists(user_id)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      engineReturnsItem =
        error instanceof ConditionalCheckFailedException && error.Item !== undefined;
    }
    if (returnsItem) expect(engineReturnsItem).toBe(true);
    racing.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          const race = raceOnce;
          raceOnce = undefined;
          if (error instanceof ConditionalCheckFailedException && race !== undefined) await race();
          throw error;
        }
      },
      { step: 'initialize', name: 'landAnotherWrite' },
    );
    // One document client for the store, made before any other: the options it is given are
    // its own (a shared options object changed by one client broke the next one's reads).
    const store = createDynamoDbStore(createDocumentClient(racing), table.tableName);
    app = await reach(createTestApp(store), 'Lambda HTTP API (v2)');
  });
  afterAll(async () => {
    await app?.close();
    racing?.destroy();
    await proxy?.close();
  });

  const read = async (userId: string) =>
    (
      await table.documentClient.send(
        new GetCommand({
          TableName: table.tableName,
          Key: { user_id: userId },
          ConsistentRead: true,
        }),
      )
    ).Item;
  const put = (userId: string, version: number, attributes: Record<string, unknown> = {}) =>
    table.documentClient.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { user_id: userId, ...attributes, [VERSION_ATTRIBUTE]: version },
      }),
    );

  it('a stale If-Match is a 412 naming the version the item is at, and changes nothing', async () => {
    const userId = newId();
    await put(userId, 2, { a: 1 });

    for (const request of [
      { method: 'DELETE', query: { user_id: userId } },
      {
        method: 'PATCH',
        json: { user_id: userId, updatedKey: 'a', updatedValue: 2 },
      },
    ] as const) {
      const response = await checked(
        request.method === 'DELETE' ? 'deleteItem' : 'updateItem',
        app.send({ ...request, headers: { 'if-match': '"7"' } }),
      );
      expect(response.status).toBe(412);
      expect(response.json.detail).toBe(
        `If-Match does not match the item's current ETag, "2"; read it again and retry.`,
      );
    }
    expect(await read(userId)).toEqual({ user_id: userId, a: 1, [VERSION_ATTRIBUTE]: 2 });
  });

  it.each([
    [
      'If-None-Match of its current ETag',
      { 'if-none-match': '"2"' },
      `If-None-Match names the item's current ETag, "2"; this request was only for another state.`,
    ],
    [
      'If-None-Match: *',
      { 'if-none-match': '*' },
      'If-None-Match is *, and an item with user_id "<id>" exists.',
    ],
    [
      'both, failing both: If-Match, evaluated first (RFC 9110 §13.2.2)',
      { 'if-match': '"7"', 'if-none-match': '"2"' },
      `If-Match does not match the item's current ETag, "2"; read it again and retry.`,
    ],
  ])(
    'a write refused by %s names that precondition, and changes nothing',
    async (_, headers, detail) => {
      const userId = newId();
      await put(userId, 2, { a: 1 });

      for (const request of [
        { method: 'DELETE', query: { user_id: userId } },
        { method: 'PATCH', json: { user_id: userId, updatedKey: 'a', updatedValue: 2 } },
      ] as const) {
        const response = await checked(
          request.method === 'DELETE' ? 'deleteItem' : 'updateItem',
          app.send({ ...request, headers }),
        );
        expect(response.status).toBe(412);
        expect(response.json.detail).toBe(detail.replace('<id>', userId));
      }
      expect(await read(userId)).toEqual({ user_id: userId, a: 1, [VERSION_ATTRIBUTE]: 2 });
    },
  );

  it('never names the very tag the client sent as the current one', async () => {
    // Prepare: the item at version 2; meanwhile it will be deleted and made again, at version 1.
    const userId = newId();
    await put(userId, 2);
    raceOnce = async () => {
      await table.documentClient.send(
        new DeleteCommand({ TableName: table.tableName, Key: { user_id: userId } }),
      );
      await put(userId, 1, { again: true });
    };

    // Act: a write conditional on version 1, refused while the item was at version 2.
    const response = await checked(
      'deleteItem',
      app.send({ method: 'DELETE', query: { user_id: userId }, headers: { 'if-match': '"1"' } }),
    );

    // Assess: the refusal names version 2; or, with nothing returned, the item read afterwards
    // is at version 1, which meets If-Match "1", and the write is tried again under it.
    if (engineReturnsItem) {
      expect(response.status).toBe(412);
      expect(response.json.detail).toBe(
        `If-Match does not match the item's current ETag, "2"; read it again and retry.`,
      );
      expect(await read(userId)).toEqual({ user_id: userId, again: true, [VERSION_ATTRIBUTE]: 1 });
    } else {
      expect(response.status).toBe(200);
      expect(response.json).toEqual({ user_id: userId, again: true });
      expect(await read(userId)).toBeUndefined();
    }
  });

  it('a write with no precondition is never a 412: made under it, the item is written', async () => {
    // An unconditional DELETE and PATCH find no item; the item is made before the store looks.
    for (const request of [
      { method: 'DELETE', query: {} },
      { method: 'PATCH', json: { updatedKey: 'a', updatedValue: 2 } },
    ] as const) {
      const userId = newId();
      raceOnce = () => put(userId, 1, { a: 1 }).then(() => undefined);

      const response = await checked(
        request.method === 'DELETE' ? 'deleteItem' : 'updateItem',
        app.send(
          request.method === 'DELETE'
            ? { method: 'DELETE', query: { user_id: userId } }
            : { method: 'PATCH', json: { user_id: userId, ...request.json } },
        ),
      );

      expect(response.status).toBe(200);
      if (request.method === 'DELETE') expect(await read(userId)).toBeUndefined();
      else {
        expect(await read(userId)).toEqual({
          user_id: userId,
          a: 2,
          [VERSION_ATTRIBUTE]: 2,
          [INCARNATION_ATTRIBUTE]: expect.any(String),
        });
      }
    }
  });
});

describe.each(TRANSPORTS)('the access log through the %s', (transport: TransportName) => {
  it('writes one line per request at INFO, 4xx included, with what finds it again', async () => {
    // Prepare
    const logger = createLogger({ logLevel: 'INFO' });
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const { createMemoryStore } = await import('../src/store/memory.js');
    const reached = await reach(createTestApp(createMemoryStore(), { logger }), transport, logger);

    // Act
    let response: Awaited<ReturnType<Reached['send']>>;
    try {
      response = await reached.send({ method: 'GET', query: { user_id: 'nobody' } });
    } finally {
      write.mockRestore();
      await reached.close();
    }

    // Assess
    const records = lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => record.message === 'request');
    expect(records).toHaveLength(1);
    const instance = (JSON.parse(response.body) as { instance: string }).instance;
    expect(records[0]).toMatchObject({
      level: 'INFO',
      method: 'GET',
      path: '/dynamo',
      status: 404,
      requestId: instance,
      durationMs: expect.any(Number),
    });
  });
});
