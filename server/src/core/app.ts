/**
 * The core: a plain request in, a plain response out. It knows the contract (openapi.yaml), not
 * Lambda and not `node:http`; the adapters in `../adapters` and `../local` are thin screens over it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventPublisher, WriteEventDetail } from '../events/types.js';
import { type CompiledOperation, createRouter, validateRequest } from './compiled-contract.js';
import { compiledContract } from './contract.gen.js';
import { createCors } from './cors.js';
import {
  ApiError,
  InternalError,
  MalformedJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  quote,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.js';
import { etag, isJsonMediaType, parseIfMatch, toFieldErrors } from './http.js';
import { checkAttributeName, checkStorable } from './item.js';
import { type JsonValue, parseJson, stringifyJson } from './json.js';
import type { ApiRequest, ApiResponse, Item, ItemStore, VersionedItem } from './types.js';

export interface AppOptions {
  readonly store: ItemStore;
  /** Announces each committed write; never rejects (see `EventPublisher`). */
  readonly events: EventPublisher;
  readonly logger: Logger;
  /** Bodies larger than this many bytes get 413. */
  readonly maxBodyBytes: number;
  /** Origins browsers may call from (CORS); `undefined` or empty: CORS is off. */
  readonly corsAllowOrigins?: readonly string[] | undefined;
}

export interface App {
  handle(request: ApiRequest): Promise<ApiResponse>;
}

type Operations = Record<
  'getItem' | 'createItem' | 'updateItem' | 'deleteItem',
  (body: JsonValue | undefined, request: ApiRequest) => Promise<ApiResponse>
>;

const JSON_TYPE = 'application/json';
const PROBLEM_TYPE = 'application/problem+json';

