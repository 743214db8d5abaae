/**
 * The core: a plain request in, a plain response out. It knows the contract (openapi.yaml, as
 * generated code), not Lambda and not `node:http`; `../adapters` are thin screens over it.
 *
 * A request goes: route → read and decode the body → validate every part → run the operation
 * with what was validated → answer. With an `Idempotency-Key` (where the operation takes one),
 * running and answering happen once per key, and a repeat gets the remembered answer. Whatever
 * is thrown on the way becomes a problem here, and only here (`toApiError`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { answerText } from './answer.js';
import { etag, NO_CACHE, refuseUnevaluatedPreconditions } from './conditional.js';
import { allowedRequestHeaders, createCors } from './cors.js';
import { createCursorCodec } from './cursor.js';
import {
  fingerprint,
  IDEMPOTENCY_KEY,
  IDEMPOTENT_REPLAYED,
  parseIdempotencyKey,
} from './idempotency.js';
import { DuplicateNameError, NestingTooDeepError, parseJson } from './json.js';
import { matchMediaType } from './media-type.js';
import type { OperationResult } from './openapi/operation-types.js';
import { operations as contractOperations, type OperationId } from './openapi/operations.gen.js';
import { createOperations, type Operation, type OperationContext } from './operations.js';
import {
  type EventPublisher,
  failedPrecondition,
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
  type IdempotencyStore,
  ItemExistsError,
  ItemNotFoundError,
  type ItemStore,
  StoreRefusedError,
  StoreUnavailableError,
  VersionMismatchError,
} from './ports.js';
import {
  ApiError,
  ConflictError,
  InternalError,
  MalformedBodyError,
  MalformedRequestError,
  MethodNotAllowedError,
  NotFoundError,
  NotImplementedError,
  PayloadTooLargeError,
  PreconditionFailedError,
  quote,
  RequestInProgressError,
  ReusedIdempotencyKeyError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './problems.js';
import {
  type ApiRequest,
  type ApiResponse,
  decodeBody,
  normalizePercentEncoding,
  parseQuery,
  RequestAbortedError,
  readBody,
} from './request.js';
import { createRouter, type Route } from './router.js';
import { MAX_DEPTH, nestedTooDeep } from './storable.js';
import { type RequestParts, type ValidInput, validateRequest } from './validation.js';

export interface AppOptions {
  readonly store: ItemStore;
  /** Announces each committed write; never rejects (see `EventPublisher`). */
  readonly events: EventPublisher;
  /** Remembers the answers of writes sent with an `Idempotency-Key`. */
  readonly idempotency: IdempotencyStore;
  readonly logger: Logger;
  /** Bodies larger than this many bytes get 413 (`MAX_BODY_BYTES`). */
  readonly maxBodyBytes: number;
  /** Origins browsers may call from (CORS); `undefined` or empty: CORS is off. */
  readonly corsAllowOrigins?: readonly string[] | undefined;
  /** Signs listing cursors (`CURSOR_KEY`): every container of a deployment needs the same. */
  readonly cursorKey: string;
  /** Request headers pages may send besides those the contract and the SDK send (CORS). */
  readonly corsAllowHeaders?: readonly string[] | undefined;
  /**
   * Time a listing keeps before the request's deadline when it would read the store again, in
   * ms: one store call at its worst (every attempt and backoff) and the handler's own work.
   * Default 0; without a deadline (`npm start`) a listing reads until its page is full.
   */
  readonly readReserveMs?: number | undefined;
}

export interface App {
  /**
   * Answers every request, errors included, and logs one access line for it. Rejects with the
   * `RequestAbortedError` its body stream threw (the client went away before the body was
   * whole: nobody is left to answer, and that is logged instead), or if a bug escapes the core.
   */
  handle(request: ApiRequest): Promise<ApiResponse>;
  /**
   * `response`, answered beside the core (a document an adapter serves, such as
   * `/openapi.yaml`), with the CORS headers `request`'s origin is entitled to; logged as
   * every answer is.
   */
  decorate(request: ApiRequest, response: ApiResponse): ApiResponse;
  /**
   * The problem answer to `request` for `error`, which an adapter found before the core could
   * route it (a request target, `Host`, framing or timing the transport refuses), with the
   * CORS headers `request`'s origin is entitled to; logged as every answer is.
   */
  refuse(request: ApiRequest, error: ApiError): ApiResponse;
}

const JSON_TYPE = 'application/json';
const PROBLEM_TYPE = 'application/problem+json';

