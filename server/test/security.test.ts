/**
 * What the API gives away and to whom, through every transport:
 *
 * - error bodies are problems and nothing else: no stack trace, no AWS error name or message,
 *   no SDK or socket detail, whatever failed (the contract, DynamoDB, or a bug);
 * - logs redact credentials (`Authorization`, cookies, the SigV4 session token and signature)
 *   wherever they sit in a line, and keep what is not secret (`X-Amz-Date`);
 * - CORS is off by default (no `Access-Control-*` header, `OPTIONS` is 405) and, with
 *   `CORS_ALLOW_ORIGINS`, answers only the listed origins.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, readConfig } from '../src/config.js';
import type { App } from '../src/core/app.js';
import { type ItemStore, StoreUnavailableError } from '../src/core/ports.js';
import { createLogger, REDACTED } from '../src/logger.js';
import {
  createDocumentClient,
  createDynamoDbStore,
  VERSION_ATTRIBUTE,
} from '../src/store/dynamodb.js';
import {
  expectContractResponse,
  type OperationId,
  type SeenResponse,
} from './support/conformance.js';
import { createTestClient, useTable } from './support/engine.js';
import { type FaultProxy, faults, startFaultProxy } from './support/fault-proxy.js';
import { createHttpClient } from './support/http-client.js';
import { httpApiEvent, restApiEvent } from './support/lambda-events.js';
import { LocalProcesses } from './support/local-process.js';
import type { TestRequest } from './support/request.js';
import {
  createTestApp,
  MAX_BODY_BYTES,
  quietLogger,
  type Reached,
  reach,
  TRANSPORTS,
} from './support/transports.js';

/** The core as the server builds it; events recorded, logs silent unless a logger is given. */
function makeApp(
  store: ItemStore,
  options: { logger?: Logger; corsAllowOrigins?: string[] } = {},
): App {
  return createTestApp(store, {
    logger: options.logger ?? quietLogger,
    corsAllowOrigins: options.corsAllowOrigins,
  });
}

/** A store whose every call fails with what `error()` makes: a bug, or a raw AWS error. */
function failingStore(error: () => unknown): ItemStore {
  const fail = async (): Promise<never> => {
    throw error();
  };
  return { get: fail, create: fail, update: fail, delete: fail, scan: fail };
}

const json = { 'content-type': 'application/json' };
const operationOf = (r: TestRequest): OperationId | undefined =>
  (r.path ?? '/dynamo') === '/dynamo'
    ? ({ GET: 'getItem', POST: 'createItem', PATCH: 'updateItem', DELETE: 'deleteItem' } as const)[
        r.method as 'GET'
      ]
    : undefined;

// --- error bodies ---------------------------------------------------------------------------

/** What a client must never see: stacks, paths, AWS and SDK names, engine addresses. */
const INTERNALS = [
  /\bstack\b/i,
  /\n\s*at /,
  /\bat .*\(.*:\d+:\d+\)/,
  /\.[cm]?[jt]s:\d+/,
  /node_modules|node:internal|\/var\/task|\/work\//,
  /amazonaws|amazon\.com|\baws-sdk\b|smithy/i,
  /__type|\$metadata|\$fault|x-amzn/i,
  /Exception\b|InternalServerError|ThrottlingException|ProvisionedThroughput/,
  /ResourceNotFound|ConditionalCheck|requested resource/i,
  /ECONN|EPIPE|ETIMEDOUT|socket hang up/i,
  /127\.0\.0\.1|localhost/,
  /SECRET/,
];
const PROBLEM_KEYS = ['type', 'title', 'status', 'detail', 'instance', 'errors'];

function expectBareProblem(request: TestRequest, response: SeenResponse, status: number): void {
  const what = `${request.method} → ${response.status} ${response.body}`;
  expect(response.status, what).toBe(status);
  const problem = expectContractResponse(operationOf(request), response) as Record<string, unknown>;
  for (const key of Object.keys(problem)) expect(PROBLEM_KEYS, what).toContain(key);
  for (const internal of INTERNALS) expect(response.body, what).not.toMatch(internal);
}

