/**
 * The core: a plain request in, a plain response out. It knows the contract (openapi.yaml, as
 * generated code), not Lambda and not `node:http`; `../adapters` are thin screens over it.
 *
 * A request goes: route → read and decode the body → validate every part → run the operation
 * with what was validated → answer. Whatever is thrown on the way becomes a problem here, and
 * only here (`toApiError`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { createCors } from './cors.js';
import { parseJson, stringifyJson } from './json.js';
import { matchMediaType } from './media-type.js';
import type { OperationResult } from './openapi/operation-types.js';
import type { OperationId } from './openapi/operations.gen.js';
import { createOperations, type Operation, type OperationContext } from './operations.js';
import {
  type EventPublisher,
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
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  quote,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './problems.js';
import {
  type ApiRequest,
  type ApiResponse,
  decodeBody,
  decodePath,
  parseQuery,
  readBody,
} from './request.js';
import { createRouter, type Route } from './router.js';
import { type RequestParts, type ValidInput, validateRequest } from './validation.js';

export interface AppOptions {
  readonly store: ItemStore;
  /** Announces each committed write; never rejects (see `EventPublisher`). */
  readonly events: EventPublisher;
  readonly logger: Logger;
  /** Bodies larger than this many bytes get 413 (`MAX_BODY_BYTES`). */
  readonly maxBodyBytes: number;
  /** Origins browsers may call from (CORS); `undefined` or empty: CORS is off. */
  readonly corsAllowOrigins?: readonly string[] | undefined;
}

export interface App {
  /** Answers every request, errors included; rejects only if a bug escapes the core itself. */
  handle(request: ApiRequest): Promise<ApiResponse>;
}

const JSON_TYPE = 'application/json';
const PROBLEM_TYPE = 'application/problem+json';

/** Seconds a client is told to wait when the store is throttling or unreachable. */
const RETRY_AFTER_SECONDS = 1;

export function createApp(options: AppOptions): App {
  const { logger, maxBodyBytes } = options;
  const router = createRouter();
  const operations = createOperations(options);
  const cors = createCors(options.corsAllowOrigins, (path) => router.allowedMethods(path));

  async function respond(request: ApiRequest): Promise<ApiResponse> {
    try {
      const route = match(request);
      const validated = validateRequest(route.spec, await readParts(route, request));
      if (!validated.valid) throw new ValidationError(validated.errors);
      const result = await run(route.operationId, validated.input, {
        requestId: request.requestId,
      });
      return {
        statusCode: result.status,
        headers: { 'content-type': JSON_TYPE, ...result.headers },
        body: stringifyJson(result.body),
      };
    } catch (error) {
      return problemResponse(error, request);
    }
  }

  function match(request: ApiRequest): Route {
    const path = decodePath(request.path);
    if (path === undefined) {
      throw new NotFoundError('The path is not valid percent-encoded UTF-8 (RFC 3986 §2.1).');
    }
    const route = router.match(request.method, path);
    if (route !== undefined) return route;
    const allowed = router.allowedMethods(path);
    if (allowed !== undefined) throw new MethodNotAllowedError(request.method, allowed);
    throw new NotFoundError(`Nothing is served at ${quote(path)}.`);
  }

  /** The request's parts as validation reads them: query and body decoded, the body parsed. */
  async function readParts(route: Route, request: ApiRequest): Promise<RequestParts> {
    const query = parseQuery(request.query);
    const { requestBody } = route.spec;
    if (requestBody === undefined) return { query, headers: request.headers, body: undefined };
    const bytes = await readBody(request.body, maxBodyBytes, request.headers['content-length']);
    if (bytes === undefined) return { query, headers: request.headers, body: undefined };
    const contentType = request.headers['content-type'];
    const accepted = Object.keys(requestBody.content);
    const mediaType = matchMediaType(contentType, accepted);
    if (mediaType === undefined) {
      throw new UnsupportedMediaTypeError(
        `The body is ${contentType === undefined ? 'sent without a Content-Type' : quote(contentType)}; send ${accepted.join(' or ')}.`,
      );
    }
    const text = decodeBody(bytes);
    let value: unknown;
    try {
      value = parseJson(text);
    } catch (error) {
      throw new MalformedBodyError(
        `The body is not valid JSON: ${error instanceof Error ? error.message : 'parse error'}.`,
      );
    }
    return { query, headers: request.headers, body: { mediaType, value } };
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
    if (apiError.status >= 500 || error instanceof StoreRefusedError) {
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
      headers: { 'content-type': PROBLEM_TYPE, ...apiError.headers },
      body: JSON.stringify(apiError.toProblem(request.requestId)),
    };
  }

  return {
    async handle(request) {
      return cors.preflight(request) ?? cors.decorate(request, await respond(request));
    },
  };
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
    return new ConflictError(`An item with user_id ${quote(error.userId)} already exists.`);
  }
  if (error instanceof VersionMismatchError) {
    return new PreconditionFailedError(
      `If-Match does not match the item's current version, "${error.current}"; read it again and retry.`,
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
