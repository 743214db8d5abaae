/**
 * Request validation against openapi.yaml: each part of the request (query, headers, body) is
 * checked by the validator generated for it, and what was checked is what the operation gets.
 * There is no second reading of the request after this: an operation cannot see a value that
 * validation did not.
 */
import type { ErrorObject } from 'ajv';
import { withDoubles } from './json.js';
import type {
  ClosedObject,
  ClosedObjects,
  OperationSpec,
  ParameterType,
  Validator,
} from './openapi/operation.js';
import type { FieldError } from './problems.js';
import { escapePointer } from './storable.js';

/** Reporting stops here: enough to fix a request, never a huge response. */
const MAX_ERRORS = 20;

export interface RequestParts {
  /** Query parameters by name, each with every value it was given, in order. */
  readonly query: ReadonlyMap<string, readonly string[]>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed body and its media type (one the operation accepts); `undefined` if none. */
  readonly body: { readonly mediaType: string; readonly value: unknown } | undefined;
}

/** The parts as the contract allows them, for `OperationInput` to type. */
export interface ValidInput {
  readonly query: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly mediaType: string; readonly value: unknown } | undefined;
}

export type Validated =
  | { readonly valid: true; readonly input: ValidInput }
  | { readonly valid: false; readonly errors: readonly FieldError[] };

/** Checks every part; returns the valid input, or every problem found in any part. */
export function validateRequest(spec: OperationSpec, parts: RequestParts): Validated {
  const errors: FieldError[] = [];

  const query: Record<string, unknown> = Object.create(null);
  for (const [name, values] of parts.query) {
    const declared = spec.query.find((p) => p.name === name);
    if (declared !== undefined && !declared.array && values.length > 1) {
      // Reported here, and its first value checked like any other.
      errors.push({ parameter: name, detail: `is given ${values.length} times; send it once` });
    }
    // Under the contract's own string where it declares the parameter: V8 stores a key just
    // sliced from the query string into a null-prototype object through its string table, at
    // about 0.7 µs a store.
    query[declared?.name ?? name] =
      declared === undefined
        ? values[0]
        : declared.array
          ? values.map((v) => fromText(v, declared.type))
          : fromText(values[0] ?? '', declared.type);
  }
  collect(spec.validateQuery, query, errors, (e) => queryError(e, spec));

  const headers: Record<string, string> = Object.create(null);
  for (const { key } of spec.headers) {
    const value = parts.headers[key];
    if (value !== undefined) headers[key] = value;
  }
  collect(spec.validateHeaders, headers, errors, (e) => headerError(e, spec));

  const { requestBody } = spec;
  let body = parts.body;
  if (requestBody === undefined) {
    body = undefined;
  } else if (body === undefined) {
    if (requestBody.required) {
      const [mediaType = 'a body'] = Object.keys(requestBody.content);
      const example = requestBody.examples[mediaType];
      errors.push({
        pointer: '',
        detail: `is required: send ${mediaType}${example === undefined ? '' : ` such as ${example}`}`,
      });
    }
  } else {
    const validate = requestBody.content[body.mediaType];
    if (validate === undefined) throw new Error(`no validator for ${body.mediaType}`);
    const closed = requestBody.closedObjects[body.mediaType] ?? {};
    collect(validate, withDoubles(body.value), errors, (e) => bodyError(e, closed));
  }

  return errors.length === 0
    ? { valid: true, input: { query, headers, body } }
    : { valid: false, errors: errors.slice(0, MAX_ERRORS) };
}

/**
 * A query parameter's text as the JSON type its schema declares, when it is written as one
 * (`"25"` as 25 for an integer); otherwise the text itself, which the schema then refuses.
 */
function fromText(text: string, type: ParameterType): unknown {
  switch (type) {
    case 'integer':
      return /^-?(0|[1-9]\d{0,15})$/.test(text) && Number.isSafeInteger(Number(text))
        ? Number(text)
        : text;
    case 'number':
      return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text) && Number.isFinite(Number(text))
        ? Number(text)
        : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    default:
      return text;
  }
}

function collect(
  validate: Validator,
  data: unknown,
  errors: FieldError[],
  toFieldError: (error: ErrorObject) => FieldError,
): void {
  if (validate(data)) return;
  for (const error of validate.errors ?? []) {
    if (errors.length >= MAX_ERRORS) return;
    // `oneOf`/`anyOf` report each failed branch too; the branches' errors say more.
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf') continue;
    errors.push(toFieldError(error));
  }
}

function queryError(error: ErrorObject, spec: OperationSpec): FieldError {
  const name = namedProperty(error) ?? unescapePointer(error.instancePath.split('/')[1] ?? '');
  if (error.keyword === 'additionalProperties') {
    const known = spec.query.map((p) => p.name);
    return {
      parameter: name,
      detail:
        known.length === 0
          ? 'is not a parameter of this operation, which takes none'
          : `is not a parameter of this operation; it takes ${known.join(', ')}`,
    };
  }
  return { parameter: name, detail: describe(error) };
}

function headerError(error: ErrorObject, spec: OperationSpec): FieldError {
  const key = namedProperty(error) ?? unescapePointer(error.instancePath.split('/')[1] ?? '');
  const name = spec.headers.find((h) => h.key === key)?.name ?? key;
  return { header: name, detail: describe(error) };
}

function bodyError(error: ErrorObject, closed: ClosedObjects): FieldError {
  const name = namedProperty(error);
  const pointer =
    name === undefined ? error.instancePath : `${error.instancePath}/${escapePointer(name)}`;
  return {
    pointer,
    detail:
      error.keyword === 'additionalProperties'
        ? notAllowedHere(closed, error.instancePath, name ?? '')
        : describe(error),
  };
}