/** Seconds a client is told to wait when the store is throttling or unreachable. */
const RETRY_AFTER_SECONDS = 1;

/** A caller's `X-Request-Id` the access line carries beside the server's own request id. */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function createApp(options: AppOptions): App {
  const { logger, maxBodyBytes } = options;
  const router = createRouter();
  const operations = createOperations({
    ...options,
    cursors: createCursorCodec(options.cursorKey),
  });
  const cors = createCors(
    options.corsAllowOrigins,
    (path) => router.allowedMethods(path),
    allowedRequestHeaders(Object.values(contractOperations), options.corsAllowHeaders),
  );

  async function respond(request: ApiRequest): Promise<ApiResponse> {
    try {
      if (request.path === '*') return serverOptions(request);
      const route = match(request);
      refuseUnevaluatedPreconditions(
        request.headers,
        route.spec.headers.map((h) => h.key),
      );
      const { parts, text } = await readParts(route, request);
      const validated = validateRequest(route.spec, parts);
      if (!validated.valid) throw new ValidationError(validated.errors);
      const { input } = validated;
      const answer = async (): Promise<ApiResponse> => {
        const result = await run(route.operationId, input, {
          requestId: request.requestId,
          deadline: request.deadline,
        });
        const body = result.body === undefined ? '' : answerText(result.body);
        return {
          statusCode: result.status,
          headers: body === '' ? result.headers : { 'content-type': JSON_TYPE, ...result.headers },
          body,
        };
      };
      // Only where the operation takes the header (POST, PATCH): reads and DELETE are
      // idempotent by their methods (RFC 9110 §9.2.2).
      const keyHeader = input.headers[IDEMPOTENCY_KEY];
      if (keyHeader === undefined) return await answer();
      const { response, replayed } = await options.idempotency.once(
        {
          key: parseIdempotencyKey(keyHeader),
          fingerprint: fingerprint({
            method: request.method,
            path: route.spec.path,
            query: request.query,
            mediaType: input.body?.mediaType,
            body: text,
            ifMatch: input.headers['if-match'],
            ifNoneMatch: input.headers['if-none-match'],
          }),
          deadline: request.deadline,
        },
        answer,
      );
      return replayed
        ? { ...response, headers: { ...response.headers, [IDEMPOTENT_REPLAYED]: 'true' } }
        : response;
    } catch (error) {
      if (error instanceof RequestAbortedError) throw error;
      return problemResponse(error, request);
    }
  }

  /**
   * `OPTIONS *`, a question about the server rather than a resource (RFC 9110 §9.3.7): every
   * method it serves somewhere, no content. Any other method on `*` is refused like a path.
   */
  function serverOptions(request: ApiRequest): ApiResponse {
    const allowed = router.allowedMethods('*') ?? [];
    if (request.method !== 'OPTIONS') throw new MethodNotAllowedError(request.method, allowed);
    return {
      statusCode: 200,
      headers: { allow: allowed.join(', '), 'content-length': '0' },
      body: '',
    };
  }

  function match(request: ApiRequest): Route {
    const path = normalizePercentEncoding(request.path);
    if (path === undefined) {
      throw new MalformedRequestError(
        'The path is not valid percent-encoded UTF-8 (RFC 3986 §2.1); encode it as UTF-8, then percent-encode it.',
      );
    }
    const route = router.match(request.method, path);
    if (route !== undefined) return route;
    const allowed = router.allowedMethods(path);
    if (allowed !== undefined) throw new MethodNotAllowedError(request.method, allowed);
    throw new NotFoundError(
      `Nothing is served at ${quote(path)}; the API serves ${new Intl.ListFormat('en').format(router.paths)}.`,
    );
  }

  /**
   * The request's parts as validation reads them (query and body decoded, the body parsed),
   * and the body's text as sent.
   */
  async function readParts(
    route: Route,
    request: ApiRequest,
  ): Promise<{ parts: RequestParts; text: string | undefined }> {
    const query = parseQuery(request.query);
    const { requestBody } = route.spec;
    const { headers } = request;
    const none = { parts: { query, headers, body: undefined }, text: undefined };
    if (requestBody === undefined) return none;
    const accepted = Object.keys(requestBody.content);
    /** The body's media type, or a 415 for a coding or media type this operation does not take. */
    const mediaTypeOf = (): string => {
      const acceptHeaders: Record<string, string> =
        request.method === 'PATCH' ? { 'accept-patch': accepted.join(', ') } : {};
      const encoding = headers['content-encoding']?.trim().toLowerCase();
      if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
        // RFC 9110 §8.4.1, §15.5.16: a coding the server does not apply is a 415.
        throw new UnsupportedMediaTypeError(
          `The body is sent with Content-Encoding ${quote(encoding)}; send it unencoded.`,
          { ...acceptHeaders, 'accept-encoding': 'identity' },
        );
      }
      const contentType = headers['content-type'];
      const matched = matchMediaType(contentType, accepted);
      if (matched === undefined) {
        throw new UnsupportedMediaTypeError(
          `The body is ${contentType === undefined ? 'sent without a Content-Type' : `sent as ${quote(contentType)}`}; send ${accepted.join(' or ')}.`,
          acceptHeaders,
        );
      }
      return matched;
    };
    // A body its headers announce is judged by them before it is read, so a client waiting on
    // `Expect: 100-continue` is refused without sending it (RFC 9110 §10.1.1).
    const announced =
      headers['transfer-encoding'] !== undefined ||
      (headers['content-length'] !== undefined && headers['content-length'].trim() !== '0');
    const checked = announced ? mediaTypeOf() : undefined;
    const bytes = await readBody(request.body, maxBodyBytes, headers['content-length']);
    if (bytes === undefined) return none;
    const mediaType = checked ?? mediaTypeOf();
    const example = requestBody.examples[mediaType];
    const sendInstead = `send ${mediaType}${example === undefined ? '' : ` such as ${example}`}`;
    const text = decodeBody(bytes);
    let value: unknown;
    try {
      // Nothing DynamoDB can hold nests deeper, and nothing deeper may reach what recurses.
      value = parseJson(text, { maxDepth: MAX_DEPTH });
    } catch (error) {
      if (error instanceof NestingTooDeepError) {
        throw new ValidationError([nestedTooDeep(error.pointer)]);
      }
      if (error instanceof DuplicateNameError) {
        throw new ValidationError([
          {
            pointer: error.pointer,
            detail:
              'is given twice in one object, and JSON parsers disagree on which one counts (RFC 8259 §4); send each name once',
          },
        ]);
      }
      if (!(error instanceof SyntaxError)) throw error;
      throw new MalformedBodyError(
        `The body is not valid JSON (RFC 8259): ${describeSyntaxError(error, text)}; ${sendInstead}.`,
      );
    }
    return { parts: { query, headers, body: { mediaType, value } }, text };
  }

  /** Runs `operationId`'s handler on the input validation checked against its schemas. */
  function run<Id extends OperationId>(
    operationId: Id,
    input: ValidInput,
    context: OperationContext,
  ): Promise<OperationResult<Id>> {
    const operation = operations[operationId] as Operation<Id>;
    return operation(input as Parameters<Operation<Id>>[0], context);
  }

  function problemResponse(error: unknown, request: ApiRequest): ApiResponse {
    const apiError = toApiError(error);
    const failed = apiError.status >= 500 && !(apiError instanceof NotImplementedError);
    if (failed || error instanceof StoreRefusedError) {
      logger.error('request failed', {
        requestId: request.requestId,
        method: request.method,
        path: request.path,
        status: apiError.status,
        // Secrets in them (Authorization, cookies, SigV4 tokens) are redacted by the logger.
        headers: request.headers,
        error: error instanceof ApiError ? (error.cause ?? error) : error,
      });
    }
    return {
      statusCode: apiError.status,
      headers: { 'content-type': PROBLEM_TYPE, 'cache-control': NO_CACHE, ...apiError.headers },
      body: JSON.stringify(apiError.toProblem(request.requestId)),
    };
  }

  /**
   * One structured line per request, so the `instance` a client quotes can be found. A
   * caller's own `X-Request-Id` is kept beside the server's id, never instead of it: two
   * callers may send the same one, and events are de-duplicated on the server's.
   *
   * `started` is from `process.hrtime.bigint()` (ns), not `performance.now()`: the first read
   * of the global `performance` makes Node load `perf_hooks`, which a Lambda container's first
   * request would pay (1 to 4 ms measured here) for one log field.
   */
  function logAccess(request: ApiRequest, started: bigint, response?: ApiResponse): void {
    const status = response?.statusCode;
    const clientRequestId = request.headers['x-request-id'];
    const fields = {
      requestId: request.requestId,
      ...(clientRequestId !== undefined && CLIENT_REQUEST_ID.test(clientRequestId)
        ? { clientRequestId }
        : {}),
      method: request.method,
      path: request.path,
      ...(status === undefined ? {} : { status }),
      ...(response?.headers[IDEMPOTENT_REPLAYED] === undefined ? {} : { replayed: true }),
      durationMs: Math.round(Number(process.hrtime.bigint() - started) / 10_000) / 100,
    };
    if (status === undefined) logger.info(new RequestAbortedError().message, fields);
    else logger.info('request', fields);
  }

  return {
    async handle(request) {
      const started = process.hrtime.bigint();
      let answer: ApiResponse;
      try {
        answer = cors.preflight(request) ?? cors.decorate(request, await respond(request));
      } catch (error) {
        if (error instanceof RequestAbortedError) logAccess(request, started);
        throw error;
      }
      // HEAD: the headers GET would get, errors included, and no content (RFC 9110 §9.3.2).
      const response = request.method === 'HEAD' ? { ...answer, body: '' } : answer;
      logAccess(request, started, response);
      return response;
    },
    decorate(request, response) {
      logAccess(request, process.hrtime.bigint(), response);
      return cors.decorate(request, response);
    },
    refuse(request, error) {
      const response = cors.decorate(request, problemResponse(error, request));
      logAccess(request, process.hrtime.bigint(), response);
      return response;
    },
  };
}

