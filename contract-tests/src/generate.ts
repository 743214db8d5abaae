/**
 * Requests generated from openapi.yaml with fast-check: valid ones (every part an instance of
 * its schema, checked with Ajv before it is sent) and hostile ones (one part broken in one way,
 * checked to be invalid). Seeded, so a run can be repeated exactly.
 *
 * Whatever names an item (the key: the `user_id` parameter or body property) is drawn from the
 * run's own namespaced ids, so a generated request can only ever touch items of this run.
 *
 * Limits, on purpose:
 * - JSON bodies only (`application/json` and `application/*+json`); other media types are left
 *   to hand-written steps.
 * - Optional string parameters with no `enum`, `pattern` or `format` (an `If-Match`, a cursor, an
 *   idempotency key) are tokens whose grammar the document does not give: valid requests leave
 *   them out rather than send a made-up one. Give such a parameter a `pattern` and it is
 *   generated.
 * - Free-form values (an open object's extra attributes) are drawn from JSON any store takes:
 *   names `[a-z][a-z0-9_]*`, integers and two-decimal numbers, short text, nesting to 2 levels.
 * - `allOf`, `anyOf` and `oneOf` are generated from: each branch is merged with the schema
 *   around it (its `properties`, `required`, bounds and `enum`s intersected), at most
 *   `MAX_VARIANTS` such combinations. `not`, `oneOf`'s "only one", `uniqueItems` and a pattern
 *   beside length bounds are left to the check.
 * - Every value is checked with Ajv before it is used; `MAX_ATTEMPTS` candidates drawn in vain
 *   are an `UnsatisfiableSchemaError` naming the schema, never an endless search.
 * - The item's writes are drawn as `Item` takes them (see `./item.ts`): a PATCH's `updatedKey`
 *   is a name `Item` allows and its `updatedValue` fits that name; a merge patch's members too
 *   (or `null`). Whether the whole item a write makes is valid depends on the stored item, so
 *   the run judges that (`./ledger.ts`).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { Contract, Operation, Parameter, Schema } from './contract.js';
import { isAttributeUpdate, MERGE_PATCH, readItemSchema } from './item.js';
import type { SchemaCheck } from './schemas.js';

/** A request ready to send, and why it was made. */
export interface PlannedRequest {
  readonly operationId: string;
  readonly method: string;
  /** The path with its parameters filled in, e.g. `/dynamo`. */
  readonly path: string;
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly kind: 'valid' | 'hostile';
  /** What the request is, e.g. `hostile: body property /user_id is 513 characters long`. */
  readonly description: string;
  /** A status the answer must have, when only one is right (415 for a wrong media type). */
  readonly expectStatus?: number;
}

export interface GenerateOptions {
  readonly contract: Contract;
  readonly check: SchemaCheck;
  /** The parameter and top-level body property that name an item. */
  readonly keyName: string;
  /** Ids of this run's namespace; every key sent is one of them (or an invalid value). */
  readonly keys: readonly string[];
  readonly seed: number;
}

export interface Generator {
  valid(operation: Operation, count: number): PlannedRequest[];
  hostile(operation: Operation, count: number): PlannedRequest[];
  /**
   * `count` values valid against `schema` (an object or a reference such as
   * `#/components/schemas/Item`), seeded by the run's seed and `label`; `label` also names the
   * schema in the error.
   * @throws UnsatisfiableSchemaError when `MAX_ATTEMPTS` candidates in a row are invalid.
   */
  instances(schema: Schema | string, count: number, label: string): unknown[];
}

