/**
 * Listing through the SDK against the real local server: `listItems` reads one page, `items()`
 * follows the cursors lazily, one page at a time, stops when asked, and retries a page as it
 * retries a read. Every answer on the wire is checked against openapi.yaml.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createClient,
  type DynamoCrudClient,
  type ItemResult,
  isProblemError,
  isResponseError,
  type ProblemError,
  type ResponseError,
} from '../src/index.js';
import {
  type Exchange,
  expectContractResponse,
  operationOf,
  recordingFetch,
  useLocalApi,
} from './support/local-api.js';

let exchanges: Exchange[] = [];

afterEach(() => {
  for (const exchange of exchanges) {
    expectContractResponse(operationOf(exchange), exchange.response);
  }
  exchanges = [];
});

/** Sees each request first: answers it itself, or passes it on to the server with `next`. */
type Interceptor = (
  request: Request,
  next: (request: Request) => Promise<Response>,
) => Promise<Response>;

/** A client on `url` whose exchanges with the server are recorded (and checked after each test). */
function clientOf(url: string, intercept?: Interceptor): DynamoCrudClient {
  const recorder = recordingFetch();
  exchanges = recorder.exchanges;
  const next = (request: Request) => recorder.fetch(request);
  return createClient({
    baseUrl: url,
    fetch:
      intercept === undefined
        ? recorder.fetch
        : async (input, init) => intercept(new Request(input, init), next),
  });
}

/** The listing requests sent so far, as their query strings. */
const listings = () =>
  exchanges.filter((e) => e.url.pathname === '/dynamo/items').map((e) => e.url.search);

async function collect(iterator: AsyncIterable<ItemResult>): Promise<ItemResult[]> {
  const seen: ItemResult[] = [];
  for await (const listed of iterator) seen.push(listed);
  return seen;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => reason,
  );
}

describe('an API with no items', () => {
  const server = useLocalApi();

  it('listItems answers an empty last page', async () => {
    expect(await clientOf(server.url).listItems()).toEqual({ items: [] });
  });

  it('items() ends after one request', async () => {
    expect(await collect(clientOf(server.url).items())).toEqual([]);
    expect(listings()).toEqual(['']);
  });
});

