/**
 * The local server (the `node:http` adapter `npm start` runs) on the wire, spoken to over raw
 * sockets, since what is tested here is what HTTP/1.1 clients rarely send: each input a hostile
 * run sent, asserted with the right answer.
 *
 * - a connection's requests are answered one at a time, in order (RFC 9112 §9.3.2);
 * - request targets: the absolute form, `*`, a `#` (RFC 9112 §3.2);
 * - what Node's parser refuses is a problem like any other error, and the connection closes;
 * - transfer codings (RFC 9112 §6.1), `Expect` (RFC 9110 §10.1.1), time limits;
 * - a client that goes away is not a server failure; request ids are the server's own;
 * - the documents served beside the API answer other methods with 405.
 */
import { readFileSync } from 'node:fs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HEADERS_TIMEOUT_MS as DEFAULT_HEADERS_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS as DEFAULT_REQUEST_TIMEOUT_MS,
  type NodeHttpServer,
  startNodeHttpServer,
} from '../src/adapters/node-http.js';
import { type LocalApi, startLocal } from '../src/local/start.js';
import { createLogger } from '../src/logger.js';
import { createDynamoDbStore } from '../src/store/dynamodb.js';
import { expectContractResponse } from './support/conformance.js';
import { useTable } from './support/engine.js';
import { type RawPart, sendRaw } from './support/raw-http.js';
import { createRecordingPublisher } from './support/recorder.js';
import type { SeenResponse } from './support/request.js';
import { createTestApp, MAX_BODY_BYTES } from './support/transports.js';

/** Short, so that the time limits can be tested; every other request is sent at once. */
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;

type Problem = { type: string; status: number; detail: string; instance: string };
const problem = (response: SeenResponse | undefined) =>
  expectContractResponse(undefined, response as SeenResponse) as Problem;

/** A request as bytes: request line, `Host`, the headers given, then the body. */
function http(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body = '',
): string {
  const fields: Record<string, string> = { host: '127.0.0.1', ...headers };
  if (body !== '' && fields['transfer-encoding'] === undefined) {
    fields['content-length'] ??= String(Buffer.byteLength(body));
  }
  const lines = Object.entries(fields).map(([name, value]) => `${name}: ${value}\r\n`);
  return `${method} ${target} HTTP/1.1\r\n${lines.join('')}\r\n${body}`;
}
const json = (value: unknown) => JSON.stringify(value);
const JSON_TYPE = { 'content-type': 'application/json' };