/** No valid value was found for a schema: it is contradictory, or beyond what is generated. */
export class UnsatisfiableSchemaError extends Error {
  override readonly name = 'UnsatisfiableSchemaError';
  constructor(
    /** What the value was for, e.g. `the createItem application/json body (#/components/schemas/Item)`. */
    readonly schema: string,
    /** What Ajv had against the last candidate. */
    readonly problems: readonly string[],
  ) {
    super(
      `could not generate a value valid against ${schema} in ${MAX_ATTEMPTS} attempts; ` +
        `the last one: ${problems.slice(0, 3).join('; ')}. Simplify the schema, or give it ` +
        'an enum or an example of what to send',
    );
  }
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const MAX_STRING = 24;
/** Candidates drawn for one value before giving up. */
export const MAX_ATTEMPTS = 200;
/** Combinations of `anyOf`/`oneOf`/`allOf` branches generated from, at most, per schema. */
const MAX_VARIANTS = 16;
/** `allOf` inside `allOf` followed this deep, at most (a `$ref` cycle otherwise). */
const MAX_NESTING = 8;

export function createGenerator(options: GenerateOptions): Generator {
  const { contract, check, keyName } = options;
  const keys = fc.constantFrom(...options.keys);
  const item = readItemSchema(contract, keyName);
  const freeName = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
  const { free } = fc.letrec<{ free: unknown }>((tie) => ({
    free: fc.oneof(
      { depthSize: 'small', maxDepth: 2 },
      fc.string({ maxLength: MAX_STRING }),
      fc.integer({ min: -1_000_000, max: 1_000_000 }),
      fc.integer({ min: -100_000, max: 100_000 }).map((n) => n / 100),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('free'), { maxLength: 3 }),
      fc.dictionary(freeName, tie('free'), { maxKeys: 3, noNullPrototype: true }),
    ),
  }));

  /** Values valid against `schema`, or nearly so: the caller checks them (`valid`). */
  function instanceOf(input: unknown, depth = 0): fc.Arbitrary<unknown> {
    const arbitraries = variants(input as Schema).map((schema) => {
      const base = plain(schema, depth);
      return schema.nullable === true
        ? fc.oneof({ weight: 4, arbitrary: base }, fc.constant(null))
        : base;
    });
    const [only] = arbitraries;
    if (only === undefined) return free;
    return arbitraries.length === 1 ? only : fc.oneof(...arbitraries);
  }

  /**
   * `schema` as schemas without `allOf`/`anyOf`/`oneOf`, one per combination of branches, each
   * branch merged with what surrounds it (`intersect`). Contradictory ones are left out.
   */
  function variants(input: Schema, nesting = 0): Schema[] {
    const schema = contract.resolve(input);
    const { allOf, anyOf, oneOf, not: _checkedNotGenerated, ...base } = schema;
    if (nesting > MAX_NESTING) return [base];
    let found: Schema[] = [base];
    const times = (branches: readonly Schema[]) => {
      found = found
        .flatMap((a) => branches.map((b) => intersect(a, b)))
        .filter(possible)
        .slice(0, MAX_VARIANTS);
    };
    for (const part of asSchemas(allOf)) times(variants(part, nesting + 1));
    for (const choices of [anyOf, oneOf]) {
      if (Array.isArray(choices))
        times(asSchemas(choices).flatMap((c) => variants(c, nesting + 1)));
    }
    return found;
  }

  function plain(schema: Schema, depth: number): fc.Arbitrary<unknown> {
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
    switch (typeOf(schema)) {
      case 'string':
        return stringOf(schema);
      case 'integer':
        return fc.integer({ min: bound(schema, 'min', 0), max: bound(schema, 'max', 0) });
      case 'number':
        return fc
          .integer({ min: bound(schema, 'min', 2), max: bound(schema, 'max', 2) })
          .map((n) => n / 100);
      case 'boolean':
        return fc.boolean();
      case 'array': {
        const minLength = Number(schema.minItems ?? 0);
        const bounds = {
          minLength,
          maxLength: Math.max(minLength, Math.min(Number(schema.maxItems ?? 3), 3)),
        };
        const items = instanceOf(schema.items ?? {}, depth + 1);
        return schema.uniqueItems === true
          ? fc.uniqueArray(items, { ...bounds, selector: (v) => JSON.stringify(v) })
          : fc.array(items, bounds);
      }
      case 'object':
        return objectOf(schema, depth);
      default:
        return free;
    }
  }

