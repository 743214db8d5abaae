/**
 * Load without loss, on loopback. Many clients at once mix every operation on the local HTTP
 * server: each on items of its own (so what each answer implies is known exactly) and all of
 * them on a few shared items (each client setting its own attribute, as fast as it can). The run
 * is bounded by a request count and a deadline, so it stops by itself. Then nothing may be
 * missing: every acknowledged write is in the table, every shared item's version counts every
 * acknowledged PATCH, and no answer was a 5xx.
 *
 * And the lost-update test: K writers increment one counter with `If-Match`, re-reading and
 * retrying on 412, and the counter ends at exactly K × N.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeHttpServer as LocalServer } from '../src/adapters/node-http.js';
import { type JsonValue, NumberValue, parseJson, stringifyJson } from '../src/core/json.js';
import { createDynamoDbStore } from '../src/store/dynamodb.js';
import {
  expectContractResponse,
  type OperationId,
  type SeenResponse,
} from './support/conformance.js';
import { useTable } from './support/engine.js';
import { etagAt, etagParts } from './support/etags.js';
import { createHttpClient, type HttpClient } from './support/http-client.js';
import { canonical, readStored, type StoredItem } from './support/model.js';
import { createTestApp, startTestServer } from './support/transports.js';

const CLIENTS = 32;
const REQUESTS = 4_000;
/** No request starts after this; the run normally ends long before it. */
const DEADLINE_MS = 60_000;
const OWN_ITEMS = 4;
const SHARED_ITEMS = ['load-shared-0', 'load-shared-1', 'load-shared-2'];

const table = useTable();
let server: LocalServer;
let http: HttpClient;

beforeAll(async () => {
  const app = createTestApp(createDynamoDbStore(table.documentClient, table.tableName));
  server = await startTestServer(app);
  http = createHttpClient(server.url, { maxSockets: CLIENTS, timeoutMs: 20_000 });
});

afterAll(async () => {
  http?.close();
  await server?.close();
});

interface Answer extends SeenResponse {
  readonly json: unknown;
  readonly version: number | undefined;
}

const counts = new Map<number, number>();

/** One request; the answer is checked against the contract and never a 5xx. */
async function call(
  operationId: OperationId,
  method: string,
  init: { userId?: string; body?: unknown; ifMatch?: string },
): Promise<Answer> {
  const query = init.userId === undefined ? '' : `?user_id=${encodeURIComponent(init.userId)}`;
  const headers: Array<[string, string]> = [];
  if (init.body !== undefined) headers.push(['content-type', 'application/json']);
  if (init.ifMatch !== undefined) headers.push(['if-match', init.ifMatch]);
  const response = await http.send({
    method,
    path: `/dynamo${query}`,
    headers,
    ...(init.body === undefined ? {} : { body: stringifyJson(init.body) }),
  });
  counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
  expect(response.status, `${method} ${query}: ${response.body}`).toBeLessThan(500);
  expectContractResponse(operationId, response);
  const { etag } = response.headers;
  return {
    ...response,
    json: parseJson(response.body),
    version: etag === undefined ? undefined : etagParts(etag).version,
  };
}

