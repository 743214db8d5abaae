/**
 * What every peer shares, so that the bench compares frameworks and nothing else. Each peer
 * (`bench/peers/*.ts`) routes, parses, validates and answers errors the way its framework's
 * docs show, and then hands the validated input to the function's own operations
 * (`server/src/core/operations.ts`), which call the function's DynamoDB store and EventBridge
 * publisher: the same conditional writes, the same storable checks, one `PutEvents` per write.
 * Errors become the same problems (`toApiError`), logged the same way. What differs between a
 * peer and the function is exactly what the framework does.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ErrorObject } from 'ajv';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { toApiError } from '../../server/src/core/app.js';
import type { CursorCodec } from '../../server/src/core/cursor.js';
import { matchMediaType } from '../../server/src/core/media-type.js';
import type { components } from '../../server/src/core/openapi/types.gen.js';
import { createOperations, type Operations } from '../../server/src/core/operations.js';
import {
  type EventPublisher,
  type ItemStore,
  StoreRefusedError,
} from '../../server/src/core/ports.js';
import {
  type FieldError,
  MalformedBodyError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../server/src/core/problems.js';
import { escapePointer } from '../../server/src/core/storable.js';

export interface PeerDependencies {
  readonly store: ItemStore;
  readonly events: EventPublisher;
  readonly logger: Logger;
  /** Bodies larger than this many bytes get 413, as `MAX_BODY_BYTES` does for the function. */
  readonly maxBodyBytes: number;
  /** openapi.yaml's path, for a framework that reads the contract at run time. */
  readonly openApiPath: string;
}

/** API Gateway REST (v1) in and out: what the bench and the conformance check send. */
export type LambdaHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export type CreateHandler = (dependencies: PeerDependencies) => LambdaHandler;

/**
 * The operations every peer serves: the seed's four (issue #17, "the same four operations").
 * Listing, merge patch and `Idempotency-Key` came later; the function serves them, the peers
 * do not, and the bench measures none of them here.
 */
export type PeerOperations = Pick<
  Operations,
  'getItem' | 'createItem' | 'updateItem' | 'deleteItem'
>;
export type PeerOperationId = keyof PeerOperations;

/** The seed's PATCH body (schema `UpdateRequest`), as the peers hand it to the operations. */
export type UpdateRequest = components['schemas']['UpdateRequest'];

/** No peer lists items, so none signs a cursor: using one is a bug in the peer. */
const NO_CURSORS: CursorCodec = {
  encode: () => {
    throw new Error('the peers serve no listing');
  },
  decode: () => {
    throw new Error('the peers serve no listing');
  },
};

/** The function's own handlers of the four operations, on the peer's ports and logger. */
export function peerOperations({
  store,
  events,
  logger,
}: Pick<PeerDependencies, 'store' | 'events' | 'logger'>): PeerOperations {
  return createOperations({ store, events, logger, cursors: NO_CURSORS });
}

export const PROBLEM_JSON = 'application/problem+json';

/**
 * What each peer finds before its operation runs (or its framework finds for it), as the
 * function's problems, in the same words in every peer.
 */
export const refusals = {
  tooLarge: (maxBodyBytes: number) =>
    new PayloadTooLargeError(`The body is larger than ${maxBodyBytes} bytes.`),
  notJson: () => new UnsupportedMediaTypeError('Send the body as application/json.'),
  malformed: () => new MalformedBodyError('The body is not valid JSON.'),
  noRoute: () => new NotFoundError('Nothing is served here.'),
};

/** An operation's result as API Gateway's answer, its body as JSON (for the peers that build it). */
export function proxyResult(result: {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}): APIGatewayProxyResult {
  return {
    statusCode: result.status,
    headers: { 'content-type': 'application/json', ...result.headers },
    body: JSON.stringify(result.body),
  };
}

export interface ProblemAnswer {
  readonly status: number;
  /** `content-type` and the headers the problem implies (`Allow`, `Retry-After`). */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The problem+json answer to `error`, exactly as the function's core gives it (`toApiError`),
 * and logged as it logs it: server errors and refusals the core did not expect.
 */
export function problemFor(error: unknown, requestId: string, logger: Logger): ProblemAnswer {
  const apiError = toApiError(error);
  if (apiError.status >= 500 || error instanceof StoreRefusedError) {
    logger.error('request failed', { requestId, status: apiError.status, error });
  }
  return {
    status: apiError.status,
    headers: { 'content-type': PROBLEM_JSON, ...apiError.headers },
    body: JSON.stringify(apiError.toProblem(requestId)),
  };
}

/** Whether a `Content-Type` is one the contract's bodies accept (JSON, UTF-8). */
export function isJsonBody(contentType: string | null | undefined): boolean {
  return matchMediaType(contentType ?? undefined, ['application/json']) !== undefined;
}

/**
 * The request id every answer and event carries: API Gateway's (REST or HTTP API), as the
 * function takes it, else the invocation's.
 */
export function requestIdOf(event: object, context: Pick<Context, 'awsRequestId'>): string {
  const id = (event as { requestContext?: { requestId?: unknown } }).requestContext?.requestId;
  return typeof id === 'string' ? id : context.awsRequestId;
}

/** Where in the request a validated part sits, as the contract's `FieldError` names it. */
export type PartKind = 'parameter' | 'header' | 'pointer';

/**
 * Field errors from Standard Schema issues (zod's, through Powertools or hono), whose path
 * starts with the part (`['body', 'user_id']`), or is inside `part` when given.
 */
export function fieldErrorsFromIssues(
  issues: readonly StandardSchemaV1.Issue[],
  parts: Readonly<Record<string, PartKind>>,
  part?: string,
): FieldError[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((s) =>
      String(typeof s === 'object' && s !== null ? s.key : s),
    );
    const [where = '', ...rest] = part === undefined ? path : [part, ...path];
    return fieldError(parts[where] ?? 'pointer', rest, issue.message);
  });
}

/**
 * Field errors from Ajv's (middy's validator, openapi-backend), whose instance paths start with
 * the part (`/body/user_id`, `/queryStringParameters`).
 */
export function fieldErrorsFromAjv(
  errors: readonly ErrorObject[],
  parts: Readonly<Record<string, PartKind>>,
): FieldError[] {
  return errors.map((error) => {
    const path = error.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    // `required` and `additionalProperties` name the property below the path.
    const named = (error.params.missingProperty ?? error.params.additionalProperty) as
      | string
      | undefined;
    if (named !== undefined) path.push(named);
    const [where = '', ...rest] = path;
    return fieldError(parts[where] ?? 'pointer', rest, error.message ?? 'is invalid');
  });
}

function fieldError(kind: PartKind, path: readonly string[], detail: string): FieldError {
  return kind === 'pointer'
    ? { pointer: path.map((segment) => `/${escapePointer(segment)}`).join(''), detail }
    : { [kind]: path[0] ?? '', detail };
}
