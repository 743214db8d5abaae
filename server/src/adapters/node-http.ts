/**
 * The `node:http` screen over the core, for `npm start` and the tests: a request in, the core's
 * response out. It serves a few fixed documents beside the API (the contract at
 * `/openapi.yaml`); nothing else lives here. The body is handed to the core as the stream it
 * is, and the core reads only as much of it as it accepts.
 *
 * What HTTP/1.1 leaves to a server is kept here (`http1.ts` has the rules): a connection's
 * requests are answered one at a time, in order, pipelined ones included (RFC 9112 §9.3.2);
 * whatever Node's parser refuses, or a request that does not arrive in time, is answered with
 * a problem like any other error, then the connection is closed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, maxHeaderSize, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { finished } from 'node:stream/promises';
import type { App } from '../core/app.js';
import {
  ApiError,
  ExpectationFailedError,
  MethodNotAllowedError,
  NotImplementedError,
  quote,
} from '../core/problems.js';
import { type ApiRequest, type ApiResponse, RequestAbortedError } from '../core/request.js';
import {
  checkHost,
  checkTransferCoding,
  type ParseError,
  problemForParseError,
  readTarget,
  requestLineAt,
  serializeResponse,
} from './http1.js';

/** A fixed document served on GET and HEAD at its path, beside the API. */
export interface Asset {
  readonly contentType: string;
  readonly body: string | Uint8Array;
}

/** How long a request's headers may take to arrive, by default. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** How long a whole request, body included, may take to arrive, by default. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long a refused connection stays open for the client to read the answer, at most. */
const LINGER_MS = 2_000;

export interface NodeHttpServerOptions {
  readonly app: App;
  readonly host: string;
  /** `0` picks a free port. */
  readonly port: number;
  /** Served as they are, by path (e.g. `/openapi.yaml`). */
  readonly assets?: ReadonlyMap<string, Asset>;
  /** Time limit of a request's headers (408 past it); `HEADERS_TIMEOUT_MS` by default. */
  readonly headersTimeoutMs?: number;
  /** Time limit of a whole request (408 past it); `REQUEST_TIMEOUT_MS` by default. */
  readonly requestTimeoutMs?: number;
}

export interface NodeHttpServer {
  /** e.g. `http://127.0.0.1:3000` */
  readonly url: string;
  close(): Promise<void>;
}

type BodyFailure = ApiError | RequestAbortedError;

/** A request read from a connection, and what may still fail its body. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** `100-continue` waits for the body's first read; `unmet`: an `Expect` the server cannot. */
  readonly expect: 'none' | '100-continue' | 'unmet';
  /**
   * Makes the body's reader throw `error`: the problem the rest of the body is refused with
   * (the parser refused it, or it came too late), or `RequestAbortedError` (the client left).
   */
  fail(error: BodyFailure): void;
  failure: BodyFailure | undefined;
  /** Rejects the read waiting for the body's next chunk, if one is. */
  interrupt: ((error: BodyFailure) => void) | undefined;
}

/** A response, and the content to send instead of its body (an asset's bytes) if any. */
interface Answer {
  readonly response: ApiResponse;
  readonly content?: string | Uint8Array;
  /** The request was refused before the core saw it: nothing more is read on its connection. */
  readonly close?: boolean;
}

/** One connection's requests, answered one at a time in the order they came. */
interface Connection {
  /** Settles once every request read so far has been answered (its answer handed to the socket). */
  queue: Promise<void>;
  /** The last request read, whose body a parser failure or a time limit belongs to. */
  last?: Exchange;
  /** Set when the connection was refused: it closes once its answers are out. */
  refused: boolean;
}

