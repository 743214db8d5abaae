/**
 * A loopback HTTP proxy in front of the local API, for the runner's tests: it records every
 * request it forwards, and can refuse a request or change an answer on its way back, making
 * a deliberately broken deployment out of a correct one.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ProxiedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ProxyOptions {
  /** Where requests go, e.g. the local API's URL. */
  readonly target: string;
  /** An answer given instead of forwarding (e.g. 403 for a bad signature), or `undefined`. */
  readonly refuse?: (request: ProxiedRequest) => Promise<ProxiedResponse | undefined>;
  /** The answer sent back instead of the one the API gave. */
  readonly alter?: (response: ProxiedResponse, request: ProxiedRequest) => ProxiedResponse;
}

export interface BreakingProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<BreakingProxy> {
  const requests: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    handle(req)
      .then((answer) => {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      })
      .catch((error: unknown) => res.destroy(error as Error));
  });

  async function handle(req: IncomingMessage): Promise<ProxiedResponse> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: ProxiedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.join(', ') : (v ?? ''),
        ]),
      ),
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(request);
    const refused = await options.refuse?.(request);
    if (refused !== undefined) return refused;
    const forwarded = await fetch(new URL(request.url, options.target), {
      method: request.method,
      headers: Object.fromEntries(
        Object.entries(request.headers).filter(
          ([k]) => !['host', 'connection', 'content-length'].includes(k),
        ),
      ),
      ...(request.body === '' ? {} : { body: request.body }),
    });
    const headers: Record<string, string> = {};
    forwarded.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') {
        headers[name] = value;
      }
    });
    const response = { status: forwarded.status, headers, body: await forwarded.text() };
    return options.alter?.(response, request) ?? response;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
