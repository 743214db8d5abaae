/**
 * The types a user gets are the ones openapi.yaml says: checked by the compiler (vitest's
 * typecheck), not at run time.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AttributeName,
  type AttributeValue,
  type CallOptions,
  type CreateItemResult,
  type CreateOptions,
  createClient,
  type DeleteItemResult,
  type DynamoCrudClient,
  ExactNumber,
  type FieldError,
  type Item,
  type ItemCreatedDetail,
  type ItemMergePatch,
  type ItemPageResult,
  type ItemResult,
  type ItemUpdate,
  isNetworkError,
  isProblemError,
  isResponseError,
  isTimeoutError,
  type NetworkError,
  type NumberMode,
  type Problem,
  type ProblemError,
  type ResponseError,
  type TimeoutError,
  type UpdateRequest,
  type WriteEventDetail,
} from '../src/index.js';
import { createSigV4Fetch } from '../src/sigv4.js';

declare const api: DynamoCrudClient;

describe('the schemas', () => {
  it('an Item is any object with a string user_id (additionalProperties: true)', () => {
    expectTypeOf<Item>().toEqualTypeOf<{ user_id: string; [key: string]: unknown }>();
    expectTypeOf<Item['user_id']>().toBeString();
    expectTypeOf<Item['anything']>().toBeUnknown();
  });

  it('an UpdateRequest has exactly user_id, updatedKey and updatedValue', () => {
    expectTypeOf<UpdateRequest>().toEqualTypeOf<{
      user_id: string;
      updatedKey: string;
      updatedValue: unknown;
    }>();
  });

  it('a Problem has the RFC 9457 members, errors naming fields', () => {
    expectTypeOf<Problem>().toEqualTypeOf<{
      type: string;
      title: string;
      status: number;
      detail: string;
      instance?: string;
      errors?: Array<FieldError>;
    }>();
    expectTypeOf<FieldError>().toEqualTypeOf<{
      detail: string;
      pointer?: string;
      parameter?: string;
      header?: string;
    }>();
  });

  it('event details carry the operation as a literal union', () => {
    expectTypeOf<WriteEventDetail['operation']>().toEqualTypeOf<'POST' | 'PATCH' | 'DELETE'>();
    expectTypeOf<WriteEventDetail['message']>().toEqualTypeOf<'success'>();
    expectTypeOf<ItemCreatedDetail['operation']>().toEqualTypeOf<'POST'>();
    expectTypeOf<WriteEventDetail['item']>().toEqualTypeOf<Item | undefined>();
  });
});

describe('the operations', () => {
  it('getItem takes a user_id and resolves to the item and its ETag', () => {
    expectTypeOf(api.getItem).parameter(0).toBeString();
    expectTypeOf(api.getItem).parameter(1).toEqualTypeOf<CallOptions | undefined>();
    expectTypeOf(api.getItem('ada')).resolves.toEqualTypeOf<ItemResult>();
    expectTypeOf<ItemResult>().toEqualTypeOf<{ readonly item: Item; readonly etag: string }>();
  });

  it('createItem takes an Item and resolves to it with its ETag and Location', () => {
    expectTypeOf(
      api.createItem({ user_id: 'ada', name: 'Ada', visits: 1 }),
    ).resolves.toEqualTypeOf<CreateItemResult>();
    expectTypeOf<CreateItemResult['location']>().toBeString();
    // @ts-expect-error user_id is required
    void api.createItem({ name: 'Ada' });
    // @ts-expect-error user_id is a string
    void api.createItem({ user_id: 42 });
  });

  it('updateItem takes the UpdateRequest and an optional If-Match', () => {
    expectTypeOf(
      api.updateItem({ user_id: 'ada', updatedKey: 'name', updatedValue: null }),
    ).resolves.toEqualTypeOf<ItemResult>();
    // @ts-expect-error updatedValue is required (null is a value; leaving it out is not)
    void api.updateItem({ user_id: 'ada', updatedKey: 'name' });
    // @ts-expect-error no other members (additionalProperties: false)
    void api.updateItem({ user_id: 'ada', updatedKey: 'a', updatedValue: 1, extra: true });
  });

  it('updateItem is generic over the attribute: with the open Item any name takes any value', () => {
    expectTypeOf<AttributeName>().toEqualTypeOf<string>();
    expectTypeOf<AttributeValue<'anything'>>().toBeUnknown();
    expectTypeOf<ItemUpdate<'visits'>>().toEqualTypeOf<{
      readonly user_id: string;
      readonly updatedKey: 'visits';
      readonly updatedValue: unknown;
    }>();
    void api.updateItem({ user_id: 'ada', updatedKey: 'visits', updatedValue: { n: [1] } });
    const key: string = 'chosen at run time';
    void api.updateItem({ user_id: 'ada', updatedKey: key, updatedValue: 1 });
  });

  it('mergeItem takes a merge patch naming the item, and an optional If-Match', async () => {
    const read = await api.getItem('ada');
    expectTypeOf(
      api.mergeItem({ user_id: 'ada', name: 'Ada', nickname: null, address: { city: 'x' } }),
    ).resolves.toEqualTypeOf<ItemResult>();
    expectTypeOf<ItemMergePatch['user_id']>().toBeString();
    void api.mergeItem({ user_id: 'ada', visits: 2 }, { ifMatch: read, idempotencyKey: 'k' });
    // @ts-expect-error user_id names the item: it is required
    void api.mergeItem({ name: 'Ada' });
    // @ts-expect-error user_id is a string, never null (that would remove the key)
    void api.mergeItem({ user_id: null });
  });

  it('the writes take an idempotencyKey, and the reads and deletes do not', () => {
    void api.createItem({ user_id: 'ada' }, { idempotencyKey: 'order-42' });
    void api.updateItem(
      { user_id: 'ada', updatedKey: 'a', updatedValue: 1 },
      { idempotencyKey: 'order-42' },
    );
    expectTypeOf<CreateOptions['idempotencyKey']>().toEqualTypeOf<string | undefined>();
    // @ts-expect-error a read is idempotent: no key
    void api.getItem('ada', { idempotencyKey: 'k' });
    // @ts-expect-error a delete is idempotent: no key
    void api.deleteItem('ada', { idempotencyKey: 'k' });
  });

  it('ifMatch is an ETag or a result carrying one, and nothing else', async () => {
    const read = await api.getItem('ada');
    void api.updateItem({ user_id: 'ada', updatedKey: 'a', updatedValue: 1 }, { ifMatch: read });
    void api.deleteItem('ada', { ifMatch: read.etag });
    void api.deleteItem('ada', { ifMatch: '*' });
    // @ts-expect-error a version number is not an entity tag
    void api.deleteItem('ada', { ifMatch: 1 });
    // @ts-expect-error getItem does not write: no If-Match
    void api.getItem('ada', { ifMatch: read });
  });

  it('deleteItem resolves to the item as it was, without an ETag', () => {
    expectTypeOf(api.deleteItem('ada')).resolves.toEqualTypeOf<DeleteItemResult>();
    expectTypeOf<DeleteItemResult>().not.toHaveProperty('etag');
  });

  it('listItems takes an optional limit and cursor and resolves to a page', () => {
    expectTypeOf(api.listItems()).resolves.toEqualTypeOf<ItemPageResult>();
    expectTypeOf(
      api.listItems({ limit: 50, cursor: 'v1.x.y' }),
    ).resolves.toEqualTypeOf<ItemPageResult>();
    expectTypeOf<ItemPageResult>().toEqualTypeOf<{
      readonly items: readonly ItemResult[];
      readonly cursor?: string;
    }>();
    // @ts-expect-error limit is a number
    void api.listItems({ limit: '50' });
    // @ts-expect-error a listing takes no user_id
    void api.listItems({ user_id: 'ada' });
    // @ts-expect-error listItems does not write: no If-Match
    void api.listItems({}, { ifMatch: '"1"' });
  });

  it('items() is an async iterator of items with their ETags', async () => {
    expectTypeOf(api.items()).toEqualTypeOf<AsyncIterableIterator<ItemResult>>();
    for await (const { item, etag } of api.items({ limit: 100, signal: AbortSignal.timeout(1) })) {
      expectTypeOf(item).toEqualTypeOf<Item>();
      expectTypeOf(etag).toBeString();
    }
    // @ts-expect-error the page size is a number
    void api.items({ limit: 'all' });
    // @ts-expect-error items() follows the cursors itself
    void api.items({ cursor: 'v1.x.y' });
  });

  it('createClient needs a baseUrl', () => {
    expectTypeOf(
      createClient({ baseUrl: 'http://127.0.0.1:3000' }),
    ).toEqualTypeOf<DynamoCrudClient>();
    // @ts-expect-error baseUrl is required
    createClient({});
    createClient({ baseUrl: 'x', retry: false, timeout: false });
    createClient({ baseUrl: 'x', retry: { limit: 5, maxRetryAfter: 60_000 }, timeout: 5_000 });
    createClient({ baseUrl: 'x', bearerToken: async () => 'token', apiKey: 'key' });
    // @ts-expect-error retries are a count, options or false
    createClient({ baseUrl: 'x', retry: true });
  });

  it("numbers is 'number' (the default) or 'exact', and items take bigints and ExactNumbers", () => {
    expectTypeOf<NumberMode>().toEqualTypeOf<'number' | 'exact'>();
    const exact = createClient({ baseUrl: 'x', numbers: 'exact' });
    void exact.createItem({ user_id: 'a', big: 10n, rate: new ExactNumber('0.1') });
    expectTypeOf<ExactNumber['value']>().toBeString();
    // @ts-expect-error numbers is one of two modes
    createClient({ baseUrl: 'x', numbers: 'bigint' });
  });
});

describe('the errors', () => {
  it('ProblemError carries the status and the problem, named for branching', () => {
    expectTypeOf<ProblemError['name']>().toEqualTypeOf<'ProblemError'>();
    expectTypeOf<ProblemError['status']>().toBeNumber();
    expectTypeOf<ProblemError['problem']>().toEqualTypeOf<Problem>();
    expectTypeOf<ProblemError['retryAfter']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<ProblemError>().toExtend<Error>();
  });

  it('the guards narrow unknown', () => {
    const error: unknown = new Error('x');
    if (isProblemError(error)) expectTypeOf(error).toEqualTypeOf<ProblemError>();
    if (isNetworkError(error)) expectTypeOf(error).toEqualTypeOf<NetworkError>();
    if (isTimeoutError(error)) {
      expectTypeOf(error).toEqualTypeOf<TimeoutError>();
      expectTypeOf(error.name).toEqualTypeOf<'TimeoutError'>();
    }
    if (isResponseError(error)) {
      expectTypeOf(error).toEqualTypeOf<ResponseError>();
      expectTypeOf(error.written).toBeBoolean();
      expectTypeOf(error.status).toBeNumber();
    }
  });
});

describe('the sigv4 entry', () => {
  it("takes the AWS SDK's credential providers and returns a fetch for the client", () => {
    const signing = createSigV4Fetch({ region: 'eu-west-1', credentials: fromNodeProviderChain() });
    expectTypeOf(signing).toEqualTypeOf<typeof fetch>();
    createClient({ baseUrl: 'x', fetch: signing });
    createSigV4Fetch({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    });
    // @ts-expect-error a region is required
    createSigV4Fetch({ credentials: fromNodeProviderChain() });
  });
});
