/**
 * The core on its own: an in-memory store, events recorded, no transport. What the store says
 * in domain terms becomes the one problem each case deserves, here and nowhere else.
 */
import { describe, expect, it, vi } from 'vitest';
import { etagAt } from '../../test/support/etags.js';
import { createMemoryIdempotency } from '../idempotency/store.js';
import { createLogger } from '../logger.js';
import { createMemoryStore } from '../store/memory.js';
import { type App, createApp } from './app.js';
import {
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
  type IdempotencyStore,
  type ItemChange,
  type ItemStore,
  StoreRefusedError,
  StoreUnavailableError,
  type VersionCondition,
  type WriteEventDetail,
  writeContention,
} from './ports.js';
import { MalformedRequestError, NotImplementedError } from './problems.js';
import { type ApiRequest, RequestAbortedError } from './request.js';

function setup(store: ItemStore = createMemoryStore(), idempotency?: IdempotencyStore) {
  const published: WriteEventDetail[] = [];
  const logger = createLogger({ logLevel: 'SILENT' });
  const logged = vi.spyOn(logger, 'error');
  const informed = vi.spyOn(logger, 'info');
  const app = createApp({
    store,
    events: { publish: async (detail) => void published.push(detail) },
    idempotency:
      idempotency ?? createMemoryIdempotency({ ttlSeconds: 86_400, inProgressMs: 30_000, logger }),
    logger,
    maxBodyBytes: 1024,
    cursorKey: 'a-key-for-the-core-s-unit-tests-only',
  });
  /** What the app logged at error level: each line's message, and its error and that's cause. */
  const lines = () =>
    logged.mock.calls
      .map(([message, extra]) => {
        const error = (extra as { error?: Error } | undefined)?.error;
        const cause = error?.cause instanceof Error ? error.cause.message : '';
        return `${String(message)}: ${error?.message ?? ''} ${cause}`;
      })
      .join('\n');
  /** What the app logged at INFO: each line's message and fields. */
  const infoLines = (): Array<Record<string, unknown>> =>
    informed.mock.calls.map(([message, extra]) => ({ message, ...(extra as object) }));
  return { app, published, lines, informed, infoLines };
}

const send = (app: App, request: Partial<ApiRequest> & Pick<ApiRequest, 'method'>) =>
  app.handle({
    path: '/dynamo',
    query: '',
    headers: {},
    body: undefined,
    requestId: 'req-1',
    ...request,
  });
const post = (app: App, item: unknown) =>
  send(app, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(item),
  });
const problem = (body: string) =>
  JSON.parse(body) as { type: string; detail: string; instance: string };

/** The condition a write with these headers carries (If-Match of version 1, or none). */
const readPreconditionsOf = (headers: Record<string, string>): VersionCondition =>
  headers['if-match'] === undefined ? {} : { ifMatch: [{ version: 1, incarnation: 'a' }] };

/** A store whose every call fails with what `error()` makes. */
function failing(error: () => unknown): ItemStore {
  const fail = async (): Promise<never> => {
    throw error();
  };
  return { get: fail, create: fail, update: fail, delete: fail, scan: fail };
}

