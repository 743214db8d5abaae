/**
 * Core overhead: what routing, validation and building the response cost per request, with the
 * store in memory and events dropped, so nothing but the core is timed. The baseline does the
 * least any handler must: the same store call, and the item serialised as the body.
 *
 * Run as a script (`node core.mjs <iterations>`), it writes the figures as JSON: that is how
 * `core-bundled.ts` measures it bundled as Lambda runs it.
 */
import { pathToFileURL } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { createApp } from '../server/src/core/app.js';
import { etag } from '../server/src/core/conditional.js';
import { stringifyJson } from '../server/src/core/json.js';
import type { EventPublisher, VersionedItem } from '../server/src/core/ports.js';
import type { ApiRequest, ApiResponse } from '../server/src/core/request.js';
import { createMemoryIdempotency } from '../server/src/idempotency/store.js';
import { createMemoryStore } from '../server/src/store/memory.js';
import type { Operation } from './client-worker.js';
import { perCallUs } from './stats.js';

const noEvents: EventPublisher = { publish: async () => {} };

export interface CoreOverhead {
  /** µs per request through `app.handle`, by operation. */
  readonly coreUs: Readonly<Record<Operation, number>>;
  /** µs per request for the store call and the serialised body alone. */
  readonly baselineUs: Readonly<Record<Operation, number>>;
}

/**
 * @param iterations requests per operation measured, after as many again for warm-up; reported
 *   as the median of 10 batches.
 */
export async function measureCoreOverhead(iterations: number): Promise<CoreOverhead> {
  const store = createMemoryStore();
  const logger = new Logger({ logLevel: 'SILENT' });
  const app = createApp({
    store,
    events: noEvents,
    idempotency: createMemoryIdempotency({ ttlSeconds: 86_400, inProgressMs: 30_000, logger }),
    logger,
    maxBodyBytes: 400 * 1024,
    cursorKey: 'a-key-for-measuring-the-core-only',
  });
  await store.create({ user_id: 'ada', name: 'Ada', visits: 1 });
  let n = 0;
  const request = (op: Operation): ApiRequest => {
    n++;
    const base = { path: '/dynamo', requestId: `r${n}`, query: '', headers: {} };
    if (op === 'GET') return { ...base, method: 'GET', query: 'user_id=ada', body: undefined };
    const json = { 'content-type': 'application/json' };
    return op === 'POST'
      ? {
          ...base,
          method: 'POST',
          headers: json,
          body: `{"user_id":"u${n}","name":"Ada","visits":1}`,
        }
      : {
          ...base,
          method: 'PATCH',
          headers: json,
          body: `{"user_id":"ada","updatedKey":"visits","updatedValue":${n}}`,
        };
  };
  const expected: Record<Operation, number> = { GET: 200, POST: 201, PATCH: 200 };
  const viaCore = async (input: ApiRequest) => {
    const response = await app.handle(input);
    const op = input.method as Operation;
    if (response.statusCode !== expected[op]) {
      throw new Error(`core ${op}: ${response.statusCode} ${response.body}`);
    }
  };
  const viaStore: Record<Operation, () => Promise<ApiResponse>> = {
    GET: async () => respond(await store.get('ada')),
    POST: async () => respond(await store.create({ user_id: `s${++n}`, name: 'Ada', visits: 1 })),
    PATCH: async () =>
      respond(
        await store.update('ada', { set: [{ path: ['visits'], value: ++n }], remove: [] }, {}),
      ),
  };
  const ops: Operation[] = ['GET', 'POST', 'PATCH'];
  const coreUs = {} as Record<Operation, number>;
  const baselineUs = {} as Record<Operation, number>;
  for (const op of ops) {
    // Requests are made before the clock starts: only `app.handle` is timed.
    coreUs[op] = await perCallUs(iterations, () => request(op), viaCore);
    baselineUs[op] = await perCallUs(
      iterations,
      () => op,
      (o) => viaStore[o](),
    );
  }
  return { coreUs, baselineUs };
}

function respond(found: VersionedItem | undefined): ApiResponse {
  return {
    statusCode: 200,
    headers: found === undefined ? {} : { etag: etag(found) },
    body: stringifyJson(found?.item),
  };
}

const script = process.argv[1];
if (script !== undefined && import.meta.url === pathToFileURL(script).href) {
  process.stdout.write(JSON.stringify(await measureCoreOverhead(Number(process.argv[2]))));
}