describe('the local HTTP server on the wire', () => {
  const table = useTable();
  const events = createRecordingPublisher();
  /** Every line the server logged during the current test, parsed. */
  let logged: Array<Record<string, unknown>> = [];
  let server: NodeHttpServer;

  beforeAll(async () => {
    const logger = createLogger({ logLevel: 'INFO' });
    const store = createDynamoDbStore(table.documentClient, table.tableName);
    server = await startNodeHttpServer({
      app: createTestApp(store, { events, logger }),
      host: '127.0.0.1',
      port: 0,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
  });
  afterAll(() => server?.close());

  beforeEach(() => {
    logged = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      for (const line of String(chunk).split('\n')) {
        if (line.startsWith('{')) logged.push(JSON.parse(line) as Record<string, unknown>);
      }
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  const send = (parts: readonly RawPart[], waitMs?: number) =>
    sendRaw(server.url, parts, waitMs === undefined ? {} : { waitMs });
  const put = (item: Record<string, unknown>) =>
    table.documentClient.send(new PutCommand({ TableName: table.tableName, Item: item }));
  const stored = async (userId: string) =>
    (
      await table.documentClient.send(
        new GetCommand({
          TableName: table.tableName,
          Key: { user_id: userId },
          ConsistentRead: true,
        }),
      )
    ).Item;

  describe('pipelined requests, answered one at a time in order (RFC 9112 §9.3.2)', () => {
    it('answers DELETE then GET of the same item: 200 with the item, then 404', async () => {
      for (let round = 0; round < 5; round++) {
        const userId = `pipelined-delete-${round}`;
        await put({ user_id: userId, '@version': 1 });

        const { responses } = await send([
          http('DELETE', `/dynamo?user_id=${userId}`) +
            http('GET', `/dynamo?user_id=${userId}`, { connection: 'close' }),
        ]);

        expect(statuses(responses)).toEqual([200, 404]);
        expect(JSON.parse(responses[0]?.body ?? '')).toEqual({ user_id: userId });
      }
    });

    it('answers POST then DELETE: 201, then 200 with the item just created; nothing left', async () => {
      const userId = 'pipelined-post';
      const item = json({ user_id: userId });

      const { responses } = await send([
        http('POST', '/dynamo', JSON_TYPE, item) +
          http('DELETE', `/dynamo?user_id=${userId}`, { connection: 'close' }),
      ]);

      expect(statuses(responses)).toEqual([201, 200]);
      expect(responses[1]?.body).toBe(item);
      expect(await stored(userId)).toBeUndefined();
    });

    it('answers a request, then refuses the unreadable one after it, in that order', async () => {
      await put({ user_id: 'pipelined-then-bad' });

      const { responses, closedByServer } = await send([
        `${http('GET', '/dynamo?user_id=pipelined-then-bad')}FOO /dynamo HTTP/1.1\r\nhost: x\r\n\r\n`,
      ]);

      expect(statuses(responses)).toEqual([200, 501]);
      expect(closedByServer).toBe(true);
    });

    it('processes nothing after a request that closes the connection (RFC 9112 §9.6)', async () => {
      const userId = 'after-close';
      await put({ user_id: userId });

      const { responses, closedByServer } = await send([
        http('GET', `/dynamo?user_id=${userId}`, { connection: 'close' }) +
          http('DELETE', `/dynamo?user_id=${userId}`),
      ]);

      expect(statuses(responses)).toEqual([200]);
      expect(closedByServer).toBe(true);
      expect(await stored(userId)).toEqual({ user_id: userId });
    });
  });

  describe('request targets (RFC 9112 §3.2)', () => {
    it('serves the absolute form, its path and query: GET http://host:port/dynamo?user_id=… is 200', async () => {
      await put({ user_id: 'absolute', '@version': 1 });

      const { responses } = await send([
        http('GET', `${server.url}/dynamo?user_id=absolute`, { connection: 'close' }),
      ]);

      expect(statuses(responses)).toEqual([200]);
      expect(responses[0]?.body).toBe(json({ user_id: 'absolute' }));
      expect(responses[0]?.headers.etag).toBe('"1"');
    });

    it('takes an absolute URL without a path as the root, and refuses one with user info', async () => {
      const { responses } = await send([
        http('GET', server.url) +
          http('GET', `http://ada@127.0.0.1/dynamo?user_id=ada`, { connection: 'close' }),
      ]);

      expect(statuses(responses)).toEqual([404, 400]);
      expect(problem(responses[0]).detail).toBe('Nothing is served at "/".');
      expect(problem(responses[1]).detail).toMatch(/"ada@127\.0\.0\.1", which is not a host/);
    });

    it('refuses a "#" in the target with a 400 naming the target, and deletes nothing', async () => {
      await put({ user_id: 'fragment' });

      const { responses, closedByServer } = await send([
        http('DELETE', '/dynamo?user_id=fragment#frag'),
      ]);

      expect(statuses(responses)).toEqual([400]);
      expect(problem(responses[0])).toMatchObject({
        type: 'urn:problem-type:dynamo-crud:malformed-request',
        detail: expect.stringContaining(
          'The request target "/dynamo?user_id=fragment#frag" contains "#"',
        ),
      });
      expect(responses[0]?.headers.connection).toBe('close');
      expect(closedByServer).toBe(true);
      expect(await stored('fragment')).toEqual({ user_id: 'fragment' });
    });

    it('answers OPTIONS * with 200, Allow of every method it serves, and no content (RFC 9110 §9.3.7)', async () => {
      const { responses } = await send([http('OPTIONS', '*', { connection: 'close' })]);

      expect(statuses(responses)).toEqual([200]);
      expect(responses[0]?.headers.allow).toBe('GET, POST, DELETE, OPTIONS, HEAD, PATCH');
      expect(responses[0]?.headers['content-length']).toBe('0');
      expect(responses[0]?.body).toBe('');
    });

    it('refuses "*" with any other method: 400', async () => {
      const { responses } = await send([http('GET', '*')]);

      expect(statuses(responses)).toEqual([400]);
      expect(problem(responses[0]).detail).toMatch(/"\*" is for OPTIONS only/);
    });
  });

  describe('what the parser refuses: a problem with the right status, then the connection closes', () => {
    it.each([
      [
        'a lower-case method',
        'get /dynamo?user_id=ada HTTP/1.1\r\nhost: x\r\n\r\n',
        501,
        'not-implemented',
      ],
      [
        'a method it does not know',
        'FOO /dynamo HTTP/1.1\r\nhost: x\r\n\r\n',
        501,
        'not-implemented',
      ],
      ['no Host', 'GET /dynamo?user_id=ada HTTP/1.1\r\n\r\n', 400, 'malformed-request'],
      [
        'two Hosts',
        'GET /dynamo?user_id=ada HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n',
        400,
        'malformed-request',
      ],
      [
        'a byte that is not ASCII in the target',
        'GET /dynamo?user_id=caf\xe9 HTTP/1.1\r\nhost: x\r\n\r\n',
        400,
        'malformed-request',
      ],
      [
        'a chunk size that is not hex',
        http(
          'POST',
          '/dynamo',
          { ...JSON_TYPE, 'transfer-encoding': 'chunked' },
          'zz\r\n{}\r\n0\r\n\r\n',
        ),
        400,
        'malformed-request',
      ],
      [
        'both Transfer-Encoding and Content-Length',
        http(
          'POST',
          '/dynamo',
          { ...JSON_TYPE, 'transfer-encoding': 'chunked', 'content-length': '5' },
          '0\r\n\r\n',
        ),
        400,
        'malformed-request',
      ],
      [
        'a Transfer-Encoding not ending in chunked',
        http('POST', '/dynamo', { ...JSON_TYPE, 'transfer-encoding': 'xchunked' }, '{}'),
        400,
        'malformed-request',
      ],
      [
        'a 20 KB header',
        http('GET', '/dynamo?user_id=ada', { 'x-long': 'a'.repeat(20_000) }),
        431,
        'request-header-fields-too-large',
      ],
      [
        'an Expect it cannot meet',
        http('GET', '/dynamo?user_id=ada', { expect: 'foo' }),
        417,
        'expectation-failed',
      ],
      [
        'CONNECT',
        'CONNECT 127.0.0.1:443 HTTP/1.1\r\nhost: 127.0.0.1:443\r\n\r\n',
        501,
        'not-implemented',
      ],
      ['a TLS handshake', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400, 'malformed-request'],
    ])('%s', async (_name, request, status, type) => {
      const { responses, closedByServer } = await send([request]);

      expect(statuses(responses)).toEqual([status]);
      expect(responses[0]?.headers['content-type']).toBe('application/problem+json');
      expect(responses[0]?.headers.connection).toBe('close');
      expect(problem(responses[0]).type).toBe(`urn:problem-type:dynamo-crud:${type}`);
      expect(closedByServer).toBe(true);
      // Logged like every answer, under the problem's instance.
      expect(logged).toContainEqual(
        expect.objectContaining({
          message: 'request',
          status,
          requestId: problem(responses[0]).instance,
        }),
      );
    });

    it('names the method it does not implement, and says methods are case-sensitive', async () => {
      const { responses } = await send(['get /dynamo HTTP/1.1\r\nhost: x\r\n\r\n']);

      expect(problem(responses[0]).detail).toBe(
        '"get" is not a method this server implements (methods are case-sensitive, RFC 9110 §9.1); OPTIONS * answers with those it does in Allow.',
      );
    });

    it('answers a head that stalls with 408 once the headers time limit passes', async () => {
      const { responses, closedByServer } = await send(
        ['GET /dynamo?user_id=ada HTTP/1.1\r\nhost: x\r\nx-slow: '],
        HEADERS_TIMEOUT_MS * 4,
      );

      expect(statuses(responses)).toEqual([408]);
      expect(problem(responses[0]).detail).toBe(
        "The request's headers did not arrive within 1 s; send them without pauses.",
      );
      expect(closedByServer).toBe(true);
    });

    it('answers a body that stalls with 408 once the request time limit passes, and stores nothing', async () => {
      const { responses, closedByServer } = await send(
        [http('POST', '/dynamo', { ...JSON_TYPE, 'content-length': '100' }, '{"user_id":"slow"')],
        REQUEST_TIMEOUT_MS * 3,
      );

      expect(statuses(responses)).toEqual([408]);
      expect(problem(responses[0]).detail).toBe(
        'The request did not arrive whole within 2 s; send the body without pauses.',
      );
      expect(responses[0]?.headers.connection).toBe('close');
      expect(closedByServer).toBe(true);
      expect(await stored('slow')).toBeUndefined();
    });
  });

  describe('transfer codings (RFC 9112 §6.1)', () => {
    const chunked = (text: string) =>
      `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;

    it('refuses a coding it does not decode (gzip, chunked) with 501, and stores nothing', async () => {
      const body = chunked(json({ user_id: 'gzipped' }));

      const { responses, closedByServer } = await send([
        http('POST', '/dynamo', { ...JSON_TYPE, 'transfer-encoding': 'gzip, chunked' }, body),
      ]);

      expect(statuses(responses)).toEqual([501]);
      expect(problem(responses[0]).detail).toMatch(
        /Transfer-Encoding "gzip, chunked"; this server decodes chunked alone/,
      );
      expect(closedByServer).toBe(true);
      expect(await stored('gzipped')).toBeUndefined();
    });

    it('takes a chunked body', async () => {
      const body = chunked(json({ user_id: 'chunked' }));

      const { responses } = await send([
        http(
          'POST',
          '/dynamo',
          { ...JSON_TYPE, 'transfer-encoding': 'chunked', connection: 'close' },
          body,
        ),
      ]);

      expect(statuses(responses)).toEqual([201]);
      expect(await stored('chunked')).toMatchObject({ user_id: 'chunked' });
    });
  });

  describe('Expect: 100-continue (RFC 9110 §10.1.1)', () => {
    it('sends 100 Continue when it reads the body, then the answer', async () => {
      const body = json({ user_id: 'continued' });
      const head = http('POST', '/dynamo', {
        ...JSON_TYPE,
        expect: '100-continue',
        'content-length': String(body.length),
        connection: 'close',
      });

      const { responses } = await send([head, { pauseMs: 300 }, body]);

      expect(statuses(responses)).toEqual([100, 201]);
    });

    it('answers a body it will refuse without asking for it: 413, no 100', async () => {
      const head = http('POST', '/dynamo', {
        ...JSON_TYPE,
        expect: '100-continue',
        'content-length': String(MAX_BODY_BYTES + 1),
      });

      const { responses, closedByServer } = await send([head]);

      expect(statuses(responses)).toEqual([413]);
      expect(closedByServer).toBe(true);
    });
  });

  describe('a client that goes away', () => {
    it.each(['close', 'reset'] as const)(
      'halfway through a body (%s) is logged once, at INFO, as the client closing the connection: no 500, no error',
      async (abort) => {
        const head = http('POST', '/dynamo', { ...JSON_TYPE, 'content-length': '100' });

        await sendRaw(server.url, [head, '{"user_id":"gone"', { pauseMs: 100 }], { abort });

        const message = 'the client closed the connection before the request was read';
        await vi.waitFor(() => expect(logged.map((line) => line.message)).toContain(message));
        expect(logged).toEqual([
          {
            level: 'INFO',
            message,
            timestamp: expect.any(String),
            service: 'dynamo-crud',
            sampling_rate: 0,
            requestId: expect.any(String),
            method: 'POST',
            path: '/dynamo',
            durationMs: expect.any(Number),
          },
        ]);
        expect(await stored('gone')).toBeUndefined();
      },
    );
  });

  describe('request ids', () => {
    it("are the server's own, not the caller's X-Request-Id, which the access line keeps beside", async () => {
      const first = events.published.length;
      const headers = { ...JSON_TYPE, 'x-request-id': 'abc-123' };

      const { responses } = await send([
        http('POST', '/dynamo', headers, json({ user_id: 'same-header-1' })) +
          http('POST', '/dynamo', headers, json({ user_id: 'same-header-2' })) +
          http(
            'POST',
            '/dynamo',
            { ...headers, connection: 'close' },
            json({ user_id: 'same-header-1' }),
          ),
      ]);

      expect(statuses(responses)).toEqual([201, 201, 409]);
      const ids = events.published.slice(first).map((event) => event.requestId);
      expect(ids).toHaveLength(2);
      expect(new Set([...ids, 'abc-123']).size).toBe(3);
      expect(problem(responses[2]).instance).not.toBe('abc-123');
      const access = logged.filter((line) => line.message === 'request');
      expect(access.map((line) => [line.requestId === 'abc-123', line.clientRequestId])).toEqual([
        [false, 'abc-123'],
        [false, 'abc-123'],
        [false, 'abc-123'],
      ]);
    });
  });
});

describe('the documents served beside the API', () => {
  let api: LocalApi;
  beforeAll(async () => {
    api = await startLocal(
      { HOST: '127.0.0.1', PORT: '0', DATA_DIR: ':memory:', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      { writeEvent: () => {} },
    );
  });
  afterAll(() => api?.close());

  it.each([
    ['POST', '/openapi.yaml'],
    ['DELETE', '/docs'],
    ['PUT', '/docs/swagger-ui.css'],
  ])('answers %s %s with 405 and Allow: GET, HEAD (RFC 9110 §15.5.6)', async (method, path) => {
    const { responses } = await sendRaw(api.url, [http(method, path, { connection: 'close' })]);

    expect(statuses(responses)).toEqual([405]);
    expect(responses[0]?.headers.allow).toBe('GET, HEAD');
    expect(problem(responses[0])).toMatchObject({
      type: 'urn:problem-type:dynamo-crud:method-not-allowed',
      detail: `${method} is not allowed here; use GET, HEAD.`,
    });
  });

  it('still serves them on GET', async () => {
    const { responses } = await sendRaw(api.url, [
      http('GET', '/openapi.yaml') + http('GET', '/docs', { connection: 'close' }),
    ]);

    expect(statuses(responses)).toEqual([200, 200]);
    expect(responses[0]?.body).toMatch(/^openapi: 3\.0\.3/);
    expect(responses[1]?.headers['content-type']).toBe('text/html; charset=utf-8');
  });
});

function statuses(responses: readonly SeenResponse[]): number[] {
  return responses.map((response) => response.status);
}

describe('the time limits npm start keeps', () => {
  it('are the ones README and SECURITY.md state', () => {
    const [headers, request] = [
      DEFAULT_HEADERS_TIMEOUT_MS / 1000,
      DEFAULT_REQUEST_TIMEOUT_MS / 1000,
    ];
    const sentence = `headers must arrive within ${headers} s and the whole request\nwithin ${request} s`;

    for (const file of ['README.md', 'SECURITY.md']) {
      const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      expect(text.replace(/\s+/g, ' '), file).toContain(sentence.replace(/\s+/g, ' '));
    }
  });
});
