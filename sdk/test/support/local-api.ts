/**
 * The real API for SDK tests: the server as `npm start` runs it (`@dynamo-crud/server/local`),
 * in memory, on a free port, one per file. Every answer the SDK receives through
 * `recordingFetch` can be checked against openapi.yaml with the contract-test package's checker.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createConformance, type SeenResponse } from '@dynamo-crud/contract-tests';
import { type LocalApi as StartedApi, startLocal } from '@dynamo-crud/server/local';
import { afterAll, beforeAll, expect } from 'vitest';
import { parse } from 'yaml';

/** Small, so a 413 is cheap to provoke. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface LocalApi {
  /** e.g. `http://127.0.0.1:41234`; set once the file's `beforeAll` has run. */
  readonly url: string;
}

/** Starts the API before the file's tests, and stops it after. */
export function useLocalApi(env: Record<string, string> = {}): LocalApi {
  const api = { url: '' };
  let started: StartedApi | undefined;
  beforeAll(async () => {
    started = await startLocal(
      {
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: ':memory:',
        MAX_BODY_BYTES: String(MAX_BODY_BYTES),
        ...env,
      },
      { writeEvent: () => {} },
    );
    api.url = started.url;
  });
  afterAll(async () => {
    await started?.close();
  });
  return api;
}

/**
 * The API with its DynamoDB unreachable (connections to a closed port are refused, one attempt
 * each): every operation answers 503 with `Retry-After`.
 */
export function useUnavailableApi(): LocalApi {
  const api = { url: '' };
  let started: StartedApi | undefined;
  beforeAll(async () => {
    started = await startLocal(
      {
        HOST: '127.0.0.1',
        PORT: '0',
        DYNAMODB_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
        DYNAMODB_MAX_ATTEMPTS: '1',
        DYNAMODB_TIMEOUT_MS: '1000',
      },
      { writeEvent: () => {}, createTable: false },
    );
    api.url = started.url;
  });
  afterAll(async () => {
    await started?.close();
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

const conformance = createConformance(
  parse(readFileSync(new URL('../../../openapi.yaml', import.meta.url), 'utf8')) as object,
);

/** Asserts that `response` is an answer openapi.yaml allows `operationId`. Returns its body. */
export function expectContractResponse(operationId: string, response: SeenResponse): unknown {
  expect(conformance.checkResponse(operationId, response), response.body).toEqual([]);
  return response.body === '' ? undefined : JSON.parse(response.body);
}

/** A request the SDK sent and the answer it got, as the wire carried them. */
export interface Exchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly response: SeenResponse;
}

/** The operation an exchange is, by its method and path (openapi.yaml's `paths`). */
export function operationOf(exchange: Pick<Exchange, 'method' | 'url'>): string {
  const { method, url } = exchange;
  if (url.pathname.endsWith('/dynamo/items') && method === 'GET') return 'listItems';
  const byMethod: Record<string, string> = {
    GET: 'getItem',
    POST: 'createItem',
    PATCH: 'updateItem',
    DELETE: 'deleteItem',
  };
  const operation = url.pathname.endsWith('/dynamo') ? byMethod[method] : undefined;
  if (operation === undefined) throw new Error(`no operation for ${method} ${url.pathname}`);
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