/**
 * What is wrong with `text`, which `JSON.parse` refused, without echoing any of it back (V8
 * quotes the text around the error, `..."cret","n":NaN}" is not valid JSON`; it may be a secret).
 */
function describeSyntaxError(error: SyntaxError, text: string): string {
  // RFC 8259 §8.1: JSON text is UTF-8 without a byte order mark.
  if (text.startsWith('\uFEFF'))
    return 'it starts with a byte order mark (U+FEFF), which JSON text must not';
  if (text.includes('\u0000'))
    return 'it holds NUL characters, as UTF-16 text does, and JSON text is UTF-8';
  const message = error.message.replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '');
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** Which of its preconditions a write failed (`failedPrecondition`), against which ETag. */
function preconditionFailure({ current, condition, userId }: VersionMismatchError): string {
  if (current === undefined) {
    return 'The item changed while this request was carried out; read it again and retry.';
  }
  const tag = etag(current);
  if (failedPrecondition(condition, current) === 'If-Match') {
    return `If-Match does not match the item's current ETag, ${tag}; read it again and retry.`;
  }
  if (condition.ifNoneMatch === '*') {
    return `If-None-Match is *, and an item with user_id ${quote(userId)} exists.`;
  }
  return `If-None-Match names the item's current ETag, ${tag}; this request was only for another state.`;
}