  function objectOf(schema: Schema, depth: number): fc.Arbitrary<unknown> {
    const properties = (schema.properties ?? {}) as Record<string, unknown>;
    const required = new Set((schema.required ?? []) as string[]);
    const extra = schema.additionalProperties;
    const extraValue = typeof extra === 'object' ? instanceOf(extra, depth + 1) : free;
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, sub] of Object.entries(properties)) {
      model[name] = depth === 0 && name === keyName ? keys : instanceOf(sub, depth + 1);
    }
    // A name required without a property of its own (an `anyOf` branch's `required: [x]`).
    for (const name of required) model[name] ??= extraValue;
    // Plain objects: a null prototype would make a value unequal to its own JSON round trip.
    const known = fc.record(model, { requiredKeys: [...required], noNullPrototype: true });
    if (extra === false || depth > 1) return known;
    const extras = fc.dictionary(
      freeName.filter((n) => !(n in model)),
      extraValue,
      { maxKeys: 3, noNullPrototype: true },
    );
    return fc.tuple(extras, known).map(([more, fixed]) => ({ ...more, ...(fixed as object) }));
  }

  /**
   * What `arbitrary` draws that `schema` takes: candidates are checked with Ajv, at most
   * `MAX_ATTEMPTS` in a row (then `UnsatisfiableSchemaError`, naming `label`).
   */
  function valid(
    arbitrary: fc.Arbitrary<unknown>,
    schema: Schema | string,
    label: string,
  ): fc.Arbitrary<unknown> {
    return new Satisfying(arbitrary, (value) => check(schema, value), label);
  }

  /** A label for a schema in errors: what it is for, and its `$ref` when it has one. */
  function labelOf(what: string, schema: Schema | string): string {
    const ref = typeof schema === 'string' ? schema : (schema as { $ref?: unknown }).$ref;
    return typeof ref === 'string' ? `${what} (${ref})` : what;
  }

  function parameterValue(p: Parameter): fc.Arbitrary<unknown> {
    return p.name === keyName ? keys : instanceOf(p.schema);
  }

  /**
   * A body as the item's writes need it, beyond its own schema: the seed's PATCH sets an
   * attribute `Item` allows to a value of its schema, and a merge patch's members are such
   * attributes, set or removed (`null`). Any other body: an instance of its schema.
   */
  function bodyOf(mediaType: string, schema: Schema): fc.Arbitrary<unknown> {
    const resolved = contract.resolve(schema);
    if (mediaType === MERGE_PATCH) {
      const members = fc
        .uniqueArray(attributeName(), { maxLength: 3 })
        .chain((names) =>
          fc.tuple(
            ...names.map((name) =>
              fc.option(attributeValue(name), { nil: null, freq: 4 }).map((v) => [name, v]),
            ),
          ),
        );
      return fc.tuple(keys, members).map(([key, set]) => ({
        ...Object.fromEntries(set),
        [keyName]: key,
      }));
    }
    if (isAttributeUpdate(resolved)) {
      const nameSchema = (resolved.properties as Record<string, Schema>).updatedKey ?? {};
      return fc
        .tuple(
          keys,
          attributeName(nameSchema).chain((name) =>
            attributeValue(name).map((value) => [name, value] as const),
          ),
        )
        .map(([key, [updatedKey, updatedValue]]) => ({
          [keyName]: key,
          updatedKey,
          updatedValue,
        }));
    }
    return instanceOf(schema);
  }

  /**
   * A top-level attribute name `Item` allows: one it declares, or, when it is open, one drawn
   * from `nameSchema` (what the body says of a name), never the key.
   */
  function attributeName(nameSchema: Schema = {}): fc.Arbitrary<string> {
    const declared = item.declared.map((name) => fc.constant(name));
    const others = (
      typeOf(contract.resolve(nameSchema)) === 'string' ? instanceOf(nameSchema) : freeName
    ).filter(
      (name): name is string =>
        typeof name === 'string' && name !== keyName && item.schemaFor(name) !== undefined,
    );
    const choices = [...declared, ...(item.open ? [others] : [])];
    const [first] = choices;
    if (first === undefined) return fc.constant(keyName);
    return choices.length === 1 ? first : fc.oneof(...choices);
  }

  function attributeValue(name: string): fc.Arbitrary<unknown> {
    const schema = item.schemaFor(name) ?? {};
    return valid(instanceOf(schema, 1), schema, `the value of the Item attribute ${name}`);
  }

  /** A valid request, as its parts before serialization. */
  function validParts(operation: Operation): fc.Arbitrary<Parts> {
    const params: Record<string, fc.Arbitrary<unknown>> = {};
    const requiredParams: string[] = [];
    for (const p of operation.parameters) {
      if (p.in === 'cookie') continue;
      if (!p.required && isToken(contract.resolve(p.schema))) continue;
      const where = `the ${p.in} parameter ${p.name} of ${operation.id}`;
      params[slot(p)] = valid(parameterValue(p), p.schema, labelOf(where, p.schema));
      if (p.required) requiredParams.push(slot(p));
    }
    const parameters = fc.record(params, { requiredKeys: requiredParams });
    const bodies = jsonBodies(operation);
    if (bodies.length === 0) return parameters.map((values) => ({ values }));
    const body = fc.oneof(
      ...bodies.map(([mediaType, schema]) =>
        valid(
          bodyOf(mediaType, schema),
          schema,
          labelOf(`the ${operation.id} ${mediaType} body`, schema),
        ).map((value) => ({ mediaType, value })),
      ),
    );
    const optional = operation.body?.required !== true;
    return fc
      .tuple(parameters, optional ? fc.option(body, { nil: undefined }) : body)
      .map(([values, b]) => (b === undefined ? { values } : { values, body: b }));
  }

  function jsonBodies(operation: Operation): Array<[string, Schema]> {
    return [...(operation.body?.content ?? new Map<string, Schema>())].filter(([type]) =>
      JSON_MEDIA_TYPE.test(type),
    );
  }

  /** Ways to break one part of a valid request, each checked to break it. */
  function mutations(operation: Operation): Mutation[] {
    const found: Mutation[] = [];
    for (const p of operation.parameters) {
      if (p.in === 'cookie' || p.in === 'path') continue;
      const where = `${p.in === 'query' ? 'query parameter' : 'header'} ${p.name}`;
      if (p.required) {
        found.push({
          description: `without the required ${where}`,
          apply: (parts) => ({ ...parts, values: without(parts.values, slot(p)) }),
        });
      }
      for (const [what, bad] of badValues(contract.resolve(p.schema), p.name === keyName)) {
        // A parameter is text on the wire: an array would be sent as repeated valid values.
        if (typeof bad === 'object') continue;
        if (p.in === 'header' && !/^[\t\x20-\x7e]*$/.test(String(bad))) continue;
        found.push({
          description: `${where} ${what}`,
          apply: (parts) => ({ ...parts, values: { ...parts.values, [slot(p)]: bad } }),
        });
      }
    }
    const bodies = jsonBodies(operation);
    for (const [mediaType, raw] of bodies) {
      const schema = contract.resolve(raw);
      const on = (parts: Parts): Parts | undefined =>
        parts.body?.mediaType === mediaType ? parts : undefined;
      found.push({
        description: `a ${mediaType} body that is not JSON`,
        apply: (parts) => on(parts) && { ...parts, malformed: true },
      });
      found.push({
        description: `the ${mediaType} body sent as text/plain`,
        expectStatus: 415,
        apply: (parts) => on(parts) && { ...parts, sendAs: 'text/plain; charset=utf-8' },
      });
      const whole = typeOf(schema);
      if (whole !== undefined) {
        const wrong = whole === 'array' ? {} : [];
        found.push({
          description: `a ${mediaType} body that is ${JSON.stringify(wrong)}, not ${article(whole)}`,
          apply: (parts) => on(parts) && replaceBody(parts, () => wrong),
        });
      }
      const properties = (schema.properties ?? {}) as Record<string, unknown>;
      for (const name of (schema.required ?? []) as string[]) {
        found.push({
          description: `a body without its required property ${name}`,
          apply: (parts) => on(parts) && replaceBody(parts, (v) => without(asObject(v), name)),
        });
      }
      for (const [name, sub] of Object.entries(properties)) {
        const resolved = contract.resolve(sub as Schema);
        for (const [what, bad] of badValues(resolved, name === keyName)) {
          found.push({
            description: `body property /${name} ${what}`,
            apply: (parts) =>
              on(parts) && replaceBody(parts, (v) => ({ ...asObject(v), [name]: bad })),
          });
        }
      }
      if (schema.additionalProperties === false) {
        found.push({
          description: 'a body with a property the schema does not allow',
          apply: (parts) =>
            on(parts) && replaceBody(parts, (v) => ({ ...asObject(v), not_in_the_contract: 1 })),
        });
      }
    }
    if (operation.body?.required === true && bodies.length > 0) {
      found.push({
        description: 'without the required body',
        apply: (parts) =>
          parts.body === undefined ? undefined : (without(parts, 'body') as Parts),
      });
    }
    return found;
  }

  /** Values `schema` refuses, each with what is wrong with it. */
  function badValues(schema: Schema, isKey: boolean): Array<[string, unknown]> {
    const bad: Array<[string, unknown]> = [];
    const type = typeOf(schema);
    const ownKey = options.keys[0] ?? 'x';
    if (type === 'string') {
      if (typeof schema.maxLength === 'number') {
        const length = schema.maxLength + 1;
        bad.push([`is ${length} characters long`, (isKey ? ownKey : '').padEnd(length, 'x')]);
      }
      if (typeof schema.minLength === 'number' && schema.minLength > 0) {
        bad.push(['is empty', '']);
      }
      // An array holding one of this run's ids: whatever a lax server coerces it to names no
      // item of anybody else's.
      bad.push(['is an array', [ownKey]]);
    } else if (type === 'integer' || type === 'number') {
      bad.push(['is not a number', 'not-a-number']);
      if (typeof schema.maximum === 'number')
        bad.push([`is over ${schema.maximum}`, schema.maximum + 1]);
      if (typeof schema.minimum === 'number')
        bad.push([`is under ${schema.minimum}`, schema.minimum - 1]);
    } else if (type === 'boolean') {
      bad.push(['is not a boolean', 'maybe']);
    } else if (type === 'object' || type === 'array') {
      bad.push([`is a string, not ${article(type)}`, 'text']);
    }
    if (Array.isArray(schema.enum)) bad.push(['is not one of its values', '\u2603 not listed']);
    return bad.filter(([, value]) => check(schema, value).length > 0);
  }

  function serialize(
    operation: Operation,
    parts: Parts,
    kind: PlannedRequest['kind'],
    description: string,
    expectStatus?: number,
  ): PlannedRequest {
    const query: Array<[string, string]> = [];
    const headers: Record<string, string> = {};
    let path = operation.path;
    for (const p of operation.parameters) {
      const value = parts.values[slot(p)];
      if (value === undefined) continue;
      const values = Array.isArray(value) ? value : [value];
      const text = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      if (p.in === 'query') for (const t of text) query.push([p.name, t]);
      else if (p.in === 'header') headers[p.name.toLowerCase()] = text.join(', ');
      else if (p.in === 'path')
        path = path.replace(`{${p.name}}`, encodeURIComponent(text.join(',')));
    }
    let body: string | undefined;
    if (parts.body !== undefined) {
      headers['content-type'] = parts.sendAs ?? parts.body.mediaType;
      body = JSON.stringify(parts.body.value);
      if (parts.malformed === true) body = `${body.slice(0, -1)}\u0000`;
    }
    return {
      operationId: operation.id,
      method: operation.method,
      path,
      query,
      headers,
      ...(body === undefined ? {} : { body }),
      kind,
      description: `${kind}: ${description}`,
      ...(expectStatus === undefined ? {} : { expectStatus }),
    };
  }

  /** A distinct seed per operation and kind, so adding an operation changes no other's cases. */
  const seedFor = (operation: Operation, kind: string) =>
    (options.seed ^ hash(`${operation.id}:${kind}`)) | 0;

  return {
    valid(operation, count) {
      if (count === 0) return [];
      return fc
        .sample(validParts(operation), { seed: seedFor(operation, 'valid'), numRuns: count })
        .map((parts) => serialize(operation, parts, 'valid', describe(operation, parts)));
    },
    hostile(operation, count) {
      const ways = mutations(operation);
      if (count === 0 || ways.length === 0) return [];
      const broken = fc.tuple(fc.nat(ways.length - 1), validParts(operation)).map(([i, parts]) => {
        const way = ways[i] as Mutation;
        const applied = way.apply(parts);
        return applied === undefined ? undefined : { way, parts: applied };
      });
      // A way that does not apply to the parts drawn (another media type) is drawn again.
      const applicable = new Satisfying(
        broken,
        (x) => (x === undefined ? ['none of its ways to break it applies'] : []),
        `a hostile ${operation.id} request`,
      );
      return fc
        .sample(applicable, { seed: seedFor(operation, 'hostile'), numRuns: count })
        .map((x) => x as NonNullable<typeof x>)
        .map(({ way, parts }) =>
          serialize(operation, parts, 'hostile', way.description, way.expectStatus),
        );
    },
    instances(schema, count, label) {
      const arbitrary = instanceOf(typeof schema === 'string' ? { $ref: schema } : schema);
      const seed = (options.seed ^ hash(`instances:${label}`)) | 0;
      return fc.sample(valid(arbitrary, schema, labelOf(label, schema)), { seed, numRuns: count });
    },
  };
}

