/**
 * The local screen over the core: `node:http` in, the core's response out. It also serves the
 * contract at `/openapi.yaml`. No behaviour lives here beyond reading a bounded body.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../core/app.js';
import type { ApiRequest } from '../core/types.js';

export interface LocalServerOptions {
  readonly app: App;
  readonly host: string;
  readonly port: number;
  /** Served as-is at `/openapi.yaml`. */
  readonly contractText: string;
  /** Reading stops one byte past this; the core then answers 413. */
  readonly maxBodyBytes: number;
}

export interface LocalServer {
  /** e.g. `http://127.0.0.1:3000` */
  readonly url: string;
  close(): Promise<void>;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { app, contractText, maxBodyBytes } = options;
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The core answers every error itself; this is a broken socket or a bug in this file.
      res.destroy(error instanceof Error ? error : undefined);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/openapi.yaml' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'application/yaml; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : contractText);
      return;
    }
    const { body, complete } = await readBody(req, maxBodyBytes);
    const response = await app.handle(toApiRequest(req, url, body));
    const headers: Record<string, string> = { ...response.headers };
    if (!complete) headers.connection = 'close';
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

function toApiRequest(req: IncomingMessage, url: URL, body: string | undefined): ApiRequest {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const given = headers['x-request-id'];
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query,
    headers,
    body,
    requestId: given !== undefined && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID(),
  };
}

/**
 * The body as text, at most `limit + 1` bytes of it: enough for the core to see it is too
 * large without buffering whatever a client sends. `complete` is false when reading stopped.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<{ body: string | undefined; complete: boolean }> {
  const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
  if (Number(req.headers['content-length']) > limit) {
    req.resume();
    return Promise.resolve({ body: ' '.repeat(limit + 1), complete: false });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        // Stop keeping it; discard the rest so the 413 can be written, then the socket closes.
        req.off('data', onData);
        req.resume();
        resolve({ body: text(chunks), complete: false });
      }
    };
    req.on('data', onData);
    req.once('end', () => resolve({ body: size === 0 ? undefined : text(chunks), complete: true }));
    req.once('error', reject);
  });
}