const SEEDED = `sec-${randomUUID()}`;

/** Errors of every kind the contract and DynamoDB produce, with the status each must be. */
const REAL_ERRORS: ReadonlyArray<{
  name: string;
  status: number;
  fault?: (proxy: FaultProxy) => Promise<void> | void;
  request: TestRequest;
}> = [
  {
    name: 'an invalid field',
    status: 400,
    request: { method: 'POST', headers: json, body: '{"user_id":""}' },
  },
  {
    name: 'malformed JSON',
    status: 400,
    request: { method: 'POST', headers: json, body: '{"user_id": oops' },
  },
  {
    name: 'an unstorable number',
    status: 400,
    request: { method: 'POST', headers: json, body: '{"user_id":"n","n":1e999}' },
  },
  {
    name: 'a missing item',
    status: 404,
    request: { method: 'GET', query: { user_id: 'nobody' } },
  },
  { name: 'an unknown path', status: 404, request: { method: 'GET', path: '/etc/passwd' } },
  { name: 'another method', status: 405, request: { method: 'PUT' } },
  {
    name: 'an existing user_id',
    status: 409,
    request: { method: 'POST', headers: json, body: JSON.stringify({ user_id: SEEDED }) },
  },
  {
    name: 'a stale If-Match',
    status: 412,
    request: { method: 'DELETE', query: { user_id: SEEDED }, headers: { 'if-match': '"9"' } },
  },
  {
    name: 'a body over the limit',
    status: 413,
    request: {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ user_id: 'big', s: 'x'.repeat(MAX_BODY_BYTES) }),
    },
  },
  {
    name: 'another media type',
    status: 415,
    request: { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'SECRET' },
  },
  {
    name: 'a DynamoDB ValidationException',
    status: 400,
    fault: (proxy) =>
      proxy.failNext(
        faults.validation('One or more parameter values were invalid: SECRET key schema'),
      ),
    request: { method: 'POST', headers: json, body: '{"user_id":"v"}' },
  },
  {
    name: 'DynamoDB refusing the item size',
    status: 413,
    fault: (proxy) =>
      proxy.failNext(faults.validation('Item size has exceeded the maximum allowed size SECRET')),
    request: { method: 'POST', headers: json, body: '{"user_id":"s"}' },
  },
  {
    name: 'DynamoDB throttling',
    status: 503,
    fault: (proxy) => proxy.failAlways(faults.throttling()),
    request: { method: 'GET', query: { user_id: SEEDED } },
  },
  {
    name: 'DynamoDB answering 500',
    status: 503,
    fault: (proxy) => proxy.failAlways(faults.internalServerError()),
    request: {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ user_id: SEEDED, updatedKey: 'a', updatedValue: 1 }),
    },
  },
  {
    name: 'an HTML 503 in front of DynamoDB',
    status: 503,
    fault: (proxy) => proxy.failAlways(faults.serviceUnavailable()),
    request: { method: 'DELETE', query: { user_id: SEEDED } },
  },
  {
    name: 'a refused connection',
    status: 503,
    fault: (proxy) => proxy.refuseConnections(),
    request: { method: 'GET', query: { user_id: SEEDED } },
  },
  {
    name: 'a reset connection',
    status: 503,
    fault: (proxy) => proxy.failAlways(faults.reset()),
    request: { method: 'GET', query: { user_id: SEEDED } },
  },
];

