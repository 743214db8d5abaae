/**
 * The contract, compiled: which operation a request is, and what is wrong with it, with no
 * OpenAPI library and no schema compiler at run time.
 *
 * `scripts/generate-contract.ts` asks openapi-backend for each operation of openapi.yaml and for
 * the request schemas it validates against, and compiles those with Ajv's standalone code
 * generator into `contract.gen.ts`. This file runs them exactly as openapi-backend's
 * `router.matchOperation` and `validator.validateRequest` (5.x, `quick` mode) would, so the
 * errors, their order and their messages are the same; `server/test/compiled-contract.test.ts`
 * checks both, generated against regenerated and answers against openapi-backend's own.
 *
 * Limits (the generator refuses a contract that needs more): literal paths only (no `{param}`
 * templates), no path-level, cookie or `content`-encoded parameters, no `explode: false`.
 */
import { createHash } from 'node:crypto';
import type { ErrorObject } from 'ajv';
import type { ApiRequest } from './types.js';

/** A validator as Ajv compiles it: `false` and `errors` set when the data is invalid. */
export interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export interface CompiledOperation {
  readonly operationId: string;
  /** Lower case, as in the contract. */
  readonly method: string;
  readonly path: string;
  /** Whether the operation declares a `requestBody` at all. */
  readonly hasRequestBody: boolean;
  /** The body's only media type is `application/json`: a body that is not JSON is an error. */
  readonly jsonOnlyBody: boolean;
  /** Query parameters whose schema is an array: a single value is validated as a list of one. */
  readonly arrayQueryParameters: readonly string[];
  /** The body's validator (when it has a schema) and then the parameters', in that order. */
  readonly validators: readonly ValidateFunction[];
}

export interface CompiledContract {
  /** SHA-256 of the contract they were compiled from (`contractFingerprint`). */
  readonly fingerprint: string;
  readonly operations: readonly CompiledOperation[];
}

/** The fingerprint of a parsed contract, as the generator records it. */
export function contractFingerprint(contract: unknown): string {
  return createHash('sha256').update(JSON.stringify(contract)).digest('hex');
}

/**
 * @throws when `contract` is not the one `compiled` was generated from: the validators would
 *   check another contract than the one served.
 */
export function assertCompiledFrom(compiled: CompiledContract, contract: unknown): void {
  if (contractFingerprint(contract) !== compiled.fingerprint) {
    throw new Error(
      'server/src/core/contract.gen.ts was generated from another openapi.yaml: run `npm run generate`',
    );
  }
}

export interface Router {
  /** The operation serving `method` at `path`, or `undefined` when none does. */
  match(method: string, path: string): CompiledOperation | undefined;
  /** The methods served at `path` (upper case, for `Allow`), or `undefined` for an unknown path. */
  allowedMethods(path: string): readonly string[] | undefined;
}

/** `Allow` lists methods in this order, whatever order the contract declares them in. */
const METHOD_ORDER = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function createRouter(compiled: CompiledContract): Router {
  const byRoute = new Map(compiled.operations.map((op) => [`${op.method} ${op.path}`, op]));
  const byPath = new Map<string, string[]>();
  for (const path of new Set(compiled.operations.map((op) => op.path))) {
    const served = new Set(
      compiled.operations.filter((op) => op.path === path).map((op) => op.method),
    );
    byPath.set(
      path,
      METHOD_ORDER.filter((m) => served.has(m)).map((m) => m.toUpperCase()),
    );
  }
  return {
    match(method, path) {
      return byRoute.get(`${method.trim().toLowerCase()} ${normalizePath(path)}`);
    },
    allowedMethods(path) {
      return byPath.get(normalizePath(path));
    },
  };
}

/** As openapi-backend normalises a path: leading slash, no query string, no trailing slashes. */
function normalizePath(raw: string): string {
  let path = raw.trim();
  if (!path.startsWith('/')) path = `/${path}`;
  path = (path.split('?')[0] ?? '').trim();
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/**
 * The request's contract errors, or `null` when there are none: openapi-backend's
 * `validateRequest`, step for step.
 *
 * @param body the body as the core parsed it (`undefined` when there is none).
 */
export function validateRequest(
  operation: CompiledOperation,
  request: ApiRequest,
  body: unknown,
): ErrorObject[] | null {
  const errors: ErrorObject[] = [];
  // openapi-backend parses a body that is not an object yet (a JSON string holding JSON).
  let requestBody = body;
  if (body && typeof body !== 'object') {
    try {
      requestBody = JSON.parse(String(body));
    } catch {
      // Left as it is; the check below reports it when the body must be JSON.
    }
  }
  // Copies (Ajv's type coercion may write into them), with no prototype so that every name,
  // `__proto__` included, is an own key as in openapi-backend's copies.
  const header: Record<string, unknown> = Object.create(null);
  for (const name of Object.keys(request.headers)) {
    header[name.toLowerCase()] = request.headers[name];
  }
  const query: Record<string, unknown> = Object.create(null);
  for (const name of Object.keys(request.query)) {
    const value = request.query[name];
    query[name] =
      typeof value === 'string' && operation.arrayQueryParameters.includes(name)
        ? [value]
        : Array.isArray(value)
          ? [...value]
          : value;
  }
  const parameters: Record<string, unknown> = { path: {}, query, header, cookie: {} };
  if (body !== undefined && typeof body !== 'object' && operation.jsonOnlyBody) {
    try {
      JSON.parse(`${body}`);
    } catch (error) {
      errors.push({
        keyword: 'parse',
        instancePath: '',
        schemaPath: '#/requestBody',
        params: [],
        message: (error as Error).message,
      });
    }
  }
  const rawContentType = header['content-type'];
  const contentType = String(
    (Array.isArray(rawContentType) ? rawContentType[0] : rawContentType) || '',
  )
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (typeof requestBody === 'object' || contentType === 'application/json') {
    parameters.requestBody = requestBody;
  }
  for (const validate of operation.validators) {
    validate(parameters);
    if (validate.errors) errors.push(...validate.errors);
  }
  return errors.length === 0 ? null : errors;
}