describe('an API with 26 items', () => {
  const server = useLocalApi();
  const created = new Map<string, ItemResult>();

  it('listItems reads 25 by default, then the last one with the cursor it was given', async () => {
    const api = clientOf(server.url);
    for (let i = 0; i < 26; i += 1) {
      const { item, etag } = await api.createItem({ user_id: `list-${randomUUID()}`, i });
      created.set(item.user_id, { item, etag });
    }
    // One item at version 2, so the ETags listed are each item's own.
    const changed = [...created.values()][7] as ItemResult;
    created.set(
      changed.item.user_id,
      await api.updateItem({
        user_id: changed.item.user_id,
        updatedKey: 'i',
        updatedValue: 'changed',
      }),
    );

    const first = await api.listItems();
    expect(first.items).toHaveLength(25);
    expect(first.cursor).toEqual(expect.any(String));
    const last = await api.listItems({ cursor: first.cursor as string });
    expect(last).toEqual({ items: [expect.anything()] });

    const listed = [...first.items, ...last.items];
    expect(new Map(listed.map((l) => [l.item.user_id, l]))).toEqual(created);
    expect(listings()).toEqual(['', `?cursor=${encodeURIComponent(first.cursor as string)}`]);
  });

  it('items() lists each item exactly once, following the cursors', async () => {
    const listed = await collect(clientOf(server.url).items({ limit: 10 }));

    expect(listed).toHaveLength(26);
    expect(new Map(listed.map((l) => [l.item.user_id, l]))).toEqual(created);
    expect(listings()).toEqual([
      '?limit=10',
      expect.stringMatching(/^\?limit=10&cursor=v1\./),
      expect.stringMatching(/^\?limit=10&cursor=v1\./),
    ]);
  });

  it('items() asks for nothing until it is iterated, and for a page only when it needs it', async () => {
    const iterator = clientOf(server.url).items({ limit: 5 });
    expect(listings()).toHaveLength(0);

    for (let i = 0; i < 5; i += 1) await iterator.next();
    expect(listings()).toHaveLength(1);
    await iterator.next();
    expect(listings()).toHaveLength(2);
  });

  it('a break stops items() without asking for another page', async () => {
    const api = clientOf(server.url);
    let seen = 0;
    for await (const _ of api.items({ limit: 5 })) {
      seen += 1;
      if (seen === 7) break;
    }
    expect(listings()).toHaveLength(2);
  });

  it('an abort stops items() with the signal reason, and no page is asked for after it', async () => {
    const controller = new AbortController();
    const iterator = clientOf(server.url).items({ limit: 5, signal: controller.signal });
    await iterator.next();
    const reason = new Error('no longer needed');

    controller.abort(reason);

    expect(await rejectionOf(iterator.next())).toBe(reason);
    expect(listings()).toHaveLength(1);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('an abort while a page is on its way rejects with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop now');
    const api = clientOf(server.url, async (request, next) => {
      controller.abort(reason);
      return next(request);
    });

    expect(await rejectionOf(api.items({ signal: controller.signal }).next())).toBe(reason);
  });

  it('retries a page answered 503 with Retry-After, as it retries a read', async () => {
    let failed = 0;
    const api = clientOf(server.url, async (request, next) => {
      if (new URL(request.url).searchParams.has('cursor') && failed === 0) {
        failed += 1;
        return Response.json(
          {
            type: 'urn:problem-type:dynamo-crud:service-unavailable',
            title: 'Service Unavailable',
            status: 503,
            detail: 'DynamoDB is unavailable; retry after the Retry-After seconds',
          },
          {
            status: 503,
            headers: { 'content-type': 'application/problem+json', 'retry-after': '0' },
          },
        );
      }
      return next(request);
    });

    const listed = await collect(api.items({ limit: 20 }));

    expect(failed).toBe(1);
    expect(listed).toHaveLength(26);
    expect(listings()).toHaveLength(2);
  });

  it('a changed cursor is a 400 ProblemError naming the cursor parameter', async () => {
    const api = clientOf(server.url);
    const { cursor } = await api.listItems({ limit: 1 });

    const error = await rejectionOf(api.listItems({ cursor: `${cursor}x` }));

    expect(isProblemError(error)).toBe(true);
    expect((error as ProblemError).status).toBe(400);
    expect((error as ProblemError).problem.errors).toEqual([
      {
        parameter: 'cursor',
        detail: expect.stringContaining('send the cursor of the page before'),
      },
    ]);
  });

  it('a page whose cursor is the one it was asked with is a ResponseError, not a loop', async () => {
    // A cache between client and API that keys pages without their query answers the first
    // page to every request: followed, its cursor would list the same items again, forever.
    let firstPage: Response | undefined;
    const api = clientOf(server.url, async (request, next) => {
      firstPage ??= await next(request);
      return firstPage.clone();
    });

    const listed: ItemResult[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const each of api.items({ limit: 10 })) {
          listed.push(each);
          // Without the check, the same 10 items come back page after page.
          if (listed.length > 26) break;
        }
      })(),
    );

    expect(isResponseError(error)).toBe(true);
    expect((error as ResponseError).status).toBe(200);
    expect((error as ResponseError).message).toMatch(/its cursor is the one it was asked for/);
    expect(listed).toHaveLength(10);
  });

  it('a limit out of range is a 400 ProblemError naming the limit parameter', async () => {
    const error = await rejectionOf(clientOf(server.url).items({ limit: 101 }).next());

    expect((error as ProblemError).status).toBe(400);
    expect((error as ProblemError).problem.errors).toEqual([
      { parameter: 'limit', detail: expect.any(String) },
    ]);
  });
});

describe('listing with numbers: exact', () => {
  const server = useLocalApi();

  it('keeps numbers a number would change, as items() lists them', async () => {
    const api = createClient({ baseUrl: server.url, numbers: 'exact' });
    const big = 12345678901234567890123n;
    await api.createItem({ user_id: 'exact', big });

    const [listed] = await collect(api.items());

    expect(listed?.item).toEqual({ user_id: 'exact', big });
  });
});