/** Bugs and misconfigurations: whatever is thrown, the answer is a bare 500 (or 503). */
const BUGS: ReadonlyArray<{ name: string; status: number; error: () => unknown }> = [
  {
    name: 'an Error whose message and stack name internals',
    status: 500,
    error: () => new Error('SECRET: cannot read /var/task/index.js at line 3'),
  },
  {
    name: 'a TypeError',
    status: 500,
    error: () => new TypeError("SECRET of undefined (reading 'x')"),
  },
  { name: 'a thrown string', status: 500, error: () => 'SECRET string' },
  { name: 'a thrown plain object', status: 500, error: () => ({ stack: 'SECRET', $metadata: {} }) },
  {
    name: 'a raw AWS error the store did not translate (a missing table)',
    status: 500,
    error: () =>
      new ResourceNotFoundException({
        message: 'Requested resource not found: Table: SECRET-items not found',
        $metadata: { httpStatusCode: 400, requestId: 'SECRET-REQUEST-ID' },
      }),
  },
  {
    name: 'a 503 whose cause carries the AWS error',
    status: 503,
    error: () =>
      new StoreUnavailableError({
        cause: new Error('SECRET ProvisionedThroughputExceededException'),
      }),
  },
];

describe.each(TRANSPORTS)('error bodies through the %s', (transport) => {
  const table = useTable();
  let proxy: FaultProxy;
  let client: ReturnType<typeof createTestClient>;
  let api: Reached;

  beforeAll(async () => {
    proxy = await startFaultProxy(table.endpoint);
    // Every fault here answers at once, so the time limit only has to let a slow engine answer:
    // at 300 ms, one run on DynamoDB Local on a loaded machine failed its stale If-Match case
    // and passed four times after, most likely a first conditional delete over the limit.
    client = createTestClient(proxy.url, {
      DYNAMODB_MAX_ATTEMPTS: '1',
      DYNAMODB_TIMEOUT_MS: '5000',
    });
    const app = makeApp(createDynamoDbStore(createDocumentClient(client), table.tableName));
    api = await reach(app, transport);
    await table.documentClient.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { user_id: SEEDED, [VERSION_ATTRIBUTE]: 1 },
      }),
    );
  });
  afterEach(() => proxy.heal());
  afterAll(async () => {
    await api?.close();
    client?.destroy();
    await proxy?.close();
  });

  it.each(REAL_ERRORS)(
    '$name: $status, a problem and nothing more',
    async ({ status, fault, request }) => {
      await fault?.(proxy);

      const response = await api.send(request);

      expectBareProblem(request, response, status);
    },
  );

  it.each(BUGS)('$name: $status, nothing of it in the body', async ({ status, error }) => {
    const buggy = await reach(makeApp(failingStore(error)), transport);
    try {
      const request: TestRequest = { method: 'GET', query: { user_id: 'any' } };

      const response = await buggy.send(request);

      expectBareProblem(request, response, status);
    } finally {
      await buggy.close();
    }
  });
});

// --- logs -----------------------------------------------------------------------------------

/** Everything the process writes to stdout and stderr until `stop()`. */
function captureOutput(): { stop(): string } {
  const chunks: string[] = [];
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  return {
    stop() {
      out.mockRestore();
      err.mockRestore();
      return chunks.join('');
    },
  };
}

const SIGV4 = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIASECRETKEYID/20261124/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=5ecre7signature0123456789abcdef',
  'x-amz-security-token': 'SECRET-SESSION-TOKEN',
  'x-amz-date': '20261124T180000Z',
  'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  cookie: 'session=SECRET-COOKIE',
};
const SECRETS = [/AKIASECRETKEYID/, /5ecre7signature/, /SECRET-SESSION-TOKEN/, /SECRET-COOKIE/];

describe.each(TRANSPORTS)('logs through the %s', (transport) => {
  it('a failed request is logged with its headers, credentials redacted', async () => {
    // Prepare: an outage makes the core log the request at error level.
    const logger = createLogger({ logLevel: 'DEBUG' });
    const unavailable = () => new StoreUnavailableError({ cause: new Error('throttled') });
    const api = await reach(makeApp(failingStore(unavailable), { logger }), transport, logger);
    const output = captureOutput();

    // Act
    let text: string;
    try {
      await api.send({ method: 'GET', query: { user_id: 'ada' }, headers: SIGV4 });
    } finally {
      text = output.stop();
      await api.close();
    }

    // Assess
    const lines = text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const failed = lines.find((line) => line.message === 'request failed');
    expect(failed, text).toBeDefined();
    expect(failed?.headers).toMatchObject({
      authorization: REDACTED,
      cookie: REDACTED,
      'x-amz-security-token': REDACTED,
      'x-amz-date': SIGV4['x-amz-date'],
      'x-amz-content-sha256': SIGV4['x-amz-content-sha256'],
    });
    for (const secret of SECRETS) expect(text).not.toMatch(secret);
  });
});

