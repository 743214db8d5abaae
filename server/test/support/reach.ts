/**
 * Any app (one made with options a test chooses: CORS, a logger it reads, a failing store)
 * reached through one of the three transports: the local HTTP server (raw `node:http`, so any
 * header goes out as given, `Origin` included) or an API Gateway REST (v1) / HTTP API (v2) event
 * into the Lambda adapter.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { createLambdaHandler } from '../../src/adapters/lambda.js';
import type { App } from '../../src/core/app.js';
import type { SeenResponse } from './contract.js';
import { httpApiEvent, lambdaContext, restApiEvent } from './events.js';
import { createHttpClient } from './http-client.js';
import {
  MAX_BODY_BYTES,
  seenFromLambda,
  startTestServer,
  type TransportName,
} from './transports.js';

export interface Request {
  readonly method: string;
  readonly path?: string;
  readonly query?: ReadonlyArray<readonly [string, string]>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface Reached {
  send(request: Request): Promise<SeenResponse>;
  /** Stops what `reach` started (the local server); the caller does this. */
  close(): Promise<void>;
}

export async function reach(
  app: App,
  transport: TransportName,
  logger: Logger,
  maxBodyBytes = MAX_BODY_BYTES,
): Promise<Reached> {
  if (transport === 'local HTTP server') {
    const server = await startTestServer(app, maxBodyBytes);
    const http = createHttpClient(server.url);
    return {
      send: (request) => {
        const search = new URLSearchParams(
          (request.query ?? []).map(([k, v]): [string, string] => [k, v]),
        );
        return http.send({
          method: request.method,
          path: `${request.path ?? '/dynamo'}${search.size === 0 ? '' : `?${search}`}`,
          headers: Object.entries(request.headers ?? {}),
          ...(request.body === undefined ? {} : { body: request.body }),
        });
      },
      close: async () => {
        http.close();
        await server.close();
      },
    };
  }
  const handler = createLambdaHandler(app, logger);
  return {
    send: async (request) => {
      const input = {
        method: request.method,
        path: request.path ?? '/dynamo',
        query: request.query ?? [],
        headers: request.headers ?? {},
        body: request.body,
      };
      const event =
        transport === 'Lambda REST API (v1)' ? restApiEvent(input) : httpApiEvent(input);
      return seenFromLambda(await handler(event, lambdaContext()));
    },
    close: async () => {},
  };
}
