/**
 * When DynamoDB throttles, fails or cannot be reached, the API answers 503 with `Retry-After`,
 * never a hang, a bare 500 or AWS internals; a blip the SDK's retry absorbs is invisible; and the
 * same app serves again once the outage ends. The engine is real (dynalite) behind a proxy that
 * scripts the failures; the SDK, its retries and its per-attempt timeout are the server's own.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeHttpServer as LocalServer } from '../src/adapters/node-http.js';
import type { App } from '../src/core/app.js';
import {
  createDocumentClient,
  createDynamoDbStore,
  INCARNATION_ATTRIBUTE,
  VERSION_ATTRIBUTE,
} from '../src/store/dynamodb.js';
import {
  expectContractResponse,
  type OperationId,
  type SeenResponse,
} from './support/conformance.js';
import { createTestClient, useTable } from './support/engine.js';
import { etagAt, etagParts } from './support/etags.js';
import { type FaultProxy, faults, startFaultProxy } from './support/fault-proxy.js';
import type { TestRequest } from './support/request.js';
import { createTestApp, sendToCore, startTestServer } from './support/transports.js';

/** Attempts per DynamoDB call, as the server is configured here (the first one included). */
const MAX_ATTEMPTS = 2;

const table = useTable();
let proxy: FaultProxy;
let client: DynamoDBClient;
let app: App;

beforeAll(async () => {
  proxy = await startFaultProxy(table.endpoint);
  client = createTestClient(proxy.url, {
    DYNAMODB_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    DYNAMODB_TIMEOUT_MS: '500',
  });
  app = createTestApp(createDynamoDbStore(createDocumentClient(client), table.tableName));
});

afterEach(async () => {
  await proxy.heal();
});

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
});

type Seen = SeenResponse & { json: Record<string, unknown> };

/** Sends `request` to the app as `operationId` and checks the answer against the contract. */
async function send(operationId: OperationId, request: TestRequest): Promise<Seen> {
  const seen = await sendToCore(app, request);
  const json = expectContractResponse(operationId, seen) as Record<string, unknown>;
  return { ...seen, json };
}

const getItem = (userId: string) => send('getItem', { method: 'GET', query: { user_id: userId } });
const createItem = (item: Record<string, unknown>) =>
  send('createItem', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(item),
  });
const updateItem = (userId: string, updatedKey: string, updatedValue: unknown) =>
  send('updateItem', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId, updatedKey, updatedValue }),
  });
const deleteItem = (userId: string) =>
  send('deleteItem', { method: 'DELETE', query: { user_id: userId } });

/** Each operation, run against the existing item `userId`. */
const OPERATIONS: ReadonlyArray<readonly [string, (userId: string) => Promise<Seen>]> = [
  ['GET', (userId) => getItem(userId)],
  ['POST', (userId) => createItem({ user_id: `${userId}-new`, name: 'Ada' })],
  ['PATCH', (userId) => updateItem(userId, 'name', 'Grace')],
  ['DELETE', (userId) => deleteItem(userId)],
];

const newId = () => `user-${randomUUID()}`;

/** Writes an item straight into the table, past the proxy. */
async function seed(item: Record<string, unknown> & { user_id: string }): Promise<void> {
  await table.documentClient.send(
    new PutCommand({ TableName: table.tableName, Item: { ...item, [VERSION_ATTRIBUTE]: 1 } }),
  );
}

/** Reads an item straight from the table, past the proxy. */
async function stored(userId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.documentClient.send(
    new GetCommand({ TableName: table.tableName, Key: { user_id: userId }, ConsistentRead: true }),
  );
  return Item;
}

/** What a client must never see: AWS error names and namespaces, SDK and socket details, stacks. */
const INTERNALS = [
  /ProvisionedThroughput/i,
  /Throttling/i,
  /RequestLimitExceeded/i,
  /InternalServerError/i,
  /ValidationException/i,
  /amazonaws/i,
  /amazon\.com/i,
  /__type/,
  /x-amzn/i,
  /\$metadata/,
  /smithy/i,
  /TimeoutError/,
  /ECONN|ETIMEDOUT|EPIPE/,
  /127\.0\.0\.1/,
  /<html>/i,
  /\bstack\b/i,
  /\n\s+at /,
  /\.[jt]s:\d+/,
];

function expectNoInternals(response: Seen): void {
  for (const internal of INTERNALS) expect(response.body).not.toMatch(internal);
  const problemKeys = ['type', 'title', 'status', 'detail', 'instance', 'errors'];
  for (const key of Object.keys(response.json)) expect(problemKeys).toContain(key);
}