/** A small seeded generator (mulberry32): each client's choices are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe(`${CLIENTS} clients mixing every operation on the local HTTP server`, {
  // The deadline ends the run; this bounds the read-back after it.
  timeout: DEADLINE_MS + 60_000,
}, () => {
  it(`${REQUESTS} requests: no 5xx, and every acknowledged write is there afterwards`, async () => {
    // Prepare: the shared items, and a budget of requests the clients draw from.
    for (const userId of SHARED_ITEMS) {
      expect((await call('createItem', 'POST', { body: { user_id: userId } })).status).toBe(201);
    }
    const model = new Map<string, StoredItem>();
    /** For each shared item: each client's last acknowledged value, and the PATCHes acked. */
    const shared = new Map(
      SHARED_ITEMS.map((id) => [id, { last: new Map<string, number>(), patches: 0 }]),
    );
    let budget = REQUESTS - SHARED_ITEMS.length;
    const deadline = Date.now() + DEADLINE_MS;
    const started = performance.now();

    // Act: every client runs until the budget or the deadline is spent.
    async function client(c: number): Promise<void> {
      const next = random(c + 1);
      const own = Array.from({ length: OWN_ITEMS }, (_, k) => `load-${c}-${k}`);
      for (let step = 0; budget > 0 && Date.now() < deadline; step++) {
        budget -= 1;
        const pick = next();
        if (pick < 0.3) {
          const userId = SHARED_ITEMS[Math.floor(next() * SHARED_ITEMS.length)] ?? '';
          const entry = shared.get(userId);
          if (pick < 0.22) {
            const attribute = `client-${c}`;
            const answer = await call('updateItem', 'PATCH', {
              body: { user_id: userId, updatedKey: attribute, updatedValue: step },
            });
            expect(answer.status).toBe(200);
            entry?.last.set(attribute, step);
            if (entry !== undefined) entry.patches += 1;
          } else {
            expect((await call('getItem', 'GET', { userId })).status).toBe(200);
          }
          continue;
        }
        const userId = own[Math.floor(next() * own.length)] ?? '';
        const before = model.get(userId);
        if (pick < 0.5) {
          const item = {
            user_id: userId,
            step,
            exact: NumberValue.from('12345678901234567890.123'),
          };
          const answer = await call('createItem', 'POST', { body: item });
          expect(answer.status).toBe(before === undefined ? 201 : 409);
          if (answer.status === 201) {
            const etag = answer.headers.etag ?? '';
            model.set(userId, { item: answer.json as JsonValue, version: 1, etag });
          }
        } else if (pick < 0.65) {
          const answer = await call('getItem', 'GET', { userId });
          expect(answer.status).toBe(before === undefined ? 404 : 200);
          if (before !== undefined) {
            expect(canonical(answer.json)).toEqual(canonical(before.item));
            expect(answer.headers.etag).toBe(before.etag);
          }
        } else if (pick < 0.9) {
          const stale = next() < 0.2;
          const conditional = next() < 0.6;
          const ifMatch =
            !conditional || before === undefined
              ? undefined
              : stale
                ? etagAt(before.version + 1, before.etag)
                : before.etag;
          const answer = await call('updateItem', 'PATCH', {
            body: {
              user_id: userId,
              updatedKey: next() < 0.5 ? 'name' : 'status',
              updatedValue: step,
            },
            ...(ifMatch === undefined ? {} : { ifMatch }),
          });
          expect(answer.status).toBe(before === undefined ? 404 : stale && conditional ? 412 : 200);
          if (answer.status === 200 && before !== undefined) {
            const etag = etagAt(before.version + 1, before.etag);
            expect(answer.headers.etag).toBe(etag);
            model.set(userId, {
              item: answer.json as JsonValue,
              version: before.version + 1,
              etag,
            });
          }
        } else {
          const answer = await call('deleteItem', 'DELETE', {
            userId,
            ...(next() < 0.5 && before !== undefined ? { ifMatch: before.etag } : {}),
          });
          expect(answer.status).toBe(before === undefined ? 404 : 200);
          if (answer.status === 200) model.delete(userId);
        }
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const elapsed = performance.now() - started;

    // Assess: every client's own items are as their answers said, read past the API.
    const sent = [...counts.values()].reduce((a, b) => a + b, 0);
    console.info(
      `load: ${sent} requests from ${CLIENTS} clients in ${Math.round(elapsed)} ms (${Math.round((sent / elapsed) * 1000)}/s); answers by status: ${[
        ...counts.entries(),
      ]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(', ')}`,
    );
    expect([...counts.keys()].filter((status) => status >= 500)).toEqual([]);
    for (let c = 0; c < CLIENTS; c++) {
      for (let k = 0; k < OWN_ITEMS; k++) {
        const userId = `load-${c}-${k}`;
        const stored = await readStored(table, userId);
        const expected = model.get(userId);
        expect(stored?.etag, userId).toBe(expected?.etag);
        expect(canonical(stored?.item), userId).toEqual(canonical(expected?.item));
      }
    }
    // ...and each shared item holds every client's last acknowledged value, its version
    // counting every acknowledged PATCH: none was lost or applied twice.
    for (const [userId, { last, patches }] of shared) {
      const stored = await readStored(table, userId);
      expect(stored?.version, userId).toBe(1 + patches);
      expect(stored?.item).toEqual({ user_id: userId, ...Object.fromEntries(last) });
    }
  });
});

describe('lost updates', { timeout: 120_000 }, () => {
  const WRITERS = 8;
  const INCREMENTS = 25;
  /** Attempts per increment before the test gives up (a bound, never reached in practice). */
  const MAX_ATTEMPTS = 500;

  it(`${WRITERS} writers × ${INCREMENTS} If-Match increments of one counter end at exactly ${WRITERS * INCREMENTS}`, async () => {
    // Prepare
    const userId = 'load-counter';
    expect((await call('createItem', 'POST', { body: { user_id: userId, count: 0 } })).status).toBe(
      201,
    );
    let conflicts = 0;

    // Act: read, add one, write back only if nobody wrote in between; on 412 read again.
    async function writer(): Promise<void> {
      for (let i = 0; i < INCREMENTS; i++) {
        for (let attempt = 1; ; attempt++) {
          expect(attempt, 'attempts for one increment').toBeLessThanOrEqual(MAX_ATTEMPTS);
          const read = await call('getItem', 'GET', { userId });
          const count = (read.json as { count: number }).count;
          const written = await call('updateItem', 'PATCH', {
            body: { user_id: userId, updatedKey: 'count', updatedValue: count + 1 },
            ifMatch: read.headers.etag ?? '',
          });
          if (written.status === 200) break;
          expect(written.status).toBe(412);
          conflicts += 1;
        }
      }
    }
    await Promise.all(Array.from({ length: WRITERS }, () => writer()));

    // Assess
    const final = await call('getItem', 'GET', { userId });
    console.info(
      `lost updates: ${WRITERS * INCREMENTS} increments, ${conflicts} retried after 412`,
    );
    expect(final.json).toEqual({ user_id: userId, count: WRITERS * INCREMENTS });
    expect(final.version).toBe(1 + WRITERS * INCREMENTS);
  });
});
