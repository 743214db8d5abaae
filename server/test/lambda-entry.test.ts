/**
 * The real Lambda entry, `server/src/lambda.ts`, loaded as Lambda loads it: configuration from
 * the environment, read once at import, then API Gateway REST (v1) and HTTP API (v2) events in.
 * The table lives on a real engine (dynalite); every response is checked against openapi.yaml.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { handler as LambdaHandler } from '../src/lambda.js';
import { VERSION_ATTRIBUTE } from '../src/store/dynamodb.js';
import { expectContractResponse, type OperationId } from './support/contract.js';
import { useTable } from './support/engine.js';
import { type EventInput, httpApiEvent, lambdaContext, restApiEvent } from './support/events.js';

/** The environment Lambda gives the function, pointed at `endpoint` and `tableName`. */
function stubLambdaEnv(endpoint: string, tableName: string): void {
  vi.stubEnv('TABLE_NAME', tableName);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('DYNAMODB_ENDPOINT', endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLOCALTEST');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local-test-secret');
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  vi.stubEnv('EVENT_BUS_NAME', 'items-bus');
}

interface PutEventsEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  Detail: string;
}

/** EventBridge has no local engine: its HTTP API is answered here, and each entry kept. */
const putEvents: PutEventsEntry[] = [];
const eventBridge = setupServer(
  http.post('https://events.us-east-1.amazonaws.com/', async ({ request }) => {
    const { Entries } = (await request.json()) as { Entries: PutEventsEntry[] };
    putEvents.push(...Entries);
    return HttpResponse.json({
      FailedEntryCount: 0,
      Entries: Entries.map((_, i) => ({ EventId: `event-${i}` })),
    });
  }),
);
beforeAll(() => eventBridge.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => eventBridge.close());

/** The events put for `userId`, as DetailType and parsed Detail. */
function eventsFor(userId: string) {
  return putEvents
    .map((e) => ({ ...e, detail: JSON.parse(e.Detail) as { user_id: string } }))
    .filter((e) => e.detail.user_id === userId);
}

/** Imports `server/src/lambda.ts` afresh, as a cold start does. */
async function coldStart(): Promise<typeof import('../src/lambda.js')> {
  vi.resetModules();
  return import('../src/lambda.js');
}

const newId = () => `user-${randomUUID()}`;
const json = { 'content-type': 'application/json' };

function input(
  method: string,
  options: Partial<Omit<EventInput, 'method' | 'path'>> = {},
): EventInput {
  return { method, path: '/dynamo', query: [], headers: {}, body: undefined, ...options };
}

