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
 */
import fc from 'fast-check';
import type { Contract, Operation, Parameter, Schema } from './contract.js';
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
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const MAX_STRING = 24;

export function createGenerator(options: GenerateOptions): Generator {
  const { contract, check, keyName } = options;
  const keys = fc.constantFrom(...options.keys);
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

  /** Values valid against `schema`, or nearly so: the caller filters with Ajv. */
  function instanceOf(input: unknown, depth = 0): fc.Arbitrary<unknown> {
    const schema = contract.resolve(input as Schema);
    const nullable = schema.nullable === true;
    const base = plain(schema, depth);
    return nullable ? fc.oneof({ weight: 4, arbitrary: base }, fc.constant(null)) : base;
  }

  function plain(schema: Schema, depth: number): fc.Arbitrary<unknown> {
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
    if (Array.isArray(schema.allOf)) return instanceOf(mergeAllOf(schema, contract), depth);
    const choices = (schema.oneOf ?? schema.anyOf) as unknown[] | undefined;
    if (Array.isArray(choices)) return fc.oneof(...choices.map((c) => instanceOf(c, depth)));
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
        return fc.array(instanceOf(schema.items ?? {}, depth + 1), {
          minLength,
          maxLength: Math.max(minLength, Math.min(Number(schema.maxItems ?? 3), 3)),
        });
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
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, sub] of Object.entries(properties)) {
      model[name] = depth === 0 && name === keyName ? keys : instanceOf(sub, depth + 1);
    }
    const known = fc.record(model, { requiredKeys: [...required].filter((k) => k in model) });
    const extra = schema.additionalProperties;
    if (extra === false || depth > 1) return known;
    const extraValue = typeof extra === 'object' ? instanceOf(extra, depth + 1) : free;
    const extras = fc.dictionary(
      freeName.filter((n) => !(n in properties)),
      extraValue,
      { maxKeys: 3, noNullPrototype: true },
    );
    return fc.tuple(extras, known).map(([more, fixed]) => ({ ...more, ...(fixed as object) }));
  }

  function parameterValue(p: Parameter): fc.Arbitrary<unknown> {
    return p.name === keyName ? keys : instanceOf(p.schema);
  }

  /** A valid request, as its parts before serialization. */
  function validParts(operation: Operation): fc.Arbitrary<Parts> {
    const params: Record<string, fc.Arbitrary<unknown>> = {};
    const requiredParams: string[] = [];
    for (const p of operation.parameters) {
      if (p.in === 'cookie') continue;
      if (!p.required && isToken(contract.resolve(p.schema))) continue;
      params[slot(p)] = parameterValue(p).filter((v) => check(p.schema, v).length === 0);
      if (p.required) requiredParams.push(slot(p));
    }
    const parameters = fc.record(params, { requiredKeys: requiredParams });
    const bodies = jsonBodies(operation);
    if (bodies.length === 0) return parameters.map((values) => ({ values }));
    const body = fc.oneof(
      ...bodies.map(([mediaType, schema]) =>
        instanceOf(schema)
          .filter((v) => check(schema, v).length === 0)
          .map((value) => ({ mediaType, value })),
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
      if (bodies.length === 1) {
        found.push({
          description: `the ${mediaType} body sent as text/plain`,
          expectStatus: 415,
          apply: (parts) => on(parts) && { ...parts, sendAs: 'text/plain; charset=utf-8' },
        });
      }
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
      const broken = fc
        .tuple(fc.nat(ways.length - 1), validParts(operation))
        .map(([i, parts]) => {
          const way = ways[i] as Mutation;
          const applied = way.apply(parts);
          return applied === undefined ? undefined : { way, parts: applied };
        })
        .filter((x) => x !== undefined);
      return fc
        .sample(broken, { seed: seedFor(operation, 'hostile'), numRuns: count })
        .map(({ way, parts }) =>
          serialize(operation, parts, 'hostile', way.description, way.expectStatus),
        );
    },
  };
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
  if (schema.properties !== undefined || schema.additionalProperties !== undefined) return 'object';
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

function stringOf(schema: Schema): fc.Arbitrary<string> {
  const minLength = Number(schema.minLength ?? 0);
  const maxLength = Math.max(
    minLength,
    Math.min(Number(schema.maxLength ?? MAX_STRING), minLength + MAX_STRING),
  );
  if (typeof schema.pattern === 'string') {
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((s) => s.length >= minLength && s.length <= maxLength);
  }
  if (schema.format === 'date-time')
    return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.format === 'date')
    return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
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

/** `allOf` of object schemas as one (properties and required lists merged). */
function mergeAllOf(schema: Schema, contract: Contract): Schema {
  const merged: { properties: Record<string, unknown>; required: string[]; type: string } = {
    type: 'object',
    properties: {},
    required: [],
  };
  for (const part of [schema, ...((schema.allOf as unknown[]) ?? [])]) {
    const s = contract.resolve(part as Schema);
    if (Array.isArray(s.allOf) && s !== schema) {
      const inner = mergeAllOf(s, contract);
      Object.assign(merged.properties, inner.properties);
      merged.required.push(...((inner.required as string[]) ?? []));
    }
    Object.assign(merged.properties, s.properties ?? {});
    merged.required.push(...((s.required as string[] | undefined) ?? []));
  }
  return merged;
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
