/**
 * "Make it yours": a team types its items in openapi.yaml (the fixture
 * `fixtures/typed-item.yaml`, merged over the shipped contract, which stays as it is), runs
 * `npm run generate`, and the server keeps every stored item valid against that `Item` on every
 * write path and transport: a POSTed item, the seed's PATCH (the value against what `Item` says
 * of that attribute; a rule about the item as a whole against the whole item it makes), and a
 * JSON Merge Patch (the whole item it makes). An item
 * another program stored against the schema is still answered, as stored, with a warning.
 * Events follow the typed item, and the body Terraform imports stays importable.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createConformance } from '@dynamo-crud/contract-tests';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { generateApiBody, UNSUPPORTED_MODEL_KEYWORDS } from '../../scripts/generate-api-gateway.js';
import type * as AppModule from '../src/core/app.js';
import type * as IdempotencyModule from '../src/idempotency/store.js';
import { createLogger } from '../src/logger.js';
import type * as StoreModule from '../src/store/dynamodb.js';
import { useTable } from './support/engine.js';
import { etagAt } from './support/etags.js';
import {
  type GeneratedCopy,
  type GeneratedSdkCopy,
  generateSdkCopy,
  generateServerCopy,
} from './support/generated-copy.js';
import { createRecordingPublisher } from './support/recorder.js';
import type { SeenResponse, TestRequest } from './support/request.js';
import {
  type Reached,
  reach,
  TEST_CURSOR_KEY,
  TEST_IDEMPOTENCY_TTL_SECONDS,
  TEST_IN_PROGRESS_MS,
  TRANSPORTS,
} from './support/transports.js';

import { typedItemContract } from './support/typed-contract.js';

const contract = typedItemContract();
const conformance = createConformance(parse(contract) as object);
const ada = (userId: string) => ({
  user_id: userId,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  plan: 'pro',
});
type Problem = { detail: string; errors?: Array<{ pointer?: string; detail: string }> };

let copy: GeneratedCopy;
beforeAll(async () => {
  copy = await generateServerCopy(contract);
}, 60_000);
afterAll(() => copy?.remove());

describe.each(TRANSPORTS)('a typed item through the %s', (transport) => {
  const table = useTable();
  const events = createRecordingPublisher();
  const logger = createLogger({ logLevel: 'SILENT' });
  const warn = vi.spyOn(logger, 'warn');
  let api: Reached;

  beforeAll(async () => {
    const { createApp } = await copy.import<typeof AppModule>('core/app.ts');
    const { createDynamoDbStore } = await copy.import<typeof StoreModule>('store/dynamodb.ts');
    const { createDynamoDbIdempotency } =
      await copy.import<typeof IdempotencyModule>('idempotency/store.ts');
    const app = createApp({
      store: createDynamoDbStore(table.documentClient, table.tableName),
      events,
      idempotency: createDynamoDbIdempotency({
        client: table.client,
        tableName: table.idempotencyTableName,
        ttlSeconds: TEST_IDEMPOTENCY_TTL_SECONDS,
        inProgressMs: TEST_IN_PROGRESS_MS,
        logger: logger as Logger,
      }),
      logger: logger as Logger,
      maxBodyBytes: 64 * 1024,
      cursorKey: TEST_CURSOR_KEY,
    });
    api = await reach(app, transport);
  });
  afterAll(() => api?.close());

  /** Sends `request` as `operationId` and checks the answer against the typed contract. */
  async function send(operationId: string, request: TestRequest) {
    const seen: SeenResponse = await api.send(request);
    expect(conformance.checkResponse(operationId, seen), seen.body).toEqual([]);
    return { ...seen, json: JSON.parse(seen.body === '' ? 'null' : seen.body) as unknown };
  }
  const create = (item: unknown) => send('createItem', { method: 'POST', json: item });
  const patch = (userId: string, updatedKey: string, updatedValue: unknown) =>
    send('updateItem', { method: 'PATCH', json: { user_id: userId, updatedKey, updatedValue } });
  const merge = (patch: Record<string, unknown>) =>
    send('updateItem', {
      method: 'PATCH',
      body: JSON.stringify(patch),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
  const read = (userId: string) => api.send({ method: 'GET', query: { user_id: userId } });
  const newId = () => `typed-${randomUUID()}`;
  const problem = (response: { json: unknown }) => response.json as Problem;
  /** A detail given whole, or a part of it. */
  const matching = (detail: string | RegExp) =>
    typeof detail === 'string' ? detail : expect.stringMatching(detail);

  it('creates an item that keeps to the schema', async () => {
    const item = {
      ...ada(newId()),
      seats: 3,
      visits: 0,
      balance: 12.5,
      verified: true,
      joinedAt: '2026-11-29T18:00:00Z',
      nickname: null,
      address: { city: 'London', zip: '12345' },
      tags: ['vip'],
    };

    const created = await create(item);

    expect(created.status).toBe(201);
    expect(created.json).toEqual(item);
  });

  it.each([
    ['a name over 40 characters', { name: 'x'.repeat(41) }, '/name', /at most 40 characters/],
    ['an email that is not one', { email: 'ada' }, '/email', /email address/],
    ['a plan not in the enum', { plan: 'gold' }, '/plan', /one of "free", "pro", "team"/],
    [
      'an attribute the schema does not list',
      { colour: 'red' },
      '/colour',
      'is not allowed here; this object takes user_id, name, email, plan, seats, visits, balance, verified, joinedAt, nickname, address, tags',
    ],
    [
      'an address with a member Address does not list',
      { address: { city: 'x', floor: 2 } },
      '/address/floor',
      'is not allowed here; this object takes street, city, zip',
    ],
    ['an address without a city', { address: { street: 'a' } }, '/address/city', /required/],
    ['a zip of letters', { address: { city: 'x', zip: 'abcde' } }, '/address/zip', /pattern/],
    ['a joinedAt that is not a date-time', { joinedAt: 'yesterday' }, '/joinedAt', /date-time/],
    ['seats as text', { seats: 'three' }, '/seats', /integer/],
  ])('refuses a POST of %s: 400 naming the field', async (_what, fields, pointer, detail) => {
    const userId = newId();

    const response = await create({ ...ada(userId), ...fields });

    expect(response.status).toBe(400);
    expect(problem(response).errors).toContainEqual({ pointer, detail: matching(detail) });
    expect((await read(userId)).status).toBe(404);
  });

  it('refuses a PATCH that would store a number as the name: 400 at /updatedValue, nothing written', async () => {
    const userId = newId();
    await create(ada(userId));

    const response = await patch(userId, 'name', 12345678);

    expect(response.status).toBe(400);
    expect(problem(response).errors).toEqual([
      { pointer: '/updatedValue', detail: 'must be a string' },
    ]);
    expect(JSON.parse((await read(userId)).body)).toEqual(ada(userId));
  });

  it.each([
    [
      'an attribute the schema does not list',
      'colour',
      'red',
      '/updatedKey',
      'is not an attribute the item schema allows ("colour"); it allows user_id, name, email, plan, seats, visits, balance, verified, joinedAt, nickname, address, tags',
    ],
    [
      'a nested member the schema does not list',
      'address',
      { city: 'x', floor: 2 },
      '/updatedValue/floor',
      'is not allowed here; this object takes street, city, zip',
    ],
    ['a required attribute nulled', 'email', null, '/updatedValue', /must be a string/],
    [
      'a nested object without what it requires',
      'address',
      { street: 'a' },
      '/updatedValue/city',
      /required/,
    ],
    [
      'a nested value of the wrong form',
      'address',
      { city: 'x', zip: '1' },
      '/updatedValue/zip',
      /pattern/,
    ],
    [
      'a list over its length',
      'tags',
      ['a', 'b', 'c', 'd', 'e', 'f'],
      '/updatedValue',
      /at most 5 items/,
    ],
    ['an enum value it does not have', 'plan', 'gold', '/updatedValue', /one of/],
  ])('refuses a PATCH of %s: 400 naming the field', async (_what, key, value, pointer, detail) => {
    const userId = newId();
    await create(ada(userId));

    const response = await patch(userId, key, value);

    expect(response.status).toBe(400);
    expect(problem(response).errors).toContainEqual({ pointer, detail: matching(detail) });
    expect(JSON.parse((await read(userId)).body)).toEqual(ada(userId));
  });

  it('takes a PATCH the schema allows: a nullable value nulled, an exact big integer', async () => {
    const userId = newId();
    await create({ ...ada(userId), nickname: 'Ada' });

    const nulled = await patch(userId, 'nickname', null);
    const visits = await send('updateItem', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: `{"user_id":"${userId}","updatedKey":"visits","updatedValue":12345678901234567890}`,
    });

    expect(nulled.status).toBe(200);
    expect(visits.status).toBe(200);
    expect(visits.body).toContain('"visits":12345678901234567890');
  });

  it('checks a rule about the whole item against the item a PATCH makes', async () => {
    const userId = newId();
    const created = await create(ada(userId));

    const teamWithoutSeats = await patch(userId, 'plan', 'team');
    const seats = await patch(userId, 'seats', 5);
    const team = await patch(userId, 'plan', 'team');

    expect(teamWithoutSeats.status).toBe(400);
    expect(problem(teamWithoutSeats).errors).toContainEqual({
      pointer: '/seats',
      detail: 'is required by the item schema and cannot be removed',
    });
    expect([seats.status, team.status]).toEqual([200, 200]);
    expect(team.headers.etag).toBe(etagAt(3, created.headers.etag));
  });

  it.each([
    [
      'an attribute the schema does not list',
      { colour: 'red' },
      '/colour',
      'is not an attribute the item schema allows ("colour"); it allows user_id, name, email, plan, seats, visits, balance, verified, joinedAt, nickname, address, tags',
    ],
    [
      'a nested member the schema does not list',
      { address: { floor: 2 } },
      '/address/floor',
      'is not allowed here; this object takes street, city, zip',
    ],
    [
      'a required attribute removed',
      { email: null },
      '/email',
      /is required by the item schema and cannot be removed/,
    ],
    ['a nested required member removed', { address: { city: null } }, '/address/city', /required/],
    ['a nested value of the wrong form', { address: { zip: '1' } }, '/address/zip', /pattern/],
    ['a team plan without seats', { plan: 'team' }, '/seats', /required/],
  ])(
    'refuses a merge patch making an item with %s: 400 naming the field, nothing written',
    async (_what, fields, pointer, detail) => {
      const userId = newId();
      await create({ ...ada(userId), address: { city: 'London' } });

      const response = await merge({ user_id: userId, ...fields });

      expect(response.status).toBe(400);
      expect(problem(response).errors).toContainEqual({ pointer, detail: matching(detail) });
      expect(JSON.parse((await read(userId)).body)).toEqual({
        ...ada(userId),
        address: { city: 'London' },
      });
    },
  );

  it('takes in one merge patch what the seed PATCH needs two writes for: a team plan with its seats', async () => {
    const userId = newId();
    const created = await create({ ...ada(userId), nickname: 'Ada' });

    const team = await merge({ user_id: userId, plan: 'team', seats: 5, nickname: null });

    expect(team.status).toBe(200);
    expect(team.json).toEqual({ ...ada(userId), plan: 'team', seats: 5 });
    expect(team.headers.etag).toBe(etagAt(2, created.headers.etag));
  });

  it('announces typed items: each event detail keeps to the typed contract', async () => {
    const userId = newId();
    await create(ada(userId));
    await patch(userId, 'visits', 1);

    const details = events.published.filter((e) => e.user_id === userId);

    expect(details.map((d) => d.operation)).toEqual(['POST', 'PATCH']);
    expect(conformance.checkSchema('ItemCreatedDetail', details[0])).toEqual([]);
    expect(conformance.checkSchema('ItemUpdatedDetail', details[1])).toEqual([]);
  });

  it('answers an item another program stored against the schema as it is, and warns', async () => {
    const userId = newId();
    const stored = { user_id: userId, name: 42, plan: 'gold', '@version': 1 };
    await table.documentClient.send(new PutCommand({ TableName: table.tableName, Item: stored }));
    warn.mockClear();

    const response = await read(userId);

    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ user_id: userId, name: 42, plan: 'gold' });
    expect(warn).toHaveBeenCalledWith('a stored item does not match the Item schema', {
      userId,
      problems: expect.arrayContaining([
        { pointer: '/name', detail: 'must be a string' },
        { pointer: '/email', detail: 'is required by the item schema and cannot be removed' },
      ]),
    });
  });
});