/** Members listed at most, so that a wide schema's 400 stays readable. */
const MAX_MEMBERS = 20;

/**
 * The detail for the member `name` the schema does not allow in the object at `parent` (a JSON
 * Pointer into the value), saying what to send instead: `is not allowed here; this object takes
 * a, b`.
 */
export function notAllowedHere(closed: ClosedObjects, parent: string, name: string): string {
  const members = listMembers(closed, parent, name);
  return members === undefined
    ? 'is not allowed here'
    : `is not allowed here; this object takes ${members}`;
}

/**
 * The members the schema takes in the object at `parent`, as text (`a, b, c`, `no members`,
 * at most 20 named), from the generated `closedObjects`; `undefined` where it does not know.
 * Where branches (`oneOf`, `anyOf`) close the object differently, only those that refuse `name`
 * can have refused it: a branch that takes `name` is not offered as what to send instead (that
 * would name the refused member as one the object takes, a detail that misleads where RFC 9457
 * §3.1.4 has it help the client correct the problem), and those left are said as alternatives
 * (`either a, b; or a, c`).
 */
export function listMembers(
  closed: ClosedObjects,
  parent: string,
  name?: string,
): string | undefined {
  const objects = objectsAt(closed, parent);
  if (objects === undefined || objects.length === 0) return undefined;
  const refusing = name === undefined ? objects : objects.filter((o) => !takes(o, name));
  const texts = [...new Set((refusing.length === 0 ? objects : refusing).map(membersText))];
  return texts.length === 1 ? texts[0] : `either ${texts.join('; or ')}`;
}

function membersText({ properties, patterns }: ClosedObject): string {
  const members = [...properties, ...patterns.map((p) => `names matching ${p}`)];
  if (members.length === 0) return 'no members';
  const more = members.length - MAX_MEMBERS;
  return `${members.slice(0, MAX_MEMBERS).join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
}

/** Whether `object` takes a member called `name`: Ajv compiles patterns with the `u` flag. */
function takes(object: ClosedObject, name: string): boolean {
  return (
    object.properties.includes(name) ||
    object.patterns.some((pattern) => new RegExp(pattern, 'u').test(name))
  );
}

function objectsAt(closed: ClosedObjects, pointer: string): readonly ClosedObject[] | undefined {
  const exact = closed[pointer];
  if (exact !== undefined) return exact;
  const segments = pointer.split('/');
  for (const [place, objects] of Object.entries(closed)) {
    const pattern = place.split('/');
    if (
      pattern.length === segments.length &&
      pattern.every((segment, i) => segment === '*' || segment === segments[i])
    ) {
      return objects;
    }
  }
  return undefined;
}

/** The property a `required` or `additionalProperties` error is about. */
function namedProperty(error: ErrorObject): string | undefined {
  if (error.keyword === 'required') return String(error.params.missingProperty);
  if (error.keyword === 'additionalProperties') return String(error.params.additionalProperty);
  return undefined;
}

const ARTICLE: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** What is wrong, as the end of a sentence that names the field. */
export function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  const plural = (n: unknown, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'type': {
      const types = String(p.type).split(',');
      return `must be ${types.map((t) => ARTICLE[t] ?? t).join(' or ')}`;
    }
    case 'minLength':
      return `must be at least ${plural(p.limit, 'character')} long`;
    case 'maxLength':
      return `must be at most ${plural(p.limit, 'character')} long`;
    case 'minimum':
      return `must be at least ${p.limit}`;
    case 'maximum':
      return `must be at most ${p.limit}`;
    case 'exclusiveMinimum':
      return `must be greater than ${p.limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${p.limit}`;
    case 'minItems':
      return `must have at least ${plural(p.limit, 'item')}`;
    case 'maxItems':
      return `must have at most ${plural(p.limit, 'item')}`;
    case 'minProperties':
      return `must have at least ${plural(p.limit, 'property', 'properties')}`;
    case 'maxProperties':
      return `must have at most ${plural(p.limit, 'property', 'properties')}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'pattern':
      return PATTERNS[String(p.pattern)] ?? `must match the pattern ${p.pattern}`;
    case 'format':
      return `must be ${FORMATS[String(p.format)] ?? `a valid ${p.format}`}`;
    case 'uniqueItems':
      return `must not repeat an item (items ${p.j} and ${p.i} are equal)`;
    case 'multipleOf':
      return `must be a multiple of ${p.multipleOf}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/** Patterns of openapi.yaml said in words; any other is named as it is. */
const PATTERNS: Readonly<Record<string, string>> = {
  '^[^@]': 'must not start with "@": names starting with "@" hold server metadata',
};

/** How each format's values look, for messages that say what to send. */
const FORMATS: Readonly<Record<string, string>> = {
  'date-time': 'an RFC 3339 date-time such as 2026-11-24T18:00:00Z',
  date: 'an RFC 3339 full-date such as 2026-11-24',
  time: 'an RFC 3339 time such as 18:00:00Z',
  email: 'an email address such as ada@example.com',
  uri: 'an absolute URI such as https://example.com/a',
  uuid: 'a UUID such as 0f5e5a3c-8a5e-4c55-a2f1-3f1f8e6f4b1e',
  ipv4: 'an IPv4 address such as 192.0.2.1',
  ipv6: 'an IPv6 address such as 2001:db8::1',
  hostname: 'a host name such as example.com',
};

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}
