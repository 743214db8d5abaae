/**
 * The real API for SDK tests: the server's core behind its local `node:http` server, on a real
 * engine (dynalite in-process, a fresh table per file), built the way the server's own tests
 * build it. Every answer the SDK receives through `recordingFetch` can be checked against
 * openapi.yaml.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { LocalServer } from '../../../server/src/local/server.js';
import { createDocumentClient, createDynamoDbStore } from '../../../server/src/store/dynamodb.js';
import type { OperationId, SeenResponse } from '../../../server/test/support/contract.js';
import { createTestClient, useTable } from '../../../server/test/support/engine.js';
import {
  createTestApp,
  MAX_BODY_BYTES,
  startTestServer,
} from '../../../server/test/support/transports.js';

export { MAX_BODY_BYTES };

export interface LocalApi {
  /** e.g. `http://127.0.0.1:41234`; set once the file's `beforeAll` has run. */
  readonly url: string;
}

/** Starts the API on a fresh table before the file's tests, and stops it after. */
export function useLocalApi(): LocalApi {
  const table = useTable();
  const api = { url: '' };
  let server: LocalServer | undefined;
  beforeAll(async () => {
    const app = await createTestApp(createDynamoDbStore(table.documentClient, table.tableName));
    server = await startTestServer(app);
    api.url = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });
  return api;
}

/**
 * The API with its DynamoDB unreachable (connections to a closed port are refused, one attempt
 * each): every operation answers 503 with `Retry-After`.
 */
export function useUnavailableApi(): LocalApi {
  const api = { url: '' };
  let server: LocalServer | undefined;
  let client: ReturnType<typeof createTestClient> | undefined;
  beforeAll(async () => {
    client = createTestClient(`http://127.0.0.1:${await closedPort()}`, {
      DYNAMODB_MAX_ATTEMPTS: '1',
      DYNAMODB_TIMEOUT_MS: '1000',
    });
    const app = await createTestApp(createDynamoDbStore(createDocumentClient(client), 'items'));
    server = await startTestServer(app);
    api.url = server.url;
  });
  afterAll(async () => {
    await server?.close();
    client?.destroy();
  });
  return api;
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A request the SDK sent and the answer it got, as the wire carried them. */
export interface Exchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly response: SeenResponse;
}

/** The operation a request to `/dynamo` is, by its method. */
export function operationOf(method: string): OperationId {
  const byMethod: Record<string, OperationId> = {
    GET: 'getItem',
    POST: 'createItem',
    PATCH: 'updateItem',
    DELETE: 'deleteItem',
  };
  const operation = byMethod[method];
  if (operation === undefined) throw new Error(`no operation for ${method}`);
  return operation;
}

/** A `fetch` that records every exchange (for `ClientOptions.fetch`). */
export function recordingFetch(): { fetch: typeof fetch; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const recording = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const response = await fetch(request.clone());
    exchanges.push({
      method: request.method,
      url: new URL(request.url),
      headers: headersOf(request.headers),
      response: {
        status: response.status,
        headers: headersOf(response.headers),
        body: await response.clone().text(),
      },
    });
    return response;
  };
  return { fetch: recording as typeof fetch, exchanges };
}

/** Header names (lower case) to values. */
function headersOf(headers: Headers): Record<string, string> {
  const found: Record<string, string> = {};
  headers.forEach((value, name) => {
    found[name] = value;
  });
  return found;
}
