/**
 * The shape of the operations table that `scripts/generate-server.ts` compiles from openapi.yaml
 * into `operations.gen.ts`: what the router matches and what validation checks, per operation.
 */
import type { ErrorObject } from 'ajv';

/** An Ajv validator, as its standalone code exports it: `errors` is set when `data` is invalid. */
export interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * The JSON type a query parameter's text is read as before its schema checks it (OpenAPI
 * `style: form`, `explode: true`, the default for query parameters): `"25"` is the integer 25
 * for an `integer` parameter and stays the string `"25"` for a `string` one.
 */
export type ParameterType = 'string' | 'integer' | 'number' | 'boolean';

export interface QueryParameterSpec {
  readonly name: string;
  readonly required: boolean;
  readonly type: ParameterType;
  /** Declared as an array: each occurrence is one element. Otherwise it may occur once. */
  readonly array: boolean;
}

export interface HeaderParameterSpec {
  /** As the contract spells it, e.g. `If-Match`: how errors name it. */
  readonly name: string;
  /** Lower case, as requests carry header names. */
  readonly key: string;
  readonly required: boolean;
}

export interface RequestBodySpec {
  readonly required: boolean;
  /** A validator per media type the operation accepts, e.g. `application/json`. */
  readonly content: Readonly<Record<string, Validator>>;
  /** An example body per media type, as JSON text, for messages that say what to send. */
  readonly examples: Readonly<Record<string, string>>;
  /** Per media type, the members the body's schema takes where it closes an object. */
  readonly closedObjects: Readonly<Record<string, ClosedObjects>>;
}

/**
 * Where a schema closes an object (`additionalProperties: false`), what each schema closing it
 * there takes (branches of `oneOf`/`anyOf`/`allOf` one entry each), by JSON Pointer into the
 * value; `*` is any array index or member name. For the 400 that names a member the schema
 * does not allow.
 */
export type ClosedObjects = Readonly<Record<string, readonly ClosedObject[]>>;

/** What one schema that closes an object takes: these members, and names matching these. */
export interface ClosedObject {
  readonly properties: readonly string[];
  /** `patternProperties`, as ECMA-262 regular expressions (Ajv's `u` flag). */
  readonly patterns: readonly string[];
}

export interface OperationSpec {
  /** Upper case, e.g. `GET`. */
  readonly method: string;
  /** A literal path, e.g. `/dynamo`. */
  readonly path: string;
  readonly query: readonly QueryParameterSpec[];
  readonly headers: readonly HeaderParameterSpec[];
  readonly requestBody: RequestBodySpec | undefined;
  /** Checks the query as an object of parameter values; unknown parameters are errors. */
  readonly validateQuery: Validator;
  /** Checks the declared headers, by lower-case name; other headers are not its business. */
  readonly validateHeaders: Validator;
}

/** The `Item` schema's checks, which every write path keeps (`core/item-schema.ts`). */
export interface ItemSchemaSpec {
  /** A whole item against `Item`. */
  readonly validate: Validator;
  /** An object of some top-level attributes against what `Item` says of each. */
  readonly validateAttributes: Validator;
  /** What `Item` says of an item as a whole (`allOf`, `minProperties`, ...). */
  readonly wholeItemKeywords: readonly string[];
  /** The members `Item` takes where it closes an object. */
  readonly closedObjects: ClosedObjects;
}