describe('the core', () => {
  it('creates, reads, updates and deletes, announcing each write once', async () => {
    const { app, published } = setup();

    const created = await post(app, { user_id: 'ada', n: 1 });
    const read = await send(app, { method: 'GET', query: 'user_id=ada' });
    const updated = await send(app, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'if-match': read.headers.etag ?? '' },
      body: '{"user_id":"ada","updatedKey":"n","updatedValue":2}',
    });
    const deleted = await send(app, { method: 'DELETE', query: 'user_id=ada' });

    expect([created.statusCode, read.statusCode, updated.statusCode, deleted.statusCode]).toEqual([
      201, 200, 200, 200,
    ]);
    expect(created.headers).toMatchObject({ etag: etagAt(1), location: '?user_id=ada' });
    expect(read.headers.etag).toBe(created.headers.etag);
    expect(updated.headers.etag).toBe(etagAt(2, created.headers.etag));
    expect(deleted.body).toBe('{"user_id":"ada","n":2}');
    expect(published.map((e) => [e.operation, e.version, e.etag, e.requestId])).toEqual([
      ['POST', 1, created.headers.etag, 'req-1'],
      ['PATCH', 2, updated.headers.etag, 'req-1'],
      ['DELETE', 2, updated.headers.etag, 'req-1'],
    ]);
  });

  it('hands the store the members a merge patch names, never the maps around them', async () => {
    const memory = createMemoryStore();
    const changes: ItemChange[] = [];
    const store: ItemStore = {
      ...memory,
      update: (userId, change, condition) => {
        changes.push(change);
        return memory.update(userId, change, condition);
      },
    };
    const { app } = setup(store);
    await post(app, { user_id: 'ada', doc: { kept: 'k', gone: 1, inner: { n: 1 } } });

    const merged = await send(app, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: '{"user_id":"ada","doc":{"added":1,"gone":null,"inner":{"n":2}},"top":true}',
    });

    expect(merged.statusCode).toBe(200);
    expect(changes).toEqual([
      {
        set: [
          { path: ['doc', 'added'], value: 1 },
          { path: ['doc', 'inner', 'n'], value: 2 },
          { path: ['top'], value: true },
        ],
        remove: [['doc', 'gone']],
      },
    ]);
    expect(JSON.parse(merged.body)).toEqual({
      user_id: 'ada',
      doc: { kept: 'k', inner: { n: 2 }, added: 1 },
      top: true,
    });
  });

  it.each([
    ['an existing user_id: 409', 409, 'conflict'],
    ['a stale If-Match: 412 naming the current ETag', 412, 'precondition-failed'],
    ['a missing item: 404', 404, 'not-found'],
  ])('maps the store’s answer to %s', async (_what, status, type) => {
    // Prepare
    const { app } = setup();
    const created = await post(app, { user_id: 'ada' });

    // Act
    const response =
      status === 409
        ? await post(app, { user_id: 'ada' })
        : await send(app, {
            method: 'DELETE',
            query: `user_id=${status === 404 ? 'nobody' : 'ada'}`,
            headers: { 'if-match': '"7"' },
          });

    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(problem(response.body).type).toBe(`urn:problem-type:dynamo-crud:${type}`);
    if (status === 412) expect(problem(response.body).detail).toContain(created.headers.etag);
  });

  it.each([
    [
      'a key in progress: 409 with Retry-After',
      new IdempotencyKeyInProgressError(),
      409,
      'request-in-progress',
    ],
    ['a key reused: 422', new IdempotencyKeyReusedError(), 422, 'idempotency-key-reused'],
    [
      'its records unavailable: 503 with Retry-After',
      new StoreUnavailableError({ cause: new Error('throttled') }),
      503,
      'service-unavailable',
    ],
  ])(
    'maps the idempotency store’s answer to %s, writing nothing',
    async (_what, error, status, type) => {
      const store = createMemoryStore();
      const refusing: IdempotencyStore = {
        once: async () => {
          throw error;
        },
      };
      const { app } = setup(store, refusing);

      const response = await send(app, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': '"k"' },
        body: '{"user_id":"ada"}',
      });

      expect(response.statusCode).toBe(status);
      expect(problem(response.body).type).toBe(`urn:problem-type:dynamo-crud:${type}`);
      if (status !== 422) expect(response.headers['retry-after']).toBe('1');
      expect(store.items.size).toBe(0);
    },
  );

  it('marks a replay with Idempotent-Replayed, in the answer and in the request log line', async () => {
    const { app, published, informed } = setup();
    const keyed = {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' },
      body: '{"user_id":"ada"}',
    };

    const first = await send(app, keyed);
    const again = await send(app, keyed);

    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect({ ...again, headers: { ...again.headers, 'idempotent-replayed': undefined } }).toEqual({
      ...first,
      headers: { ...first.headers, 'idempotent-replayed': undefined },
    });
    expect(published).toHaveLength(1);
    expect(
      informed.mock.calls.map(([, line]) => (line as { replayed?: boolean }).replayed),
    ).toEqual([undefined, true]);
  });

  it('ignores Idempotency-Key where the operation does not take it: reads and deletes', async () => {
    const once = vi.fn<IdempotencyStore['once']>();
    const { app } = setup(createMemoryStore(), { once });

    const read = await send(app, {
      method: 'GET',
      query: 'user_id=ada',
      headers: { 'idempotency-key': '"k"' },
    });

    expect(read.statusCode).toBe(404);
    expect(once).not.toHaveBeenCalled();
  });

  it('answers 503 with Retry-After when the store is unavailable, and logs the cause', async () => {
    const cause = new Error('throttled');
    const { app, lines } = setup(failing(() => new StoreUnavailableError({ cause })));

    const response = await send(app, { method: 'GET', query: 'user_id=ada' });

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(problem(response.body).instance).toBe('req-1');
    expect(lines()).toMatch(/request failed/);
  });

  it.each([
    ['with If-Match: 412, the item changed', { 'if-match': '"1"' }, 412, 'precondition-failed'],
    ['without a precondition: 503 to retry, never 412', {}, 503, 'service-unavailable'],
  ] as const)(
    'a write that ran out of rounds while the item kept changing, %s',
    async (_what, headers, status, type) => {
      const { app } = setup(failing(() => writeContention('ada', readPreconditionsOf(headers))));

      const response = await send(app, { method: 'DELETE', query: 'user_id=ada', headers });

      expect(response.statusCode).toBe(status);
      expect(problem(response.body).type).toBe(`urn:problem-type:dynamo-crud:${type}`);
    },
  );

  it.each([
    ['a number no double holds', '"n":1e30,'],
    ['only plain numbers', ''],
  ])(
    'answers 400 naming where a body nests past 32 levels, with %s beside it',
    async (_what, n) => {
      const { app } = setup();
      const body = `{${n}"user_id":"deep","d":${'['.repeat(480)}${']'.repeat(480)}}`;

      const response = await send(app, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });

      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).errors).toEqual([
        { pointer: `/d${'/0'.repeat(31)}`, detail: "nests deeper than DynamoDB's 32 levels" },
      ]);
    },
  );

  it.each([
    [
      'echoes none of it',
      '{"user_id":"x","password":"hunter2-secret","n":NaN}',
      /^The body is not valid JSON \(RFC 8259\): unexpected token 'N'(?!.*hunter2)(?!.*cret)/,
    ],
    [
      'names a byte order mark',
      '\uFEFF{"user_id":"x"}',
      /starts with a byte order mark \(U\+FEFF\)/,
    ],
    [
      'names UTF-16',
      '{\u0000"\u0000u\u0000"\u0000:\u00001\u0000}\u0000',
      /holds NUL characters, as UTF-16 text does/,
    ],
    [
      'refuses a number with a leading zero',
      '{"user_id":"x","n":01234567890123456789}',
      /not valid JSON/,
    ],
  ])('a body that is not JSON: the problem %s', async (_what, body, detail) => {
    const { app, published } = setup();

    const response = await send(app, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

    expect(response.statusCode).toBe(400);
    expect(problem(response.body).type).toBe('urn:problem-type:dynamo-crud:malformed-json');
    expect(problem(response.body).detail).toMatch(detail);
    expect(published).toEqual([]);
  });

  it('answers 413 for an item the store finds too large', async () => {
    const { app } = setup(
      failing(() => new StoreRefusedError('item-too-large', { cause: new Error('size') })),
    );

    const response = await post(app, { user_id: 'ada' });

    expect(response.statusCode).toBe(413);
  });

  it('answers 413 for a change larger than one write holds, saying how to send it instead', async () => {
    const { app } = setup(
      failing(() => new StoreRefusedError('change-too-large', { cause: new Error('4 KB') })),
    );

    const response = await send(app, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: '{"user_id":"ada","a":1}',
    });

    expect(response.statusCode).toBe(413);
    expect(problem(response.body).detail).toMatch(/several patches.*If-Match/);
  });

  it('answers 400 for a request the store refused otherwise, and logs its cause: no silent 400s', async () => {
    const cause = new Error('Invalid UpdateExpression: syntax error');
    const { app, lines } = setup(failing(() => new StoreRefusedError('invalid', { cause })));

    const response = await post(app, { user_id: 'ada' });

    expect(response.statusCode).toBe(400);
    expect(response.body).not.toMatch(/UpdateExpression/);
    expect(lines()).toMatch(/request failed.*Invalid UpdateExpression/s);
  });

  it('answers 500 for anything else, its cause in the log only', async () => {
    const { app, lines } = setup(failing(() => new TypeError('secret bug')));

    const response = await send(app, { method: 'GET', query: 'user_id=ada' });

    expect(response.statusCode).toBe(500);
    expect(response.body).not.toMatch(/secret bug/);
    expect(lines()).toMatch(/request failed/);
  });
});