export async function startNodeHttpServer(options: NodeHttpServerOptions): Promise<NodeHttpServer> {
  const { app } = options;
  const assets = options.assets ?? new Map<string, Asset>();
  const headersTimeoutMs = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const server = createServer({
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    // How often Node looks for requests past those limits: often enough to keep them.
    connectionsCheckingInterval: Math.max(1, Math.min(1_000, Math.floor(headersTimeoutMs / 2))),
    // Checked here instead, so that the 400 is a problem (Node's has no body).
    requireHostHeader: false,
  });
  const connections = new WeakMap<Socket, Connection>();
  const connectionOf = (socket: Socket): Connection => {
    let connection = connections.get(socket);
    if (connection === undefined) {
      connection = { queue: Promise.resolve(), refused: false };
      connections.set(socket, connection);
    }
    return connection;
  };

  function enqueue(req: IncomingMessage, res: ServerResponse, expect: Exchange['expect']): void {
    const exchange: Exchange = {
      req,
      res,
      expect,
      failure: undefined,
      interrupt: undefined,
      fail(error) {
        exchange.failure ??= error;
        exchange.interrupt?.(error);
      },
    };
    const connection = connectionOf(req.socket);
    connection.last = exchange;
    connection.queue = connection.queue.then(() =>
      serve(exchange).catch((error: unknown) => {
        // The core answers every error itself; this is a broken socket or a bug in this file.
        res.destroy(error instanceof Error ? error : undefined);
      }),
    );
  }

  async function serve(exchange: Exchange): Promise<void> {
    const { req, res } = exchange;
    // An earlier answer closed the connection: nothing after it is processed (RFC 9112 §9.6).
    if (req.socket.destroyed || req.socket.writableEnded) return;
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const request: ApiRequest = {
      method,
      // Until the target is read: what the access line logs (never the query string).
      path: pathOf(target),
      query: '',
      headers: headersOf(req),
      body: bodyOf(exchange),
      requestId: randomUUID(),
    };
    let answered: Answer;
    try {
      const { path, query, authority } = readTarget(method, target);
      const headers =
        authority === undefined ? request.headers : { ...request.headers, host: authority };
      answered = await answer({ ...request, path, query, headers }, exchange);
    } catch (error) {
      if (error instanceof RequestAbortedError) return;
      if (!(error instanceof ApiError)) throw error;
      answered = { response: app.refuse(request, error), close: true };
    }
    const { response, content = response.body } = answered;
    const headers: Record<string, string> = { ...response.headers };
    if (answered.close === true || !req.complete) {
      // Unread: discard the rest, and end the connection after this answer.
      headers.connection = 'close';
      req.resume();
    }
    res.writeHead(response.statusCode, headers);
    res.end(content);
    // The next request on this connection waits until this answer is on its way.
    await finished(res).catch(() => {});
  }

  /** The answer to a request whose target was read. */
  async function answer(request: ApiRequest, exchange: Exchange): Promise<Answer> {
    const { req } = exchange;
    const refusal =
      checkHost(req.httpVersion, req.headersDistinct.host) ??
      checkTransferCoding(request.headers['transfer-encoding']) ??
      (exchange.expect === 'unmet'
        ? new ExpectationFailedError(
            `Expect ${quote(request.headers.expect ?? '')} cannot be met: this server knows 100-continue alone (RFC 9110 §10.1.1); send the request without it.`,
          )
        : undefined);
    if (refusal !== undefined) return { response: app.refuse(request, refusal), close: true };
    const asset = assets.get(request.path);
    if (asset === undefined) return { response: await app.handle(request) };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const refused = new MethodNotAllowedError(request.method, ['GET', 'HEAD']);
      return { response: app.refuse(request, refused) };
    }
    // Readable by the pages CORS lets read the API: the contract is public to them too.
    const response = app.decorate(request, {
      statusCode: 200,
      headers: { 'content-type': asset.contentType },
      body: '',
    });
    return { response, content: request.method === 'HEAD' ? '' : asset.body };
  }

  server.on('request', (req, res) => enqueue(req, res, 'none'));
  // The 100 (Continue) is sent when the core first reads the body, so a request it refuses
  // before that (413 by Content-Length, 404, 415) never has its body sent (RFC 9110 §10.1.1).
  server.on('checkContinue', (req, res) => enqueue(req, res, '100-continue'));
  server.on('checkExpectation', (req, res) => enqueue(req, res, 'unmet'));

  server.on('clientError', (error: ParseError, socket: Socket) => {
    const connection = connectionOf(socket);
    // The parser fails again on every later byte: the first failure is the one answered.
    if (connection.refused) return;
    connection.refused = true;
    const last = connection.last;
    const inBody = last !== undefined && !last.req.complete;
    const problem = problemForParseError(error, {
      inBody,
      headersTimeoutMs,
      requestTimeoutMs,
      maxHeaderBytes: maxHeaderSize,
    });
    // A failure inside a body is that request's: it answers through its own response, or, when
    // the client closed the connection halfway through, goes unanswered.
    if (inBody) last.fail(problem ?? new RequestAbortedError({ cause: error }));
    void connection.queue.then(() => {
      if (!inBody && problem !== undefined && socket.writable) {
        const [, method = '', target = ''] =
          /^(\S+) (\S+) HTTP\/\d\.\d$/.exec(requestLineAt(error)) ?? [];
        socket.write(serializeResponse(app.refuse(requestFor(method, target), problem)));
      }
      closeGently(socket);
    });
  });

  // CONNECT makes a tunnel, which this server never does (RFC 9110 §9.3.6).
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const connection = connectionOf(socket);
    connection.refused = true;
    void connection.queue.then(() => {
      const request = {
        ...requestFor(req.method ?? 'CONNECT', req.url ?? ''),
        headers: headersOf(req),
      };
      const refusal = new NotImplementedError(
        'CONNECT is not implemented: this server is no proxy; send the request to it directly.',
      );
      if (socket.writable) socket.write(serializeResponse(app.refuse(request, refusal)));
      closeGently(socket);
    });
  });

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

/**
 * The request's body as the core reads it: a 100 (Continue) first when the client waits for
 * one; `RequestAbortedError` when the client went away before the end; the `ApiError` the
 * exchange failed with when the parser refused the rest or it came too late.
 */
async function* bodyOf(exchange: Exchange): AsyncGenerator<Uint8Array> {
  const { req, res } = exchange;
  if (exchange.expect === '100-continue' && !res.headersSent) res.writeContinue();
  // Not destroyed when the core stops reading (at the size limit): the answer still goes out.
  const chunks = req.iterator({ destroyOnReturn: false });
  try {
    for (;;) {
      if (exchange.failure !== undefined) throw exchange.failure;
      const next = await new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
        exchange.interrupt = reject;
        chunks.next().then(resolve, reject);
      });
      exchange.interrupt = undefined;
      if (next.done === true) return;
      yield next.value;
    }
  } catch (error) {
    if (error instanceof ApiError || error instanceof RequestAbortedError || req.complete) {
      throw error;
    }
    throw new RequestAbortedError({ cause: error });
  } finally {
    exchange.interrupt = undefined;
    // Not awaited: after an interruption it waits for a chunk that will never come.
    void chunks.return?.();
  }
}

/** What a refusal is logged as when the request could not be read whole. */
function requestFor(method: string, target: string): ApiRequest {
  const path = pathOf(target);
  return { method, path, query: '', headers: {}, body: undefined, requestId: randomUUID() };
}

/** A request target without its query (or what a client meant as a fragment). */
function pathOf(target: string): string {
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

/**
 * Ends `socket` after what was written to it, and destroys it once the client has had time
 * to read that (closing at once could reset the connection before the answer is read).
 */
function closeGently(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** Lower-case names; a field sent more than once is its values joined by `, ` (RFC 9110 §5.3). */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(', ');
  }
  return headers;
}
