/**
 * A raw HTTP/1.1 client on `node:http` for the tests that must send what `fetch` refuses: any
 * method, a body on GET, repeated headers, bytes that are not UTF-8. Connections are kept alive
 * in the client's own agent, so many requests in a row or in parallel stay cheap; `close()`
 * ends them. Every request has a time limit, so none can hang a test.
 */
import { Agent, request as httpRequest } from 'node:http';
import { type SeenResponse, type TestRequest, toWire } from './request.js';

export interface HttpClient {
  /** Sends `request` as it is: repeated headers as repeated lines, bytes as bytes. */
  send(request: TestRequest): Promise<SeenResponse>;
  close(): void;
}

export interface HttpClientOptions {
  /** Parallel connections at most. */
  readonly maxSockets?: number;
  /** A request that has not been answered by then fails (the test sees an error, not a hang). */
  readonly timeoutMs?: number;
}

export function createHttpClient(baseUrl: string, options: HttpClientOptions = {}): HttpClient {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 8 });
  const timeoutMs = options.timeoutMs ?? 15_000;

  return {
    send: (request) =>
      new Promise<SeenResponse>((resolve, reject) => {
        const wire = toWire(request);
        const path = wire.query === '' ? wire.path : `${wire.path}?${wire.query}`;
        const body = wire.body === undefined ? undefined : Buffer.from(wire.body);
        const headers: Record<string, string[]> = {};
        for (const [name, value] of wire.headers) {
          const key = name.toLowerCase();
          headers[key] = [...(headers[key] ?? []), value];
        }
        if (body !== undefined) headers['content-length'] = [String(body.length)];
        const outgoing = httpRequest(
          { host: hostname, port, method: wire.method, path, headers, agent },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.once('error', reject);
            response.once('end', () => {
              const seen: Record<string, string> = {};
              for (const [name, value] of Object.entries(response.headers)) {
                if (value !== undefined)
                  seen[name] = Array.isArray(value) ? value.join(', ') : value;
              }
              resolve({
                status: response.statusCode ?? 0,
                headers: seen,
                body: Buffer.concat(chunks).toString('utf8'),
              });
            });
          },
        );
        outgoing.setTimeout(timeoutMs, () =>
          outgoing.destroy(new Error(`no answer to ${wire.method} ${path} in ${timeoutMs} ms`)),
        );
        outgoing.once('error', reject);
        outgoing.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** Sends one request to the server at `baseUrl` on a connection of its own. */
export async function sendOnce(baseUrl: string, request: TestRequest): Promise<SeenResponse> {
  const client = createHttpClient(baseUrl, { maxSockets: 1 });
  try {
    return await client.send(request);
  } finally {
    client.close();
  }
}