export async function createApp(options: AppOptions): Promise<App> {
  const { store, events, logger, maxBodyBytes } = options;

  /**
   * The write is committed before this runs, so the client is told it succeeded whatever
   * happens to the event: the publisher retries, then dead-letters, and never throws.
   */
  function announce(
    request: ApiRequest,
    detail: Pick<WriteEventDetail, 'operation' | 'user_id' | 'item' | 'version'> & {
      previous?: Item;
    },
  ): Promise<void> {
    return events.publish({
      ...detail,
      message: 'success',
      occurredAt: new Date().toISOString(),
      requestId: request.requestId,
    });
  }
  // Routing and request validation were compiled from the contract at build time
  // (`npm run generate`, see ./compiled-contract.ts): nothing is compiled or even parsed at
  // start or on a first request, which Lambda bills.
  const router = createRouter(compiledContract);
  const cors = createCors(options.corsAllowOrigins, (path) => router.allowedMethods(path));

  const operations: Operations = {
    async getItem(_body, request) {
      const userId = queryString(request, 'user_id');
      const found = await store.get(userId);
      if (found === undefined) throw new NotFoundError(`No item has user_id ${quote(userId)}.`);
      return itemResponse(200, found);
    },

    async createItem(body, request) {
      const item = body as Item;
      assertValid(checkStorable(item, '', 0));
      const created = await store.create(item);
      await announce(request, {
        operation: 'POST',
        user_id: item.user_id,
        item: created.item,
        version: created.version,
      });
      return itemResponse(201, created, {
        location: `/dynamo?user_id=${encodeURIComponent(item.user_id)}`,
      });
    },

    async updateItem(body, request) {
      const {
        user_id: userId,
        updatedKey,
        updatedValue,
      } = body as {
        user_id: string;
        updatedKey: string;
        updatedValue: JsonValue;
      };
      if (updatedKey === 'user_id') {
        throw new ValidationError([
          { pointer: '/updatedKey', detail: 'cannot be user_id: the key of an item never changes' },
        ]);
      }
      const nameProblem = checkAttributeName(updatedKey);
      assertValid([
        ...(nameProblem === undefined ? [] : [{ pointer: '/updatedKey', detail: nameProblem }]),
        ...checkStorable(updatedValue, '/updatedValue', 1),
      ]);
      const expected = parseIfMatch(request.headers['if-match']);
      const updated = await store.update(userId, updatedKey, updatedValue, expected);
      await announce(request, {
        operation: 'PATCH',
        user_id: userId,
        item: updated.item,
        previous: updated.previous.item,
        version: updated.version,
      });
      return itemResponse(200, updated);
    },

    async deleteItem(_body, request) {
      const userId = queryString(request, 'user_id');
      const expected = parseIfMatch(request.headers['if-match']);
      const deleted = await store.delete(userId, expected);
      await announce(request, {
        operation: 'DELETE',
        user_id: userId,
        item: deleted.item,
        version: deleted.version,
      });
      return jsonResponse(200, deleted.item);
    },
  };

  async function handle(request: ApiRequest): Promise<ApiResponse> {
    return cors.preflight(request) ?? cors.decorate(request, await respond(request));
  }

  async function respond(request: ApiRequest): Promise<ApiResponse> {
    try {
      if (request.body !== undefined && Buffer.byteLength(request.body) > maxBodyBytes) {
        throw new PayloadTooLargeError(`The body is larger than ${maxBodyBytes} bytes.`);
      }
      const operation = route(request);
      const body = operation.hasRequestBody ? readJsonBody(request) : undefined;
      const errors = validateRequest(operation, request, body);
      if (errors !== null) throw new ValidationError(toFieldErrors(errors));
      const run = operations[operation.operationId as keyof Operations];
      return await run(body, request);
    } catch (error) {
      return problemResponse(error, request);
    }
  }

  function route(request: ApiRequest): CompiledOperation {
    const operation = router.match(request.method, request.path);
    if (operation !== undefined) return operation;
    const allowed = router.allowedMethods(request.path);
    if (allowed !== undefined) throw new MethodNotAllowedError(request.method, allowed);
    throw new NotFoundError(`Nothing is served at ${request.path}.`);
  }

  function problemResponse(error: unknown, request: ApiRequest): ApiResponse {
    const apiError = error instanceof ApiError ? error : new InternalError({ cause: error });
    if (apiError.status >= 500) {
      logger.error('request failed', {
        requestId: request.requestId,
        method: request.method,
        path: request.path,
        status: apiError.status,
        // Secrets in them (Authorization, cookies, SigV4 tokens) are redacted by the logger.
        headers: request.headers,
        error: apiError.cause ?? apiError,
      });
    }
    return {
      statusCode: apiError.status,
      headers: { 'content-type': PROBLEM_TYPE, ...apiError.headers },
      body: JSON.stringify(apiError.toProblem(request.requestId)),
    };
  }

  return { handle };
}

function readJsonBody(request: ApiRequest): JsonValue | undefined {
  if (request.body === undefined || request.body === '') return undefined;
  const contentType = request.headers['content-type'];
  if (!isJsonMediaType(contentType)) {
    throw new UnsupportedMediaTypeError(
      contentType === undefined
        ? 'The body has no Content-Type; send application/json.'
        : `The body is ${contentType}; send application/json.`,
    );
  }
  try {
    return parseJson(request.body);
  } catch (error) {
    throw new MalformedJsonError(
      `The body is not valid JSON: ${error instanceof Error ? error.message : 'parse error'}`,
    );
  }
}

function assertValid(errors: ReturnType<typeof checkStorable>): void {
  if (errors.length > 0) throw new ValidationError(errors);
}

/** Validation has guaranteed a single string by the time operations read a parameter. */
function queryString(request: ApiRequest, name: string): string {
  const value = request.query[name];
  return typeof value === 'string' ? value : '';
}

function itemResponse(
  statusCode: number,
  { item, version }: VersionedItem,
  headers: Record<string, string> = {},
): ApiResponse {
  return jsonResponse(statusCode, item, { etag: etag(version), ...headers });
}

function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): ApiResponse {
  return {
    statusCode,
    headers: { 'content-type': JSON_TYPE, ...headers },
    body: stringifyJson(body),
  };
}
