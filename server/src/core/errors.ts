/**
 * The one error hierarchy of the API. Operations and the store throw these; `toProblemResponse`
 * in `app.ts` is the one place that turns them into `application/problem+json` responses.
 */

/** One bad field of a request, as in RFC 9457's examples: where it is, and what is wrong. */
export interface FieldError {
  readonly detail: string;
  /** JSON Pointer into the request body (`""` is the whole body). */
  readonly pointer?: string;
  /** A query parameter. */
  readonly parameter?: string;
  /** A request header. */
  readonly header?: string;
}

/** The RFC 9457 body every error response carries (schema `Problem` in openapi.yaml). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly FieldError[];
}

const problemType = (slug: string) => `urn:problem-type:dynamo-crud:${slug}`;

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  abstract readonly title: string;
  /** Extra response headers this error implies (`Allow`, `Retry-After`). */
  readonly headers: Readonly<Record<string, string>> = {};
  readonly errors: readonly FieldError[] | undefined;

  constructor(detail: string, options?: { errors?: readonly FieldError[]; cause?: unknown }) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.errors = options?.errors;
  }

  toProblem(instance?: string): Problem {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance === undefined ? {} : { instance }),
      ...(this.errors === undefined ? {} : { errors: this.errors }),
    };
  }
}

export class ValidationError extends ApiError {
  readonly status = 400;
  readonly type = problemType('validation');
  readonly title = 'Invalid request';

  constructor(errors: readonly FieldError[], detail = describeFieldErrors(errors)) {
    super(detail, { errors });
  }
}

export class MalformedJsonError extends ApiError {
  readonly status = 400;
  readonly type = problemType('malformed-json');
  readonly title = 'Malformed JSON';
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
    super(`${method} is not allowed here; use ${allowed.join(', ')}`);
    this.headers = { allow: allowed.join(', ') };
  }
}

export class ConflictError extends ApiError {
  readonly status = 409;
  readonly type = problemType('conflict');
  readonly title = 'Already exists';
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
}

export class ServiceUnavailableError extends ApiError {
  readonly status = 503;
  readonly type = problemType('service-unavailable');
  readonly title = 'Service unavailable';
  override readonly headers: Readonly<Record<string, string>>;

  constructor(detail: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(detail, options);
    this.headers = { 'retry-after': String(retryAfterSeconds) };
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

function describeFieldErrors(errors: readonly FieldError[]): string {
  const first = errors[0];
  if (first === undefined) return 'The request is invalid.';
  const where = first.pointer ?? first.parameter ?? first.header ?? '';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${where === '' ? 'body' : where} ${first.detail}${more}`;
}

/** A client-supplied value for an error message: JSON-quoted, and cut if long. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