/** 503 problem with a positive whole `Retry-After` and nothing internal in the body. */
function expectServiceUnavailable(response: Seen): void {
  expect(response.status).toBe(503);
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(response.json.status).toBe(503);
  expectNoInternals(response);
}

describe('when DynamoDB throttles every attempt', () => {
  it.each(OPERATIONS)('%s answers 503 with Retry-After after the last attempt', async (_, run) => {
    const userId = newId();
    await seed({ user_id: userId, name: 'Ada' });
    proxy.failAlways(faults.throttling());

    const response = await run(userId);

    expectServiceUnavailable(response);
    expect(proxy.requests).toBe(MAX_ATTEMPTS);
    expect(await stored(userId)).toEqual({ user_id: userId, name: 'Ada', [VERSION_ATTRIBUTE]: 1 });
  });

  it.each(['ThrottlingException', 'RequestLimitExceeded'])(
    'answers 503 for %s too',
    async (type) => {
      const userId = newId();
      await seed({ user_id: userId });
      proxy.failAlways(faults.throttling(type));

      const response = await getItem(userId);

      expectServiceUnavailable(response);
    },
  );
});

describe('when DynamoDB answers 500 on every attempt', () => {
  it.each(OPERATIONS)('%s answers 503, not 500', async (_, run) => {
    const userId = newId();
    await seed({ user_id: userId, name: 'Ada' });
    proxy.failAlways(faults.internalServerError());

    const response = await run(userId);

    expectServiceUnavailable(response);
    expect(proxy.requests).toBe(MAX_ATTEMPTS);
  });

  it('answers 503 for a bare 503 with an HTML body from in front of DynamoDB', async () => {
    const userId = newId();
    await seed({ user_id: userId });
    proxy.failAlways(faults.serviceUnavailable());

    const response = await updateItem(userId, 'name', 'Grace');

    expectServiceUnavailable(response);
    expect(proxy.requests).toBe(MAX_ATTEMPTS);
  });
});

describe('when the engine is unreachable', () => {
  it.each(OPERATIONS)('%s answers 503 when the connection is refused', async (_, run) => {
    const userId = newId();
    await seed({ user_id: userId, name: 'Ada' });
    await proxy.refuseConnections();

    const response = await run(userId);

    expectServiceUnavailable(response);
  });

  it('answers 503 when every connection is reset before an answer', async () => {
    const userId = newId();
    await seed({ user_id: userId });
    proxy.failAlways(faults.reset());

    const response = await deleteItem(userId);

    expectServiceUnavailable(response);
    expect(await stored(userId)).toBeDefined();
  });
});

describe('when the engine accepts the connection but never answers', () => {
  it.each(OPERATIONS)(
    '%s settles as 503: the per-attempt timeout ends each attempt',
    async (_, run) => {
      const userId = newId();
      await seed({ user_id: userId, name: 'Ada' });
      proxy.failAlways(faults.hang());

      const response = await run(userId);

      expectServiceUnavailable(response);
      expect(proxy.requests).toBe(MAX_ATTEMPTS);
    },
  );
});

describe('when the engine starts an answer but never finishes it', () => {
  it.each(OPERATIONS)('%s settles as 503: a stalled body ends the attempt', async (_, run) => {
    const userId = newId();
    await seed({ user_id: userId, name: 'Ada' });
    proxy.failAlways(faults.stall());

    const response = await run(userId);

    expectServiceUnavailable(response);
    expect(proxy.requests).toBe(MAX_ATTEMPTS);
  });
});

describe('when DynamoDB throttles once, then answers', () => {
  it('POST is 201: the SDK retry absorbs the throttle', async () => {
    const item = { user_id: newId(), name: 'Ada' };
    proxy.failNext(faults.throttling());

    const created = await createItem(item);

    expect(created.status).toBe(201);
    expect(created.json).toEqual(item);
    expect(proxy.requests).toBe(2);
    expect(await stored(item.user_id)).toEqual({
      ...item,
      [VERSION_ATTRIBUTE]: 1,
      [INCARNATION_ATTRIBUTE]: etagParts(created.headers.etag).incarnation,
    });
  });

  it('GET is 200 with the item', async () => {
    const userId = newId();
    await seed({ user_id: userId, name: 'Ada' });
    proxy.failNext(faults.throttling());

    const read = await getItem(userId);

    expect(read.status).toBe(200);
    expect(read.json).toEqual({ user_id: userId, name: 'Ada' });
    expect(read.headers.etag).toBe('"1"');
    expect(proxy.requests).toBe(2);
  });

  it('PATCH is 200 after a 500, also absorbed', async () => {
    const userId = newId();
    await seed({ user_id: userId, name: 'Ada' });
    proxy.failNext(faults.internalServerError());

    const updated = await updateItem(userId, 'name', 'Grace');

    expect(updated.status).toBe(200);
    expect(updated.json).toEqual({ user_id: userId, name: 'Grace' });
    // Seeded without an incarnation, as before incarnations: the write gives it one.
    expect(updated.headers.etag).toEqual(etagAt(2));
    expect(proxy.requests).toBe(2);
  });
});