describe('the Lambda entry, configured from the environment', () => {
  const table = useTable();
  let handler: typeof LambdaHandler;

  beforeAll(async () => {
    stubLambdaEnv(table.endpoint, table.tableName);
    ({ handler } = await coldStart());
  });

  afterAll(() => {
    vi.unstubAllEnvs();
  });

  /** Invokes the handler with `event`, checks the result against the contract, returns it. */
  async function invoke(
    operationId: OperationId,
    event: APIGatewayProxyEvent | APIGatewayProxyEventV2,
  ) {
    const result = await handler(event, lambdaContext());
    if (typeof result === 'string') throw new Error('the handler returned a bare string');
    const seen = {
      status: result.statusCode ?? 200,
      headers: Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      ),
      body: result.body ?? '',
    };
    const body = expectContractResponse(operationId, seen);
    return { ...seen, isBase64Encoded: result.isBase64Encoded, json: body };
  }

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

  it('creates through a REST API (v1) event and reads it back through an HTTP API (v2) event', async () => {
    const item = { user_id: newId(), name: 'Ada', visits: 3, tags: ['a', 'b'] };

    const created = await invoke(
      'createItem',
      restApiEvent(input('POST', { headers: json, body: JSON.stringify(item) })),
    );
    const read = await invoke(
      'getItem',
      httpApiEvent(input('GET', { query: [['user_id', item.user_id]] })),
    );

    expect(created.status).toBe(201);
    expect(created.json).toEqual(item);
    expect(created.headers.location).toBe(`/dynamo?user_id=${encodeURIComponent(item.user_id)}`);
    expect(created.isBase64Encoded).toBe(false);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(item);
    expect(read.headers.etag).toBe('"1"');
    expect(await stored(item.user_id)).toEqual({ ...item, [VERSION_ATTRIBUTE]: 1 });
    expect(eventsFor(item.user_id)).toEqual([
      expect.objectContaining({
        EventBusName: 'items-bus',
        Source: 'dynamo',
        DetailType: 'dynamo_POST',
        detail: expect.objectContaining({ operation: 'POST', message: 'success', item }),
      }),
    ]);
  });

  it.each([
    ['REST API (v1)', restApiEvent],
    ['HTTP API (v2)', (event: EventInput) => httpApiEvent(event)],
  ] as const)('decodes a base64-encoded body of a %s event', async (_, toEvent) => {
    const item = { user_id: newId(), name: 'Zoë 🚀', note: 'non-ASCII survives the decoding' };

    const created = await invoke(
      'createItem',
      toEvent(input('POST', { headers: json, body: JSON.stringify(item), base64: true })),
    );

    expect(created.status).toBe(201);
    expect(created.json).toEqual(item);
    expect(await stored(item.user_id)).toEqual({ ...item, [VERSION_ATTRIBUTE]: 1 });
  });

  it.each([
    ['a named stage', 'prod', '/prod/dynamo'],
    ['the $default stage', '$default', '/dynamo'],
  ])('routes an HTTP API (v2) event on %s (rawPath %s)', async (_, stage, rawPath) => {
    const userId = newId();
    await invoke(
      'createItem',
      restApiEvent(input('POST', { headers: json, body: JSON.stringify({ user_id: userId }) })),
    );
    const event = httpApiEvent(input('GET', { query: [['user_id', userId]] }), stage);
    expect(event.rawPath).toBe(rawPath);

    const read = await invoke('getItem', event);

    expect(read.status).toBe(200);
    expect(read.json).toEqual({ user_id: userId });
  });

  it('updates and deletes through HTTP API (v2) events on the same warm handler', async () => {
    const userId = newId();
    await invoke(
      'createItem',
      httpApiEvent(input('POST', { headers: json, body: JSON.stringify({ user_id: userId }) })),
    );

    const updated = await invoke(
      'updateItem',
      httpApiEvent(
        input('PATCH', {
          headers: { ...json, 'if-match': '"1"' },
          body: JSON.stringify({ user_id: userId, updatedKey: 'status', updatedValue: 'active' }),
        }),
      ),
    );
    const deleted = await invoke(
      'deleteItem',
      restApiEvent(input('DELETE', { query: [['user_id', userId]] })),
    );

    expect(updated.status).toBe(200);
    expect(updated.json).toEqual({ user_id: userId, status: 'active' });
    expect(updated.headers.etag).toBe('"2"');
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ user_id: userId, status: 'active' });
    expect(await stored(userId)).toBeUndefined();
    expect(eventsFor(userId).map((e) => e.DetailType)).toEqual([
      'dynamo_POST',
      'dynamo_PATCH',
      'dynamo_DELETE',
    ]);
  });

  it('announces nothing for a write that did not happen', async () => {
    const userId = newId();

    const missing = await invoke(
      'deleteItem',
      restApiEvent(input('DELETE', { query: [['user_id', userId]] })),
    );

    expect(missing.status).toBe(404);
    expect(eventsFor(userId)).toEqual([]);
  });
});

describe('the Lambda entry without TABLE_NAME', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails to load, naming TABLE_NAME', async () => {
    stubLambdaEnv('http://127.0.0.1:9', 'unused');
    vi.stubEnv('TABLE_NAME', undefined);

    const loading = coldStart();

    await expect(loading).rejects.toThrow(/TABLE_NAME/);
    await expect(loading).rejects.toMatchObject({ name: 'ConfigError' });
  });

  it('fails to load without EVENT_BUS_NAME, naming it', async () => {
    stubLambdaEnv('http://127.0.0.1:9', 'unused');
    vi.stubEnv('EVENT_BUS_NAME', undefined);

    await expect(coldStart()).rejects.toThrow(/EVENT_BUS_NAME/);
  });
});
