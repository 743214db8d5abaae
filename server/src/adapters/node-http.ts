/**
 * The `node:http` screen over the core, for `npm start` and the tests: a request in, the core's
 * response out. It serves a few fixed documents beside the API (the contract at
 * `/openapi.yaml`); nothing else lives here. The body is handed to the core as the stream it
 * is, and the core reads only as much of it as it accepts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../core/app.js';
import type { ApiRequest } from '../core/request.js';

/** A fixed document served on GET and HEAD at its path, beside the API. */
export interface Asset {
  readonly contentType: string;
  readonly body: string | Uint8Array;
}

export interface NodeHttpServerOptions {
  readonly app: App;
  readonly host: string;
  /** `0` picks a free port. */
  readonly port: number;
  /** Served as they are, by path (e.g. `/openapi.yaml`). */
  readonly assets?: ReadonlyMap<string, Asset>;
}

export interface NodeHttpServer {
  /** e.g. `http://127.0.0.1:3000` */
  readonly url: string;
  close(): Promise<void>;
}

export async function startNodeHttpServer(options: NodeHttpServerOptions): Promise<NodeHttpServer> {
  const { app } = options;
  const assets = options.assets ?? new Map<string, Asset>();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The core answers every error itself; this is a broken socket or a bug in this file.
      res.destroy(error instanceof Error ? error : undefined);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const at = target.indexOf('?');
    const path = at === -1 ? target : target.slice(0, at);
    const request: ApiRequest = {
      method: req.method ?? 'GET',
      path,
      query: at === -1 ? '' : target.slice(at + 1),
      headers: headersOf(req),
      // Not destroyed when the core stops reading (at the size limit): the answer still goes out.
      body: req.iterator({ destroyOnReturn: false }),
      // The server's own: a caller's X-Request-Id is logged beside it (see App), never as it.
      requestId: randomUUID(),
    };
    const asset = assets.get(path);
    if (asset !== undefined && (request.method === 'GET' || request.method === 'HEAD')) {
      // Readable by the pages CORS lets read the API: the contract is public to them too.
      const { headers } = app.decorate(request, {
        statusCode: 200,
        headers: { 'content-type': asset.contentType },
        body: '',
      });
      res.writeHead(200, headers);
      res.end(request.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    const response = await app.handle(request);
    const headers: Record<string, string> = { ...response.headers };
    if (!req.complete) {
      // Unread: discard the rest, and end the connection after this answer.
      headers.connection = 'close';
      req.resume();
    }
    res.writeHead(response.statusCode, headers);
    res.end(response.body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/** Lower-case names; a field sent more than once is its values joined by `, ` (RFC 9110 §5.3). */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(', ');
  }
  return headers;
}