/**
 * `arbitrary`'s values that `problems` has nothing against: fast-check's `filter` draws until
 * one passes, forever when none can; this gives up after `MAX_ATTEMPTS` with what was wrong.
 * Values are not shrunk: the runner samples, it does not search for counterexamples.
 */
class Satisfying<T> extends fc.Arbitrary<T> {
  constructor(
    private readonly arbitrary: fc.Arbitrary<T>,
    private readonly problems: (value: T) => readonly string[],
    private readonly label: string,
  ) {
    super();
  }

  generate(random: fc.Random, biasFactor: number | undefined): fc.Value<T> {
    let last: readonly string[] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const candidate = this.arbitrary.generate(random, biasFactor);
      last = this.problems(candidate.value);
      if (last.length === 0) return new fc.Value(candidate.value, undefined);
    }
    throw new UnsatisfiableSchemaError(this.label, last);
  }

  canShrinkWithoutContext(_value: unknown): _value is T {
    return false;
  }

  shrink(): fc.Stream<fc.Value<T>> {
    return fc.Stream.nil();
  }
}

interface Parts {
  /** By `slot(parameter)`. */
  readonly values: Readonly<Record<string, unknown>>;
  readonly body?: { readonly mediaType: string; readonly value: unknown };
  /** Send the body's bytes broken (not JSON). */
  readonly malformed?: boolean;
  /** Send the body with this content type instead. */
  readonly sendAs?: string;
}