describe('the core, beside what it routes', () => {
  it('answers OPTIONS * with every method it serves and no content (RFC 9110 §9.3.7)', async () => {
    const { app } = setup();

    const response = await send(app, { method: 'OPTIONS', path: '*' });
    const other = await send(app, { method: 'GET', path: '*' });

    expect(response).toEqual({
      statusCode: 200,
      headers: { allow: 'GET, POST, DELETE, OPTIONS, HEAD, PATCH', 'content-length': '0' },
      body: '',
    });
    expect(other.statusCode).toBe(405);
  });

  it('rejects with the RequestAbortedError a body threw, logged once at INFO, not as a failure', async () => {
    const { app, lines, infoLines } = setup();
    const aborted = new RequestAbortedError();
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"user_id":');
      throw aborted;
    }

    const handling = send(app, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(),
    });

    await expect(handling).rejects.toBe(aborted);
    expect(infoLines()).toEqual([
      {
        message: 'the client closed the connection before the request was read',
        requestId: 'req-1',
        method: 'POST',
        path: '/dynamo',
        durationMs: expect.any(Number),
      },
    ]);
    expect(lines()).toBe('');
  });

  it("keeps the server's request id, and a caller's X-Request-Id beside it in the access line", async () => {
    const { app, infoLines } = setup();

    const response = await send(app, {
      method: 'GET',
      query: 'user_id=nobody',
      headers: { 'x-request-id': 'abc-123' },
    });

    expect(problem(response.body).instance).toBe('req-1');
    expect(infoLines()).toEqual([
      expect.objectContaining({ requestId: 'req-1', clientRequestId: 'abc-123', status: 404 }),
    ]);
  });

  it('leaves out of the access line an X-Request-Id that is not a short visible token', async () => {
    const { app, infoLines } = setup();

    await send(app, { method: 'GET', query: 'user_id=x', headers: { 'x-request-id': 'a b' } });
    await send(app, {
      method: 'GET',
      query: 'user_id=x',
      headers: { 'x-request-id': 'a'.repeat(129) },
    });

    expect(infoLines().map((line) => 'clientRequestId' in line)).toEqual([false, false]);
  });

  it('answers what an adapter refused with its problem, logged as every answer and never as a failure', () => {
    const { app, lines, infoLines } = setup();
    const request = { method: 'FOO', path: '/dynamo', query: '', headers: {}, body: undefined };

    const refused = app.refuse({ ...request, requestId: 'r-1' }, new NotImplementedError('No.'));
    const malformed = app.refuse(
      { ...request, requestId: 'r-2' },
      new MalformedRequestError('Bad.'),
    );

    expect(refused.statusCode).toBe(501);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(problem(refused.body)).toMatchObject({ detail: 'No.', instance: 'r-1' });
    expect(malformed.statusCode).toBe(400);
    expect(infoLines().map((line) => [line.requestId, line.status])).toEqual([
      ['r-1', 501],
      ['r-2', 400],
    ]);
    expect(lines()).toBe('');
  });
});