/**
 * The SDK generated from the typed contract: the calls the server refuses above do not compile,
 * the ones it takes do. A `@ts-expect-error` that is not needed fails the check too.
 */
const TYPED_CALLS = `
import { createClient } from './src/index.js';

const api = createClient({ baseUrl: 'http://127.0.0.1:3000' });

export async function calls(): Promise<void> {
  const user_id = 'user-123';
  await api.createItem({ user_id, name: 'Ada', email: 'ada@example.com', plan: 'team', seats: 3 });
  await api.updateItem({ user_id, updatedKey: 'visits', updatedValue: 3 });
  await api.updateItem({ user_id, updatedKey: 'plan', updatedValue: 'team' });
  await api.updateItem({ user_id, updatedKey: 'nickname', updatedValue: null });
  await api.updateItem({ user_id, updatedKey: 'address', updatedValue: { city: 'London' } });
  await api.updateItem({ user_id, updatedKey: 'tags', updatedValue: ['a'] });

  // @ts-expect-error name is a string: the PATCH the server refuses with 400 at /updatedValue
  await api.updateItem({ user_id, updatedKey: 'name', updatedValue: 12345678 });
  // @ts-expect-error plan is one of free, pro, team
  await api.updateItem({ user_id, updatedKey: 'plan', updatedValue: 'gold' });
  // @ts-expect-error name is not nullable
  await api.updateItem({ user_id, updatedKey: 'name', updatedValue: null });
  // @ts-expect-error an address needs a city
  await api.updateItem({ user_id, updatedKey: 'address', updatedValue: { street: 'x' } });
  // @ts-expect-error Item has no shoeSize (additionalProperties: false)
  await api.updateItem({ user_id, updatedKey: 'shoeSize', updatedValue: 44 });
  // @ts-expect-error user_id names the item; it is not an attribute to set
  await api.updateItem({ user_id, updatedKey: 'user_id', updatedValue: 'user-456' });
  // @ts-expect-error a new item needs name, email and plan
  await api.createItem({ user_id });

  await api.mergeItem({ user_id, name: 'Ada', nickname: null, address: { street: null } });
  await api.mergeItem({ user_id, tags: ['a'], address: { city: 'Paris' } });
  // @ts-expect-error name is a string: the merge patch the server refuses with 400 at /name
  await api.mergeItem({ user_id, name: 12345678 });
  // @ts-expect-error plan is one of free, pro, team
  await api.mergeItem({ user_id, plan: 'gold' });
  // @ts-expect-error name is required: null would remove it
  await api.mergeItem({ user_id, name: null });
  // @ts-expect-error Item has no shoeSize (additionalProperties: false)
  await api.mergeItem({ user_id, shoeSize: 44 });
  // @ts-expect-error an address's city is a string
  await api.mergeItem({ user_id, address: { street: 'x', city: 5 } });

  const { item } = await api.getItem(user_id);
  const plan: 'free' | 'pro' | 'team' = item.plan;
  const city: string | undefined = item.address?.city;
  for await (const listed of api.items()) {
    const email: string = listed.item.email;
    void email;
  }
  void plan;
  void city;
}
`;