interface Mutation {
  readonly description: string;
  readonly expectStatus?: number;
  /** `undefined` when it does not apply to these parts (e.g. another media type). */
  apply(parts: Parts): Parts | undefined;
}

function slot(p: Parameter): string {
  return `${p.in}:${p.name}`;
}

function describe(operation: Operation, parts: Parts): string {
  const sent = Object.keys(parts.values).map((s) => s.slice(s.indexOf(':') + 1));
  const body = parts.body === undefined ? 'no body' : `a ${parts.body.mediaType} body`;
  return `${operation.id} with ${[...sent, body].join(', ')}`;
}

function replaceBody(parts: Parts, change: (value: unknown) => unknown): Parts | undefined {
  if (parts.body === undefined) return undefined;
  return { ...parts, body: { ...parts.body, value: change(parts.body.value) } };
}

function without<T extends object>(value: T, key: string): T {
  const copy = { ...value } as Record<string, unknown>;
  delete copy[key];
  return copy as T;
}

function asObject(value: unknown): object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

function typeOf(schema: Schema): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (
    schema.properties !== undefined ||
    schema.additionalProperties !== undefined ||
    schema.required !== undefined
  )
    return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** A token the document gives no grammar for: see the limits above. */
function isToken(schema: Schema): boolean {
  return (
    typeOf(schema) === 'string' &&
    schema.enum === undefined &&
    schema.pattern === undefined &&
    schema.format === undefined
  );
}

