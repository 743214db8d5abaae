/**
 * Whether an answer is one the contract allows: its status is documented for the operation
 * (`default` counts for errors, 4xx and 5xx, only; for a request no operation matches it must
 * be an error), its media type and body match the documented schema (a HEAD answer has no
 * body, RFC 9110 §9.3.2), and the headers the contract requires are there and valid. Errors
 * must be problems (RFC 9457) whose `status` is the answer's.
 */
import { createSchemaCheck } from './schemas.js';

/** An answer as it came over the wire. */
export interface SeenResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Conformance {
  /** Every operation id of the document. */
  readonly operationIds: readonly string[];
  /**
   * What is wrong with `response` as the answer to `operationId` (`undefined`: a request that
   * no operation matches); empty when nothing is. For `method: 'HEAD'`, the answer a GET would
   * get without its body (RFC 9110 §9.3.2).
   */
  checkResponse(
    operationId: string | undefined,
    response: SeenResponse,
    options?: { readonly method?: string },
  ): string[];
  /** What is wrong with `value` as an instance of `components.schemas[name]`. */
  checkSchema(name: string, value: unknown): string[];
}

interface Reference {
  readonly $ref: string;
}
interface HeaderObject {
  readonly required?: boolean;
  readonly schema?: Record<string, unknown> | Reference;
}
interface ResponseObject {
  readonly content?: Record<string, { readonly schema?: object }>;
  readonly headers?: Record<string, HeaderObject | Reference>;
}
interface OperationObject {
  readonly operationId?: string;
  readonly responses: Record<string, ResponseObject | Reference>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** @param document a parsed OpenAPI 3.0 document (openapi.yaml). */
export function createConformance(document: object): Conformance {
  const check = createSchemaCheck(document);
  const operations = new Map<string, OperationObject>();
  /** HEAD answers carry the headers of a GET and no body (RFC 9110 §9.3.2). */
  const headOperations = new Set<string>();
  const paths = (document as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
  for (const item of Object.values(paths)) {
    for (const method of METHODS) {
      const operation = item[method] as OperationObject | undefined;
      if (operation?.operationId === undefined) continue;
      operations.set(operation.operationId, operation);
      if (method === 'head') headOperations.add(operation.operationId);
    }
  }

  const resolve = <T>(value: T | Reference): T => {
    let node: unknown = value;
    while (typeof node === 'object' && node !== null && '$ref' in node) {
      node = (node as Reference).$ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((at, key) => (at as Record<string, unknown>)?.[key], document);
    }
    return node as T;
  };

  return {
    operationIds: [...operations.keys()],

    checkResponse(operationId, response, options = {}) {
      const violations: string[] = [];
      const mediaType = response.headers['content-type']?.split(';')[0]?.trim();
      const head = options.method === 'HEAD';
      if (head && response.body !== '') violations.push('a HEAD answer has a body');
      let body: unknown;
      if (response.body !== '') {
        try {
          body = JSON.parse(response.body);
        } catch {
          violations.push(`the body is not JSON: ${response.body.slice(0, 200)}`);
        }
      }
      const operation = operationId === undefined ? undefined : operations.get(operationId);
      if (operationId !== undefined && operation === undefined) {
        return [`openapi.yaml has no operation ${operationId}`];
      }
      // `default` stands for the errors an operation does not list one by one; a success or a
      // redirect must be documented by its own status.
      const documented =
        operation === undefined
          ? undefined
          : (operation.responses[String(response.status)] ??
            (response.status >= 400 ? operation.responses.default : undefined));
      if (operation === undefined) {
        if (response.status < 400) violations.push(`an unmatched request got ${response.status}`);
        if (mediaType !== 'application/problem+json') {
          violations.push(`an unmatched request got ${mediaType ?? 'no media type'}`);
        }
        if (!head) violations.push(...check('#/components/schemas/Problem', body, 'the problem'));
      } else if (documented === undefined) {
        violations.push(`${operationId} does not document status ${response.status}`);
      } else {
        const resolved = resolve<ResponseObject>(documented);
        const content = resolved.content ?? {};
        if (operationId !== undefined && headOperations.has(operationId)) {
          if (response.body !== '') violations.push('a HEAD answer has a body');
        } else if (Object.keys(content).length === 0) {
          if (response.body !== '') violations.push(`${response.status} documents no body`);
        } else if (mediaType === undefined || content[mediaType] === undefined) {
          violations.push(
            `${operationId} ${response.status}: media type ${mediaType ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`,
          );
        } else {
          const schema = content[mediaType]?.schema;
          if (schema !== undefined && !head) violations.push(...check(schema, body, 'the body'));
        }
        for (const [name, header] of Object.entries(resolved.headers ?? {})) {
          const spec = resolve<HeaderObject>(header);
          const value = response.headers[name.toLowerCase()];
          if (value === undefined) {
            if (spec.required === true) violations.push(`the required header ${name} is missing`);
            continue;
          }
          if (spec.schema === undefined) continue;
          const schema = resolve<Record<string, unknown>>(spec.schema);
          const typed =
            schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
          violations.push(...check(schema, typed, `the header ${name}`));
        }
      }
      if (response.status >= 400 && body !== undefined) {
        const status = (body as { status?: unknown } | null)?.status;
        if (status !== response.status) {
          violations.push(
            `the problem says status ${String(status)}, the answer ${response.status}`,
          );
        }
      }
      return violations;
    },

    checkSchema(name, value) {
      const schemas = (document as { components?: { schemas?: Record<string, unknown> } })
        .components?.schemas;
      if (schemas?.[name] === undefined) return [`openapi.yaml has no schema ${name}`];
      return check(`#/components/schemas/${name}`, value, name);
    },
  };
}