describe('the logger', () => {
  it('redacts credentials wherever they are in a line: whole API Gateway events included', () => {
    // Prepare: events as API Gateway sends them, with credentials in headers, multi-value
    // headers, the v2 cookies list and a presigned URL's query.
    const logger = createLogger({ logLevel: 'DEBUG' });
    const input = {
      method: 'GET',
      path: '/dynamo',
      query: {
        user_id: 'ada',
        'X-Amz-Signature': '5ecre7signature',
        'X-Amz-Security-Token': 'SECRET-SESSION-TOKEN',
      },
      headers: {
        Authorization: SIGV4.authorization,
        Cookie: SIGV4.cookie,
        'X-Amz-Date': SIGV4['x-amz-date'],
      },
    };
    const v2 = { ...httpApiEvent(input), cookies: ['session=SECRET-COOKIE'] };
    const output = captureOutput();

    // Act
    let text: string;
    try {
      logger.info('event', { event: restApiEvent(input) });
      logger.debug('event', { event: v2 });
      logger.error('failed', { request: { headers: { 'Set-Cookie': 'SECRET-COOKIE' } } });
    } finally {
      text = output.stop();
    }

    // Assess
    expect(text.split('\n').filter((l) => l.startsWith('{'))).toHaveLength(3);
    for (const secret of SECRETS) expect(text).not.toMatch(secret);
    expect(text).toContain(SIGV4['x-amz-date']);
    expect(text).toContain(REDACTED);
  });
});

// --- CORS -----------------------------------------------------------------------------------

const ALLOWED = ['https://a.example', 'http://localhost:5173'];
const preflight = (origin: string): TestRequest => ({
  method: 'OPTIONS',
  headers: {
    origin,
    'access-control-request-method': 'PATCH',
    'access-control-request-headers': 'content-type, if-match',
  },
});
const methods = (list: string | undefined) => (list ?? '').split(', ').sort();
const corsHeaders = (response: SeenResponse) =>
  Object.keys(response.headers).filter((name) => name.startsWith('access-control-'));

