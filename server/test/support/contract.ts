/**
 * Every response the server produces in tests is checked against openapi.yaml: the status is
 * documented for the operation, the media type and body match the schema, documented required
 * headers are present and valid.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { OpenAPIV3 } from 'openapi-types';
import { expect } from 'vitest';
import { loadContract } from '../../src/contract.js';

export const contract = loadContract() as OpenAPIV3.Document;
const ajv = new Ajv({ strict: false, allErrors: true });
// RFC 3339 `date-time`, as the event schemas use it (Ajv knows no formats by itself).
ajv.addFormat(
  'date-time',
  (value: string) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(value) &&
    !Number.isNaN(Date.parse(value)),
);
ajv.addSchema(contract as object, 'openapi.yaml');

export type OperationId = 'getItem' | 'createItem' | 'updateItem' | 'deleteItem';

export interface SeenResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Asserts that `response` is one the contract allows for `operationId` (or, for requests no
 * operation matched, a problem). Returns the parsed body.
 */
export function expectContractResponse(
  operationId: OperationId | undefined,
  response: SeenResponse,
): unknown {
  const documented = operationId === undefined ? undefined : findResponse(operationId, response);
  const mediaType = response.headers['content-type']?.split(';')[0];
  const body: unknown = JSON.parse(response.body);
  if (documented === undefined) {
    expect(response.status, 'an unmatched request is an error').toBeGreaterThanOrEqual(400);
    expect(mediaType).toBe('application/problem+json');
    expectValid('#/components/schemas/Problem', body);
  } else {
    const content = documented.content ?? {};
    expect(Object.keys(content), `documented media types of ${response.status}`).toContain(
      mediaType,
    );
    expectValid(content[mediaType ?? '']?.schema, body);
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      const resolved = resolve<OpenAPIV3.HeaderObject>(header);
      const value = response.headers[name.toLowerCase()];
      if (resolved.required) expect(value, `required header ${name}`).toBeDefined();
      if (value !== undefined && resolved.schema !== undefined) {
        const schema = resolve<OpenAPIV3.SchemaObject>(resolved.schema);
        expectValid(schema, schema.type === 'integer' ? Number(value) : value);
      }
    }
  }
  if (response.status >= 400) {
    expect((body as { status: number }).status, 'problem status matches').toBe(response.status);
  }
  return body;
}

/**
 * Asserts that `value` is valid against the schema `name` of openapi.yaml's
 * `components.schemas`, e.g. `expectValidSchema('ItemCreatedDetail', detail)`.
 */
export function expectValidSchema(name: string, value: unknown): void {
  expect(contract.components?.schemas?.[name], `openapi.yaml has schema ${name}`).toBeDefined();
  expectValid(`#/components/schemas/${name}`, value);
}

function findResponse(operationId: OperationId, response: SeenResponse) {
  for (const item of Object.values(contract.paths)) {
    for (const operation of Object.values(item ?? {})) {
      const op = operation as OpenAPIV3.OperationObject;
      if (op.operationId !== operationId) continue;
      const documented = op.responses[String(response.status)] ?? op.responses.default;
      expect(documented, `${operationId} documents status ${response.status}`).toBeDefined();
      return resolve<OpenAPIV3.ResponseObject>(documented as OpenAPIV3.ResponseObject);
    }
  }
  throw new Error(`no operation ${operationId} in openapi.yaml`);
}

function resolve<T>(value: T | OpenAPIV3.ReferenceObject): T {
  if (typeof value === 'object' && value !== null && '$ref' in value) {
    const path = value.$ref.replace(/^#\//, '').split('/');
    let node: unknown = contract;
    for (const segment of path) node = (node as Record<string, unknown>)[segment];
    return resolve(node as T);
  }
  return value;
}

const validators = new Map<string, ValidateFunction>();

function expectValid(schema: object | string | undefined, value: unknown): void {
  expect(schema, 'a schema is documented').toBeDefined();
  const ref = typeof schema === 'string' ? { $ref: `openapi.yaml${schema}` } : schema;
  const key = JSON.stringify(ref);
  let validate = validators.get(key);
  if (validate === undefined) {
    validate = ajv.compile(rebase(ref as object));
    validators.set(key, validate);
  }
  const valid = validate(value);
  expect(validate.errors ?? [], JSON.stringify(value).slice(0, 500)).toEqual([]);
  expect(valid).toBe(true);
}

/** Points local `#/...` refs of an inline schema at the contract document. */
function rebase(schema: object): object {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"openapi.yaml#/'),
  ) as object;
}