/**
 * What a client hears of `error`: the one mapping of domain errors onto problems. Exported for
 * the bench's peers (`bench/peers/`), which answer the same errors through their frameworks.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ItemNotFoundError) {
    return new NotFoundError(`No item has user_id ${quote(error.userId)}.`);
  }
  if (error instanceof ItemExistsError) {
    return new ConflictError(
      `An item with user_id ${quote(error.userId)} already exists; POST never overwrites one. Change it with PATCH (If-Match: its ETag, to change only the version you read), or DELETE it first.`,
    );
  }
  if (error instanceof VersionMismatchError) {
    return new PreconditionFailedError(preconditionFailure(error));
  }
  if (error instanceof IdempotencyKeyInProgressError) {
    return new RequestInProgressError(
      'A request with this Idempotency-Key is still being carried out; send this one again, with the same key, after the time in Retry-After to get its answer.',
      RETRY_AFTER_SECONDS,
    );
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return new ReusedIdempotencyKeyError(
      'This Idempotency-Key was used for another request (another body, media type or precondition); send a new key with a new request.',
    );
  }
  if (error instanceof StoreUnavailableError) {
    return new ServiceUnavailableError(
      'The database is busy or unreachable; retry after the time in Retry-After.',
      RETRY_AFTER_SECONDS,
      { cause: error.cause },
    );
  }
  if (error instanceof StoreRefusedError) {
    if (error.reason === 'change-too-large') {
      return new PayloadTooLargeError(
        'The patch changes more attributes than one write holds (its DynamoDB update expression is limited to 4 KB, about 400 attributes): send the change as several patches, each with the If-Match of the one before.',
        { cause: error.cause },
      );
    }
    return error.reason === 'item-too-large'
      ? new PayloadTooLargeError('The item is larger than DynamoDB holds (400 KB).', {
          cause: error.cause,
        })
      : new ValidationError(
          [{ pointer: '', detail: 'cannot be stored in DynamoDB' }],
          'DynamoDB refused the item; check its attribute names, nesting and sizes.',
        );
  }
  return new InternalError({ cause: error });
}