/** Dates RFC 3339 can write (four-digit years), so that `toISOString` gives a `date-time`. */
const dates = fc.date({
  min: new Date('1900-01-01T00:00:00Z'),
  max: new Date('2199-12-31T23:59:59Z'),
  noInvalidDate: true,
});

function stringOf(schema: Schema): fc.Arbitrary<string> {
  const minLength = Number(schema.minLength ?? 0);
  const maxLength = Math.max(
    minLength,
    Math.min(Number(schema.maxLength ?? MAX_STRING), minLength + MAX_STRING),
  );
  if (typeof schema.pattern === 'string') {
    return new Satisfying(
      fc.stringMatching(new RegExp(schema.pattern)),
      (s) =>
        s.length >= minLength && s.length <= maxLength
          ? []
          : [`a string matching ${schema.pattern} is ${s.length} characters long`],
      `a string matching ${schema.pattern}, ${minLength} to ${maxLength} characters long`,
    );
  }
  if (schema.format === 'date-time') return dates.map((d) => d.toISOString());
  if (schema.format === 'date') return dates.map((d) => d.toISOString().slice(0, 10));
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.format === 'uri') return fc.webUrl();
  return fc.string({ minLength, maxLength });
}

/** An integer bound of `schema` (`exclusive*` as OpenAPI 3.0 writes them), scaled by 10^`decimals`. */
function bound(schema: Schema, side: 'min' | 'max', decimals: number): number {
  const scale = 10 ** decimals;
  const limit = side === 'min' ? schema.minimum : schema.maximum;
  const fallback = side === 'min' ? -1_000_000 : 1_000_000;
  if (typeof limit !== 'number') return fallback;
  const exclusive =
    side === 'min' ? schema.exclusiveMinimum === true : schema.exclusiveMaximum === true;
  const scaled = side === 'min' ? Math.ceil(limit * scale) : Math.floor(limit * scale);
  return exclusive ? scaled + (side === 'min' ? 1 : -1) : scaled;
}

