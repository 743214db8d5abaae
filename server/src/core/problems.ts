/**
 * The one error hierarchy of the API's answers. Operations throw these; `app.ts` is the one place
 * that turns any error into an `application/problem+json` response (RFC 9457), and the one place
 * that maps the store's domain errors (`ports.ts`) onto them.
 */
import type { components } from './openapi/types.gen.js';

/** One bad field of a request (schema `FieldError`): where it is, and what is wrong. */
export type FieldError = components['schemas']['FieldError'];

/** The body of every error response (schema `Problem`). */
export type Problem = components['schemas']['Problem'];

/** Problem types are stable URNs: clients branch on them, never on `title` or `detail`. */
export const problemType = (slug: string) => `urn:problem-type:dynamo-crud:${slug}`;

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  abstract readonly title: string;
  /** Response headers this error implies (`Allow`, `Retry-After`, `ETag`), lower-case names. */
  readonly headers: Readonly<Record<string, string>> = {};
  readonly errors: readonly FieldError[] | undefined;

  constructor(detail: string, options?: { errors?: readonly FieldError[]; cause?: unknown }) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.errors = options?.errors;
  }

  /** The problem body; `instance` is the request id, which the logs carry too. */
  toProblem(instance?: string): Problem {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance === undefined ? {} : { instance }),
      ...(this.errors === undefined ? {} : { errors: [...this.errors] }),
    };
  }
}

/** A field breaks the contract or what DynamoDB can store. */
export class ValidationError extends ApiError {
  readonly status = 400;
  readonly type = problemType('validation');
  readonly title = 'Invalid request';

  constructor(errors: readonly FieldError[], detail = describeFieldErrors(errors)) {
    super(detail, { errors });
  }
}

/** The body is not what its media type says (not JSON, not UTF-8). */
export class MalformedBodyError extends ApiError {
  readonly status = 400;
  readonly type = problemType('malformed-json');
  readonly title = 'Malformed JSON';
}

/**
 * The request itself is broken: its target (a path that is not percent-encoded UTF-8, a `#`),
 * its `Host`, or its framing (a bad chunk size, both `Content-Length` and `Transfer-Encoding`).
 */
export class MalformedRequestError extends ApiError {
  readonly status = 400;
  readonly type = problemType('malformed-request');
  readonly title = 'Malformed request';
}

/** The request did not arrive in time (the local server's header and request time limits). */
export class RequestTimeoutError extends ApiError {
  readonly status = 408;
  readonly type = problemType('request-timeout');
  readonly title = 'Request timeout';
}

export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly type = problemType('not-found');
  readonly title = 'Not found';
}

export class MethodNotAllowedError extends ApiError {
  readonly status = 405;
  readonly type = problemType('method-not-allowed');
  readonly title = 'Method not allowed';
  override readonly headers: Readonly<Record<string, string>>;

  constructor(method: string, allowed: readonly string[]) {
    super(`${method} is not allowed here; use ${allowed.join(', ')}.`);
    this.headers = { allow: allowed.join(', ') };
  }
}

export class ConflictError extends ApiError {
  readonly status = 409;
  readonly type = problemType('conflict');
  readonly title = 'Already exists';
}

/**
 * The first request with this `Idempotency-Key` is still being carried out (the idempotency
 * draft's 409): send the request again, with its key, after `Retry-After`.
 */
export class RequestInProgressError extends ApiError {
  readonly status = 409;
  readonly type = problemType('request-in-progress');
  readonly title = 'A request with this Idempotency-Key is in progress';
  override readonly headers: Readonly<Record<string, string>>;

  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.headers = { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  }
}

/** The idempotency draft's 422: this `Idempotency-Key` was used for another request. */
export class ReusedIdempotencyKeyError extends ApiError {
  readonly status = 422;
  readonly type = problemType('idempotency-key-reused');
  readonly title = 'Idempotency-Key already used';
}

export class PreconditionFailedError extends ApiError {
  readonly status = 412;
  readonly type = problemType('precondition-failed');
  readonly title = 'Precondition failed';
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly type = problemType('payload-too-large');
  readonly title = 'Payload too large';
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
  readonly type = problemType('unsupported-media-type');
  readonly title = 'Unsupported media type';
  override readonly headers: Readonly<Record<string, string>>;

  /** @param headers what the server does accept (`Accept-Patch`, `Accept-Encoding`) */
  constructor(detail: string, headers: Readonly<Record<string, string>> = {}) {
    super(detail);
    this.headers = headers;
  }
}

/** An `Expect` the server cannot meet: anything but `100-continue` (RFC 9110 §10.1.1). */
export class ExpectationFailedError extends ApiError {
  readonly status = 417;
  readonly type = problemType('expectation-failed');
  readonly title = 'Expectation failed';
}

/** The request's header section (request line included) is over the server's limit. */
export class HeaderFieldsTooLargeError extends ApiError {
  readonly status = 431;
  readonly type = problemType('request-header-fields-too-large');
  readonly title = 'Request header fields too large';
}

/**
 * A method, or a transfer coding, the server does not implement for any resource (RFC 9110
 * §15.6.2, RFC 9112 §6.1). Not a failure of the server: nothing is logged at error level.
 */
export class NotImplementedError extends ApiError {
  readonly status = 501;
  readonly type = problemType('not-implemented');
  readonly title = 'Not implemented';
}

export class ServiceUnavailableError extends ApiError {
  readonly status = 503;
  readonly type = problemType('service-unavailable');
  readonly title = 'Service unavailable';
  override readonly headers: Readonly<Record<string, string>>;

  /** @param retryAfterSeconds sent as `Retry-After` (RFC 9110 §10.2.3), at least 1. */
  constructor(detail: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(detail, options);
    this.headers = { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  }
}

/** Anything unexpected. Its detail never carries the cause: that goes to the log only. */
export class InternalError extends ApiError {
  readonly status = 500;
  readonly type = problemType('internal');
  readonly title = 'Internal error';

  constructor(options?: { cause?: unknown }) {
    super(
      'The server failed to handle this request; quote the instance when reporting it.',
      options,
    );
  }
}

/** The first bad field as a sentence, for `detail`; `errors` lists them all. */
function describeFieldErrors(errors: readonly FieldError[]): string {
  const first = errors[0];
  if (first === undefined) return 'The request is invalid.';
  const where =
    first.parameter !== undefined
      ? `Query parameter ${first.parameter}`
      : first.header !== undefined
        ? `Header ${first.header}`
        : first.pointer === undefined || first.pointer === ''
          ? 'The body'
          : `Body field ${first.pointer}`;
  const more =
    errors.length > 1
      ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})`
      : '';
  return `${where} ${first.detail}${more}.`;
}

/** A client-supplied value for an error message: JSON-quoted, and cut if long. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
