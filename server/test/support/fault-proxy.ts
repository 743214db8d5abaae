/**
 * A fault-injecting HTTP proxy in front of a real DynamoDB engine (dynalite). It forwards every
 * request unchanged unless told to fail, in which case it answers the way DynamoDB (or what sits
 * in front of it) does: a JSON error with `__type` and `x-amzn-errortype`, a bare 5xx, a reset
 * socket, a request it never answers, or no listener at all (connection refused).
 *
 * Tests script the engine's failures with it; the SDK, its retries and its timeouts stay real.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as forwardRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  /** A DynamoDB error answer: `status`, `__type` and `x-amzn-errortype` naming `type`. */
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly type: string;
      readonly message: string;
    }
  /** A bare status with a non-JSON body, as a load balancer in front of the engine answers. */
  | { readonly kind: 'status'; readonly status: number; readonly body: string }
  /** Reads the request, then never answers (until the client gives up or the proxy heals). */
  | { readonly kind: 'hang' }
  /** Answers 200 headers and the start of a body, then never finishes it. */
  | { readonly kind: 'stall' }
  /** Reads the request, then destroys the socket without answering. */
  | { readonly kind: 'reset' }
  /**
   * Forwards the request, so that the engine applies it, then answers `then` in place of the
   * engine's answer: a write that took effect though its caller was told it failed.
   */
  | { readonly kind: 'applied'; readonly then: AnswerFault };

/** A fault that answers in place of the engine. */
export type AnswerFault = Exclude<Fault, { kind: 'applied' }>;

const DYNAMODB_ERROR_NAMESPACE = 'com.amazonaws.dynamodb.v20120810';

