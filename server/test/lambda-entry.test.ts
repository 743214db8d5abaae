/**
 * The real Lambda entry, `server/src/lambda.ts`, loaded as Lambda loads it: configuration from
 * the environment, read once at import, then API Gateway REST (v1) and HTTP API (v2) events in.
 * The table lives on a real engine (dynalite); every response is checked against openapi.yaml.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { handler as LambdaHandler } from '../src/lambda.js';
import { INCARNATION_ATTRIBUTE, VERSION_ATTRIBUTE } from '../src/store/dynamodb.js';
import { putEventsEntries, useAwsFakes } from './support/aws-fakes.js';
import { expectContractResponse, type OperationId } from './support/conformance.js';
import { useTable } from './support/engine.js';
import { etagAt, etagParts } from './support/etags.js';
import {
  httpApiEvent,
  lambdaContext,
  lambdaEnvironment,
  restApiEvent,
  seenFromLambda,
} from './support/lambda-events.js';
import type { TestRequest } from './support/request.js';

/** The environment Lambda gives the function, pointed at the engine and table. */
function stubLambdaEnv(dynamodbEndpoint: string, tableName: string): void {
  for (const [name, value] of Object.entries(lambdaEnvironment({ dynamodbEndpoint, tableName }))) {
    vi.stubEnv(name, value);
  }
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
}

/** EventBridge has no local engine: its HTTP API is answered by a fake that keeps each entry. */
const aws = useAwsFakes();

/** The events put for `userId`, as DetailType and parsed Detail. */
function eventsFor(userId: string) {
  return putEventsEntries(aws.eventBridge)
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
    const seen = seenFromLambda(result);
    const body = expectContractResponse(operationId, seen);
    return {
      ...seen,
      isBase64Encoded: typeof result === 'string' ? undefined : result.isBase64Encoded,
      json: body,
    };
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

    const created = await invoke('createItem', restApiEvent({ method: 'POST', json: item }));
    const read = await invoke(
      'getItem',
      httpApiEvent({ method: 'GET', query: { user_id: item.user_id } }),
    );

    expect(created.status).toBe(201);
    expect(created.json).toEqual(item);
    expect(created.headers.location).toBe(`?user_id=${encodeURIComponent(item.user_id)}`);
    expect(created.isBase64Encoded).toBe(false);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(item);
    expect(read.headers.etag).toEqual(etagAt(1));
    expect(read.headers.etag).toBe(created.headers.etag);
    expect(await stored(item.user_id)).toEqual({
      ...item,
      [VERSION_ATTRIBUTE]: 1,
      [INCARNATION_ATTRIBUTE]: etagParts(read.headers.etag).incarnation,
    });
    // Location resolves to where the item is read, whatever prefixes the API's path on AWS.
    for (const posted of [
      'https://abc123.execute-api.us-east-1.amazonaws.com/prod/dynamo', // the stage
      'https://api.example.com/items-api/dynamo', // a custom domain's base path mapping
      'http://127.0.0.1:3000/dynamo', // npm start
    ]) {
      const location = new URL(String(created.headers.location), posted);
      expect(`${location.origin}${location.pathname}`).toBe(posted);
      expect(location.searchParams.get('user_id')).toBe(item.user_id);
    }
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
    ['HTTP API (v2)', (request: TestRequest) => httpApiEvent(request)],
  ] as const)('decodes a base64-encoded body of a %s event', async (_, toEvent) => {
    const item = { user_id: newId(), name: 'Zoë 🚀', note: 'non-ASCII survives the decoding' };

    const created = await invoke(
      'createItem',
      toEvent({ method: 'POST', headers: json, body: Buffer.from(JSON.stringify(item)) }),
    );

    expect(created.status).toBe(201);
    expect(created.json).toEqual(item);
    expect(await stored(item.user_id)).toEqual({
      ...item,
      [VERSION_ATTRIBUTE]: 1,
      [INCARNATION_ATTRIBUTE]: etagParts(created.headers.etag).incarnation,
    });
  });

  it.each([
    ['a named stage', 'prod', '/prod/dynamo'],
    ['the $default stage', '$default', '/dynamo'],
  ])('routes an HTTP API (v2) event on %s (rawPath %s)', async (_, stage, rawPath) => {
    const userId = newId();
    await invoke('createItem', restApiEvent({ method: 'POST', json: { user_id: userId } }));
    const event = httpApiEvent({ method: 'GET', query: { user_id: userId } }, stage);
    expect(event.rawPath).toBe(rawPath);

    const read = await invoke('getItem', event);

    expect(read.status).toBe(200);
    expect(read.json).toEqual({ user_id: userId });
  });

  it('updates and deletes through HTTP API (v2) events on the same warm handler', async () => {
    const userId = newId();
    const created = await invoke(
      'createItem',
      httpApiEvent({ method: 'POST', json: { user_id: userId } }),
    );

    const updated = await invoke(
      'updateItem',
      httpApiEvent({
        method: 'PATCH',
        headers: { ...json, 'if-match': created.headers.etag ?? '' },
        body: JSON.stringify({ user_id: userId, updatedKey: 'status', updatedValue: 'active' }),
      }),
    );
    const deleted = await invoke(
      'deleteItem',
      restApiEvent({ method: 'DELETE', query: { user_id: userId } }),
    );

    expect(updated.status).toBe(200);
    expect(updated.json).toEqual({ user_id: userId, status: 'active' });
    expect(updated.headers.etag).toBe(etagAt(2, created.headers.etag));
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
      restApiEvent({ method: 'DELETE', query: { user_id: userId } }),
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
