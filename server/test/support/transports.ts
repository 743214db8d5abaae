/**
 * The three ways a request reaches the core: the local HTTP server, a REST API (v1) event and an
 * HTTP API (v2) event through the Lambda adapter. Tests run the same cases through each.
 */
import { afterAll, beforeAll } from 'vitest';
import { type ApiGatewayResult, createLambdaHandler } from '../../src/adapters/lambda.js';
import { readContractText } from '../../src/contract.js';
import { type App, createApp } from '../../src/core/app.js';
import type { ItemStore } from '../../src/core/types.js';
import type { EventPublisher, WriteEventDetail } from '../../src/events/types.js';
import { type LocalServer, startLocalServer } from '../../src/local/server.js';
import { logger } from '../../src/logger.js';
import { createDynamoDbStore } from '../../src/store/dynamodb.js';
import type { SeenResponse } from './contract.js';
import type { TestTable } from './engine.js';
import { type EventInput, httpApiEvent, lambdaContext, restApiEvent } from './events.js';
import { createRecordingPublisher } from './recorder.js';

export interface Call {
  readonly method: string;
  readonly path?: string;
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** A value is sent as JSON (with `content-type: application/json` unless given); a string raw. */
  readonly json?: unknown;
  readonly raw?: string;
}

export type TransportName = 'local HTTP server' | 'Lambda REST API (v1)' | 'Lambda HTTP API (v2)';
export const TRANSPORTS: readonly TransportName[] = [
  'local HTTP server',
  'Lambda REST API (v1)',
  'Lambda HTTP API (v2)',
];

export const MAX_BODY_BYTES = 64 * 1024;

export interface Api {
  send(call: Call): Promise<SeenResponse>;
  /** The events of the writes this API committed, in order. */
  readonly published: readonly WriteEventDetail[];
}

export function createTestApp(
  store: ItemStore,
  maxBodyBytes = MAX_BODY_BYTES,
  events: EventPublisher = createRecordingPublisher(),
): Promise<App> {
  return createApp({ store, events, logger, maxBodyBytes });
}

/** The local HTTP server for `app` on a free loopback port; the caller closes it. */
export function startTestServer(app: App, maxBodyBytes = MAX_BODY_BYTES): Promise<LocalServer> {
  return startLocalServer({
    app,
    host: '127.0.0.1',
    port: 0,
    contractText: readContractText(),
    maxBodyBytes,
  });
}

/** What the Lambda handler returned, as a response seen on the wire (lower-case header names). */
export function seenFromLambda(result: ApiGatewayResult | string): SeenResponse {
  if (typeof result === 'string') throw new Error('the handler returned a bare string');
  return {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    ),
    body: result.body ?? '',
  };
}

/** An API on `table` reached through `transport`, started before and stopped after the file. */
export function useApi(transport: TransportName, table: TestTable): Api {
  let app: App;
  let server: LocalServer | undefined;
  const events = createRecordingPublisher();
  beforeAll(async () => {
    app = await createTestApp(
      createDynamoDbStore(table.documentClient, table.tableName),
      MAX_BODY_BYTES,
      events,
    );
    if (transport === 'local HTTP server') {
      server = await startTestServer(app);
    }
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    published: events.published,
    send: (call) => {
      if (server !== undefined) return sendHttp(server.url, call);
      return sendLambda(app, transport, call);
    },
  };
}

function prepare(call: Call): EventInput {
  const headers: Record<string, string> = { ...call.headers };
  let body = call.raw;
  if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  }
  const query: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(call.query ?? {})) {
    for (const v of typeof value === 'string' ? [value] : value) query.push([name, v]);
  }
  return { method: call.method, path: call.path ?? '/dynamo', query, headers, body };
}

async function sendHttp(baseUrl: string, call: Call): Promise<SeenResponse> {
  const input = prepare(call);
  const url = new URL(input.path, baseUrl);
  for (const [name, value] of input.query) url.searchParams.append(name, value);
  const response = await fetch(url, {
    method: input.method,
    headers: input.headers,
    ...(input.body === undefined ? {} : { body: input.body }),
  });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}

async function sendLambda(app: App, transport: TransportName, call: Call): Promise<SeenResponse> {
  const handler = createLambdaHandler(app, logger);
  const input = prepare(call);
  const event = transport === 'Lambda REST API (v1)' ? restApiEvent(input) : httpApiEvent(input);
  return seenFromLambda(await handler(event, lambdaContext()));
}