/** The failures DynamoDB is known to answer with. */
export const faults = {
  /** 400 ProvisionedThroughputExceededException (or another throttling type). */
  throttling: (type = 'ProvisionedThroughputExceededException'): AnswerFault => ({
    kind: 'error',
    status: 400,
    type,
    message:
      'The level of configured provisioned throughput for the table was exceeded. ' +
      'Consider increasing your provisioning level with the UpdateTable API.',
  }),
  /** 500 InternalServerError. */
  internalServerError: (): AnswerFault => ({
    kind: 'error',
    status: 500,
    type: 'InternalServerError',
    message: 'Internal server error',
  }),
  /** 503 with an HTML body, as an intermediary answers when DynamoDB is unavailable. */
  serviceUnavailable: (): AnswerFault => ({
    kind: 'status',
    status: 503,
    body: '<html><body><h1>503 Service Unavailable</h1></body></html>',
  }),
  /** 400 ValidationException with `message`. */
  validation: (message: string): AnswerFault => ({
    kind: 'error',
    status: 400,
    type: 'ValidationException',
    message,
  }),
  hang: (): AnswerFault => ({ kind: 'hang' }),
  stall: (): AnswerFault => ({ kind: 'stall' }),
  reset: (): AnswerFault => ({ kind: 'reset' }),
  /** The request applied by the engine, its answer replaced by `then` (a 500, say). */
  appliedThen: (then: AnswerFault): Fault => ({ kind: 'applied', then }),
};

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: point a DynamoDB client here. */
  readonly url: string;
  /** Requests that reached the proxy since it started or last healed, faulted ones included. */
  readonly requests: number;
  /** The next `times` requests get `fault`; later ones are forwarded again. */
  failNext(fault: Fault, times?: number): void;
  /** Every request gets `fault` until `heal`. */
  failAlways(fault: Fault): void;
  /**
   * Whether a refused conditional write that asked for it (`ReturnValuesOnConditionCheckFailure:
   * ALL_OLD`) is answered with the item as it is (`Item` in the error), as DynamoDB and DynamoDB
   * Local answer; dynalite, behind the proxy, answers without it. Off until turned on.
   */
  returnItemOnConditionFailure(on: boolean): void;
  /** Closes the listener and every open connection: clients now get connection refused. */
  refuseConnections(): Promise<void>;
  /** Forwards everything again: clears faults, ends held requests, listens, zeroes `requests`. */
  heal(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port in front of `target` (`http://host:port`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let script: Fault[] = [];
  let always: Fault | undefined;
  let requests = 0;
  let returnItem = false;
  const held = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    requests += 1;
    const fault = script.shift() ?? always;
    readBody(req)
      .then((body) => {
        if (fault === undefined) forward(req, body, res);
        else if (fault.kind === 'applied') applyThen(fault.then, req, body, res);
        else inject(fault, req, res);
      })
      .catch(() => res.destroy());
  });

  function forward(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const asked = returnItem ? itemAskedFor(req, body) : undefined;
    const outgoing = send(req, body, (answer) => {
      if (asked === undefined || answer.statusCode !== 400) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      readBody(answer)
        .then(async (errorBody) => {
          const error = JSON.parse(errorBody.toString()) as Record<string, unknown>;
          if (String(error.__type).endsWith('#ConditionalCheckFailedException')) {
            const { Item } = await getItem(req, asked);
            if (Item !== undefined) error.Item = Item;
          }
          const text = JSON.stringify(error);
          res.writeHead(400, {
            ...answer.headers,
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        })
        .catch(() => res.destroy());
    });
    outgoing.once('error', () => res.destroy());
  }

  /** Sends `body` upstream as `req` was sent; `onAnswer` gets the answer. */
  function send(
    req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
    body: Buffer,
    onAnswer: (answer: IncomingMessage) => void,
  ) {
    const outgoing = forwardRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host, 'content-length': body.length },
      },
      onAnswer,
    );
    outgoing.end(body);
    return outgoing;
  }

  /** The item a refused write would be answered with, read upstream (the engine checks no signature). */
  function getItem(
    req: IncomingMessage,
    asked: { TableName: string; Key: unknown },
  ): Promise<{ Item?: unknown }> {
    const body = Buffer.from(JSON.stringify({ ...asked, ConsistentRead: true }));
    const headers = { ...req.headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' };
    return new Promise((resolve, reject) => {
      send({ method: 'POST', url: req.url, headers }, body, (answer) => {
        readBody(answer)
          .then((text) => resolve(JSON.parse(text.toString()) as { Item?: unknown }))
          .catch(reject);
      }).once('error', reject);
    });
  }

  /** Sends the request upstream, lets the engine answer it, then answers `fault` instead. */
  function applyThen(
    fault: AnswerFault,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): void {
    send(req, body, (answer) => {
      readBody(answer)
        .then(() => inject(fault, req, res))
        .catch(() => res.destroy());
    }).once('error', () => res.destroy());
  }

  function inject(fault: AnswerFault, req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'error': {
        const body = JSON.stringify({
          __type: `${DYNAMODB_ERROR_NAMESPACE}#${fault.type}`,
          message: fault.message,
        });
        res.writeHead(fault.status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': randomUUID(),
          'x-amzn-errortype': fault.type,
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
        return;
      }
      case 'status':
        res.writeHead(fault.status, {
          'content-type': 'text/html',
          'content-length': Buffer.byteLength(fault.body),
        });
        res.end(fault.body);
        return;
      case 'hang':
        held.add(res);
        res.once('close', () => held.delete(res));
        return;
      case 'stall':
        held.add(res);
        res.once('close', () => held.delete(res));
        res.writeHead(200, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': randomUUID(),
          'content-length': 1024,
        });
        res.write('{"Item":');
        return;
      case 'reset':
        req.socket.destroy();
        return;
    }
  }

  function listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  function stopListening(): Promise<void> {
    if (!server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  }

  await listen(0);
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    failNext(fault, times = 1) {
      script.push(...Array.from({ length: times }, () => fault));
    },
    failAlways(fault) {
      always = fault;
    },
    returnItemOnConditionFailure(on) {
      returnItem = on;
    },
    refuseConnections: stopListening,
    async heal() {
      script = [];
      always = undefined;
      for (const res of held) res.destroy();
      if (!server.listening) await listen(port);
      requests = 0;
    },
    close: stopListening,
  };
}

/**
 * The table and key of a write that asks DynamoDB for the item when its condition fails; the
 * key of a `PutItem` is its item's `user_id` (the tables here are keyed by it).
 */
function itemAskedFor(
  req: IncomingMessage,
  body: Buffer,
): { TableName: string; Key: unknown } | undefined {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (!/\.(PutItem|UpdateItem|DeleteItem)$/.test(target)) return undefined;
  const request = JSON.parse(body.toString()) as {
    TableName: string;
    Key?: unknown;
    Item?: { user_id?: unknown };
    ReturnValuesOnConditionCheckFailure?: string;
  };
  if (request.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD') return undefined;
  return {
    TableName: request.TableName,
    Key: request.Key ?? { user_id: request.Item?.user_id },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