describe('the typed contract elsewhere', () => {
  let sdk: GeneratedSdkCopy | undefined;
  afterAll(() => sdk?.remove());

  it('types the SDK: a call the schema forbids does not compile', {
    timeout: 120_000,
  }, async () => {
    sdk = await generateSdkCopy(contract);

    expect(await sdk.typeCheck({ 'typed-calls.ts': TYPED_CALLS })).toBe('');
    // The same calls without their @ts-expect-error: each is an error, so the check can fail.
    const unchecked = await sdk.typeCheck({
      'typed-calls.ts': TYPED_CALLS.replaceAll('// @ts-expect-error', '// was expected:'),
    });
    expect(unchecked.match(/typed-calls\.ts\(\d+,\d+\): error/g)).toHaveLength(12);
  });

  it('type-checks the server generated from it', { timeout: 120_000 }, async () => {
    expect(await copy.typeCheck()).toBe('');
  });

  it('gives Terraform a body API Gateway can import: no unsupported model keyword', () => {
    const body = JSON.stringify(JSON.parse(generateApiBody(contract)).components.schemas);

    for (const keyword of UNSUPPORTED_MODEL_KEYWORDS) expect(body).not.toContain(`"${keyword}":`);
    expect(body).toContain('"maxLength":40');
  });
});