/** The schemas of an `allOf`/`anyOf`/`oneOf` list (anything else: none). */
function asSchemas(value: unknown): Schema[] {
  return Array.isArray(value) ? (value as Schema[]) : [];
}

/**
 * A schema whose instances are instances of both `a` and `b` (neither has `allOf`, `anyOf` or
 * `oneOf`), as far as generation needs: properties merged (both schemas of a property kept, as
 * an `allOf`), `required` joined, `enum`s intersected, the tighter of each bound, `items` and
 * `additionalProperties` combined (`false` wins). Other keywords are `a`'s when both have them;
 * the check decides the rest.
 */
function intersect(a: Schema, b: Schema): Schema {
  const merged: Record<string, unknown> = { ...a };
  for (const [keyword, value] of Object.entries(b)) {
    const mine = merged[keyword];
    if (mine === undefined) {
      merged[keyword] = value;
      continue;
    }
    switch (keyword) {
      case 'properties': {
        const properties = { ...(mine as Record<string, unknown>) };
        for (const [name, sub] of Object.entries(value as Record<string, unknown>)) {
          properties[name] = name in properties ? { allOf: [properties[name], sub] } : sub;
        }
        merged.properties = properties;
        break;
      }
      case 'required':
        merged.required = [...new Set([...(mine as string[]), ...(value as string[])])];
        break;
      case 'enum':
        merged.enum = (mine as unknown[]).filter((x) =>
          (value as unknown[]).some((y) => isDeepStrictEqual(x, y)),
        );
        break;
      case 'type':
        // An integer is a number; other types have no instance in common.
        if (mine !== value) {
          if ([mine, value].every((t) => t === 'integer' || t === 'number'))
            merged.type = 'integer';
          else merged.enum = [];
        }
        break;
      case 'items':
        merged.items = { allOf: [mine, value] };
        break;
      case 'additionalProperties':
        merged.additionalProperties =
          mine === false || value === false
            ? false
            : mine === true
              ? value
              : value === true
                ? mine
                : { allOf: [mine, value] };
        break;
      case 'minLength':
      case 'minItems':
      case 'minProperties':
        merged[keyword] = Math.max(Number(mine), Number(value));
        break;
      case 'maxLength':
      case 'maxItems':
      case 'maxProperties':
        merged[keyword] = Math.min(Number(mine), Number(value));
        break;
      case 'minimum':
      case 'maximum': {
        const exclusive = keyword === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum';
        const tighter =
          keyword === 'minimum' ? Number(value) > Number(mine) : Number(value) < Number(mine);
        if (tighter) {
          merged[keyword] = value;
          merged[exclusive] = b[exclusive];
        } else if (value === mine && b[exclusive] === true) {
          merged[exclusive] = true;
        }
        break;
      }
      default:
        // `exclusive*` go with their bound, above; anything else is `a`'s, and checked.
        break;
    }
  }
  // OpenAPI 3.0's `nullable` adds `null` to a schema's `type`: a part with a type that does
  // not say `nullable` refuses `null`.
  const refusesNull = (s: Schema) => s.type !== undefined && s.nullable !== true;
  if (refusesNull(a) || refusesNull(b)) delete merged.nullable;
  return merged;
}

/** Whether instances of `schema` can exist, as far as `intersect` can tell. */
function possible(schema: Schema): boolean {
  if (Array.isArray(schema.enum) && schema.enum.length === 0) return false;
  const below = (low: unknown, high: unknown) =>
    typeof low !== 'number' || typeof high !== 'number' || low <= high;
  return (
    below(schema.minimum, schema.maximum) &&
    below(schema.minLength, schema.maxLength) &&
    below(schema.minItems, schema.maxItems) &&
    below(schema.minProperties, schema.maxProperties)
  );
}

/** FNV-1a, 32 bits. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