describe('when DynamoDB applies a write but its answer is lost (a 500), and the SDK sends it again', () => {
  it('POST is 201, not 409: the item the retry meets is the one the first attempt made', async () => {
    const item = { user_id: newId(), name: 'Ada' };
    proxy.failNext(faults.appliedThen(faults.internalServerError()));

    const created = await createItem(item);

    expect(created.status).toBe(201);
    expect(created.json).toEqual(item);
    expect(created.headers.etag).toMatch(/^"1\./);
    // The put, applied; the put again, refused; the read that finds this write's incarnation.
    expect(proxy.requests).toBe(3);
    expect(await stored(item.user_id)).toEqual({
      ...item,
      [VERSION_ATTRIBUTE]: 1,
      [INCARNATION_ATTRIBUTE]: etagParts(created.headers.etag).incarnation,
    });
  });

  it("POST is still 409 when the item the retry meets is another write's", async () => {
    const userId = newId();
    await seed({ user_id: userId, name: 'Grace' });
    proxy.failNext(faults.appliedThen(faults.internalServerError()));

    const refused = await createItem({ user_id: userId, name: 'Ada' });

    expect(refused.status).toBe(409);
    expect(await stored(userId)).toEqual({
      user_id: userId,
      name: 'Grace',
      [VERSION_ATTRIBUTE]: 1,
    });
  });
});

describe('after the outage ends, the same app serves normally again', () => {
  const outages: ReadonlyArray<readonly [string, () => Promise<void>]> = [
    ['throttling', async () => proxy.failAlways(faults.throttling())],
    ['500 answers', async () => proxy.failAlways(faults.internalServerError())],
    ['refused connections', () => proxy.refuseConnections()],
    ['unanswered requests', async () => proxy.failAlways(faults.hang())],
    ['stalled answers', async () => proxy.failAlways(faults.stall())],
  ];

  it.each(outages)('recovers from %s', async (_, startOutage) => {
    const userId = newId();
    await startOutage();
    const during = await createItem({ user_id: userId, name: 'Ada' });
    expectServiceUnavailable(during);
    expect(await stored(userId)).toBeUndefined();

    await proxy.heal();
    const created = await createItem({ user_id: userId, name: 'Ada' });
    const read = await getItem(userId);
    const updated = await updateItem(userId, 'name', 'Grace');
    const deleted = await deleteItem(userId);

    expect(created.status).toBe(201);
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ user_id: userId, name: 'Ada' });
    expect(updated.status).toBe(200);
    expect(updated.json).toEqual({ user_id: userId, name: 'Grace' });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ user_id: userId, name: 'Grace' });
    expect(await stored(userId)).toBeUndefined();
  });
});

describe('when DynamoDB refuses the item as too large', () => {
  const tooLarge = () => faults.validation('Item size has exceeded the maximum allowed size');

  it('POST answers 413, once: a ValidationException is not retried', async () => {
    const userId = newId();
    proxy.failNext(tooLarge());

    const response = await createItem({ user_id: userId, blob: 'x'.repeat(1024) });

    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expectNoInternals(response);
    expect(proxy.requests).toBe(1);
    expect(await stored(userId)).toBeUndefined();
  });

  it('PATCH answers 413', async () => {
    const userId = newId();
    await seed({ user_id: userId, name: 'Ada' });
    proxy.failNext(tooLarge());

    const response = await updateItem(userId, 'blob', 'x'.repeat(1024));

    expect(response.status).toBe(413);
    expectNoInternals(response);
    expect(await stored(userId)).toEqual({ user_id: userId, name: 'Ada', [VERSION_ATTRIBUTE]: 1 });
  });
});

describe('through the local HTTP server', () => {
  let server: LocalServer;

  beforeAll(async () => {
    server = await startTestServer(app);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('a throttled GET is a 503 response with a Retry-After header', async () => {
    const userId = newId();
    await seed({ user_id: userId });
    proxy.failAlways(faults.throttling());

    const response = await fetch(`${server.url}/dynamo?user_id=${encodeURIComponent(userId)}`);
    const body = await response.text();

    const seen = { status: response.status, headers: Object.fromEntries(response.headers), body };
    const json = expectContractResponse('getItem', seen) as Record<string, unknown>;
    expectServiceUnavailable({ ...seen, json });
  });
});
