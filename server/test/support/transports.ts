/**
 * The three ways a request reaches the core, and the one way tests reach each: the local HTTP
 * server (a raw `node:http` client, so any header or byte goes out as given), and API Gateway
 * REST (v1) and HTTP API (v2) events into the Lambda adapter. Tests run the same cases through
 * each.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll } from 'vitest';
import { createLambdaHandler } from '../../src/adapters/lambda.js';
import { type NodeHttpServer, startNodeHttpServer } from '../../src/adapters/node-http.js';
import { type App, type AppOptions, createApp } from '../../src/core/app.js';
import type { IdempotencyStore, ItemStore, WriteEventDetail } from '../../src/core/ports.js';
import { createDynamoDbIdempotency, createMemoryIdempotency } from '../../src/idempotency/store.js';
import { createLogger } from '../../src/logger.js';
import { createDynamoDbStore } from '../../src/store/dynamodb.js';
import type { TestTable } from './engine.js';
import { createHttpClient } from './http-client.js';
import { httpApiEvent, lambdaContext, restApiEvent, seenFromLambda } from './lambda-events.js';
import { createRecordingPublisher } from './recorder.js';
import { type SeenResponse, type TestRequest, toWire } from './request.js';

export const TRANSPORTS = [
  'local HTTP server',
  'Lambda REST API (v1)',
  'Lambda HTTP API (v2)',
] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** The listing cursors' key of every test app (a deployment's own is `CURSOR_KEY`). */
export const TEST_CURSOR_KEY = 'a-cursor-key-for-tests-and-nothing-else';

/** Small, so tests can pass it cheaply. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The logger tests give the app unless they read its lines: silent. */
export const quietLogger = createLogger({ logLevel: 'SILENT' });

export interface TestAppOptions extends Partial<Omit<AppOptions, 'store'>> {}

/** How long answers are remembered in tests: the default of `IDEMPOTENCY_TTL_SECONDS`. */
export const TEST_IDEMPOTENCY_TTL_SECONDS = 86_400;
/** How long a first request with a key may run in tests before its key is taken as abandoned. */
export const TEST_IN_PROGRESS_MS = 30_000;

/** Idempotency records in `table`'s engine, as the server keeps them. */
export function createTestIdempotency(
  table: TestTable,
  options: { readonly ttlSeconds?: number; readonly inProgressMs?: number } = {},
): IdempotencyStore {
  return createDynamoDbIdempotency({
    client: table.client,
    tableName: table.idempotencyTableName,
    ttlSeconds: options.ttlSeconds ?? TEST_IDEMPOTENCY_TTL_SECONDS,
    inProgressMs: options.inProgressMs ?? TEST_IN_PROGRESS_MS,
    logger: quietLogger,
  });
}

/**
 * The core as the server builds it, with test defaults: events recorded, logs silent,
 * idempotency records in memory (`createTestIdempotency` for the engine's).
 */
export function createTestApp(store: ItemStore, options: TestAppOptions = {}): App {
  return createApp({
    store,
    events: options.events ?? createRecordingPublisher(),
    idempotency:
      options.idempotency ??
      createMemoryIdempotency({
        ttlSeconds: TEST_IDEMPOTENCY_TTL_SECONDS,
        inProgressMs: TEST_IN_PROGRESS_MS,
        logger: quietLogger,
      }),
    logger: options.logger ?? quietLogger,
    maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
    cursorKey: options.cursorKey ?? TEST_CURSOR_KEY,
    corsAllowOrigins: options.corsAllowOrigins,
    corsAllowHeaders: options.corsAllowHeaders,
    readReserveMs: options.readReserveMs,
  });
}

/** The local HTTP server for `app` on a free loopback port; the caller closes it. */
export function startTestServer(app: App): Promise<NodeHttpServer> {
  return startNodeHttpServer({ app, host: '127.0.0.1', port: 0 });
}

export interface Reached {
  send(request: TestRequest): Promise<SeenResponse>;
  /** The local server's URL; `undefined` for the Lambda transports. */
  readonly url: string | undefined;
  /** Stops what `reach` started (the local server); the caller does this. */
  close(): Promise<void>;
}

/** `app` through `transport`. */
export async function reach(
  app: App,
  transport: TransportName,
  logger: Logger = quietLogger,
): Promise<Reached> {
  if (transport === 'local HTTP server') {
    const server = await startTestServer(app);
    const http = createHttpClient(server.url);
    return {
      send: (request) => http.send(request),
      url: server.url,
      close: async () => {
        http.close();
        await server.close();
      },
    };
  }
  const handler = createLambdaHandler(app, logger);
  const toEvent = transport === 'Lambda REST API (v1)' ? restApiEvent : httpApiEvent;
  return {
    send: async (request) => seenFromLambda(await handler(toEvent(request), lambdaContext())),
    url: undefined,
    close: async () => {},
  };
}

/** `request` handed to the core as an adapter would, with no transport in between. */
export async function sendToCore(app: App, request: TestRequest): Promise<SeenResponse> {
  const wire = toWire(request);
  const headers: Record<string, string> = {};
  for (const [name, value] of wire.headers) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  const response = await app.handle({
    method: wire.method,
    path: wire.path,
    query: wire.query,
    headers,
    body: wire.body,
    requestId: randomUUID(),
  });
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

export interface Api {
  send(request: TestRequest): Promise<SeenResponse>;
  /** The events of the writes this API committed, in order. */
  readonly published: readonly WriteEventDetail[];
}

/**
 * An API on `table`, reached through `transport`: started before the file's tests (or the
 * enclosing `describe`'s) and stopped after.
 */
export function useApi(
  transport: TransportName,
  table: TestTable,
  options: Omit<TestAppOptions, 'events'> = {},
): Api {
  const events = createRecordingPublisher();
  let reached: Reached | undefined;
  beforeAll(async () => {
    const store = createDynamoDbStore(table.documentClient, table.tableName);
    const idempotency = options.idempotency ?? createTestIdempotency(table);
    reached = await reach(createTestApp(store, { events, idempotency, ...options }), transport);
  });
  afterAll(async () => {
    await reached?.close();
  });
  return {
    published: events.published,
    send: (request) => {
      if (reached === undefined) throw new Error('useApi: the API starts in beforeAll');
      return reached.send(request);
    },
  };
}