describe.each(TRANSPORTS)('CORS through the %s', (transport) => {
  const table = useTable();
  let byDefault: Reached;
  let configured: Reached;

  beforeAll(async () => {
    const store = createDynamoDbStore(table.documentClient, table.tableName);
    byDefault = await reach(makeApp(store), transport);
    configured = await reach(makeApp(store, { corsAllowOrigins: ALLOWED }), transport);
  });
  afterAll(async () => {
    await byDefault?.close();
    await configured?.close();
  });

  describe('off by default', () => {
    it('adds no Access-Control-* header, whatever the Origin', async () => {
      const created = await byDefault.send({
        method: 'POST',
        headers: { ...json, origin: 'https://a.example' },
        body: JSON.stringify({ user_id: `cors-${randomUUID()}` }),
      });

      expect(created.status).toBe(201);
      expect(corsHeaders(created)).toEqual([]);
    });

    it('answers a preflight 405 with Allow, and no Access-Control-* header', async () => {
      const response = await byDefault.send(preflight('https://a.example'));

      expectBareProblem(preflight(''), response, 405);
      expect(methods(response.headers.allow)).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH', 'POST']);
      expect(corsHeaders(response)).toEqual([]);
    });
  });

  describe(`with CORS_ALLOW_ORIGINS=${ALLOWED.join(',')}`, () => {
    it.each(ALLOWED)(
      'answers a preflight from %s: 204, its methods and headers',
      async (origin) => {
        const response = await configured.send(preflight(origin));

        expect(response.status).toBe(204);
        expect(response.body).toBe('');
        expect(response.headers['access-control-allow-origin']).toBe(origin);
        expect(methods(response.headers['access-control-allow-methods'])).toEqual([
          'DELETE',
          'GET',
          'HEAD',
          'PATCH',
          'POST',
        ]);
        const allowed = (response.headers['access-control-allow-headers'] ?? '').toLowerCase();
        // The contract's headers, and those createClient({ apiKey, bearerToken }) and SigV4 send.
        expect(allowed.split(', ')).toEqual(
          expect.arrayContaining([
            'content-type',
            'if-match',
            'x-api-key',
            'authorization',
            'x-amz-date',
            'x-amz-security-token',
          ]),
        );
        expect(response.headers['access-control-max-age']).toMatch(/^\d+$/);
        expect(response.headers['access-control-allow-credentials']).toBeUndefined();
        expect(response.headers.vary).toContain('Origin');
      },
    );

    it('lets an allowed origin read the answer, ETag and Location included', async () => {
      const request: TestRequest = {
        method: 'POST',
        headers: { ...json, origin: 'https://a.example' },
        body: JSON.stringify({ user_id: `cors-${randomUUID()}` }),
      };

      const created = await configured.send(request);

      expect(created.status).toBe(201);
      expectContractResponse('createItem', created);
      expect(created.headers['access-control-allow-origin']).toBe('https://a.example');
      const exposed = (created.headers['access-control-expose-headers'] ?? '').toLowerCase();
      expect(exposed.split(', ')).toEqual(expect.arrayContaining(['etag', 'location']));
      expect(created.headers.vary).toBe('Origin');
    });

    it('lets an allowed origin read an error too', async () => {
      const request: TestRequest = {
        method: 'GET',
        query: { user_id: 'nobody' },
        headers: { origin: 'http://localhost:5173' },
      };

      const missing = await configured.send(request);

      expectBareProblem(request, missing, 404);
      expect(missing.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    });

    it.each([
      'https://evil.example',
      'https://a.example.evil.example',
      'http://a.example',
      'https://A.example',
      'null',
    ])('gives %s no Access-Control-* header: its preflight is 405', async (origin) => {
      const read = await configured.send({
        method: 'GET',
        query: { user_id: 'nobody' },
        headers: { origin },
      });
      const answer = await configured.send(preflight(origin));

      expect(read.status).toBe(404);
      expect(corsHeaders(read)).toEqual([]);
      expect(read.headers.vary).toBe('Origin');
      expect(answer.status).toBe(405);
      expect(corsHeaders(answer)).toEqual([]);
    });

    it('answers a request without Origin as before, with Vary: Origin', async () => {
      const read = await configured.send({ method: 'GET', query: { user_id: 'nobody' } });

      expect(read.status).toBe(404);
      expect(corsHeaders(read)).toEqual([]);
      expect(read.headers.vary).toBe('Origin');
    });

    it('treats OPTIONS without Access-Control-Request-Method as no preflight: 405', async () => {
      const response = await configured.send({
        method: 'OPTIONS',
        headers: { origin: 'https://a.example' },
      });

      expect(response.status).toBe(405);
      expect(response.headers['access-control-allow-origin']).toBe('https://a.example');
    });
  });
});

describe('CORS_ALLOW_ORIGINS', () => {
  const base = { TABLE_NAME: 'items', AWS_REGION: 'eu-west-1' };

  it.each([
    ['https://a.example', ['https://a.example']],
    ['https://a.example,https://b.example', ['https://a.example', 'https://b.example']],
    [' https://a.example , http://localhost:5173 ', ['https://a.example', 'http://localhost:5173']],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (value, origins) => {
    const config = readConfig(value === undefined ? base : { ...base, CORS_ALLOW_ORIGINS: value });

    expect(config.corsAllowOrigins).toEqual(origins);
  });

  it.each([
    '*',
    'https://a.example,*',
    'https://a.example/',
    'https://a.example/path',
    'a.example',
    'ftp://a.example',
    'https://A.example',
    'https://a.example:443',
    'null',
    'https://a.example,,https://b.example',
  ])('refuses %j, naming the variable', (value) => {
    let error: unknown;
    try {
      readConfig({ ...base, CORS_ALLOW_ORIGINS: value });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^CORS_ALLOW_ORIGINS must be a comma-separated list/);
  });

  describe('in npm start', { timeout: 60_000 }, () => {
    const processes = new LocalProcesses();
    afterAll(() => processes.cleanup());

    it('answers a preflight from a listed origin', async () => {
      const server = processes.start({
        DATA_DIR: ':memory:',
        CORS_ALLOW_ORIGINS: 'https://a.example',
      });
      const http = createHttpClient(await server.listening());

      try {
        const allowed = await http.send({
          method: 'OPTIONS',
          path: '/dynamo',
          headers: [
            ['origin', 'https://a.example'],
            ['access-control-request-method', 'DELETE'],
          ],
        });
        const other = await http.send({
          method: 'OPTIONS',
          path: '/dynamo',
          headers: [
            ['origin', 'https://b.example'],
            ['access-control-request-method', 'DELETE'],
          ],
        });

        expect(allowed.status).toBe(204);
        expect(allowed.headers['access-control-allow-origin']).toBe('https://a.example');
        expect(other.status).toBe(405);
        expect(corsHeaders(other)).toEqual([]);
      } finally {
        http.close();
      }
    });

    it("allows an app's own headers (CORS_ALLOW_HEADERS) and lets the origin read openapi.yaml", async () => {
      const server = processes.start({
        DATA_DIR: ':memory:',
        CORS_ALLOW_ORIGINS: 'https://a.example',
        CORS_ALLOW_HEADERS: 'x-tenant, X-Trace',
      });
      const http = createHttpClient(await server.listening());

      try {
        const preflight = await http.send({
          method: 'OPTIONS',
          path: '/dynamo',
          headers: [
            ['origin', 'https://a.example'],
            ['access-control-request-method', 'GET'],
            ['access-control-request-headers', 'x-api-key,x-tenant'],
          ],
        });
        const contract = await http.send({
          method: 'GET',
          path: '/openapi.yaml',
          headers: [['origin', 'https://a.example']],
        });
        const elsewhere = await http.send({
          method: 'GET',
          path: '/openapi.yaml',
          headers: [['origin', 'https://b.example']],
        });

        const allowed = (preflight.headers['access-control-allow-headers'] ?? '').toLowerCase();
        expect(allowed.split(', ')).toEqual(
          expect.arrayContaining(['x-api-key', 'authorization', 'x-tenant', 'x-trace']),
        );
        expect(contract.status).toBe(200);
        expect(contract.body).toMatch(/^openapi: 3\.0\.3/);
        expect(contract.headers['access-control-allow-origin']).toBe('https://a.example');
        expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
      } finally {
        http.close();
      }
    });
  });
});

describe('CORS_ALLOW_HEADERS', () => {
  const base = { TABLE_NAME: 'items', AWS_REGION: 'eu-west-1' };

  it.each([
    ['x-tenant', ['x-tenant']],
    [' x-tenant , X-Trace-Id ', ['x-tenant', 'X-Trace-Id']],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (value, headers) => {
    const config = readConfig(value === undefined ? base : { ...base, CORS_ALLOW_HEADERS: value });

    expect(config.corsAllowHeaders).toEqual(headers);
  });

  it.each(['*', 'x-tenant,*', 'x tenant', 'x-tenant,,x-b', 'x-tenant;', 'ü-header', 'a:b'])(
    'refuses %j, naming the variable',
    (value) => {
      expect(() => readConfig({ ...base, CORS_ALLOW_HEADERS: value })).toThrow(
        /^CORS_ALLOW_HEADERS must be a comma-separated list of header names/,
      );
    },
  );
});
