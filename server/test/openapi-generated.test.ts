/**
 * The code generated from openapi.yaml (`server/src/core/openapi/`) against its source: the
 * files are exactly what openapi.yaml yields today; `npm start` refuses to serve another
 * document than the one they came from; and for any request, routing and validation agree
 * with openapi-backend (a kept OpenAPI library, run here only) wherever both are right: the
 * same operation, and the same request fields found wrong.
 *
 * Where they differ on purpose, the cases are left out: methods are case-sensitive here
 * (RFC 9110 §9.1; openapi-backend lowercases them), HEAD is served by GET's operation (§9.3.2),
 * and a body that is a JSON string is validated as the string it is (openapi-backend parses it
 * again).
 */
import type { ErrorObject } from 'ajv';
import fc from 'fast-check';
import { type Document, OpenAPIBackend } from 'openapi-backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  closedObjects,
  generateServerFiles,
  staleServerFiles,
} from '../../scripts/generate-server.js';
import { type JsonValue, parseJson, withDoubles } from '../src/core/json.js';
import type { OperationSpec } from '../src/core/openapi/operation.js';
import { OPENAPI_FINGERPRINT, operations } from '../src/core/openapi/operations.gen.js';
import type { FieldError } from '../src/core/problems.js';
import { createRouter } from '../src/core/router.js';
import { validateRequest } from '../src/core/validation.js';
import { openApiFingerprint, parseOpenApi, readOpenApiText } from '../src/openapi.js';
import { generateServerCopy } from './support/generated-copy.js';

const document = parseOpenApi();
let backend: OpenAPIBackend;

beforeAll(async () => {
  backend = new OpenAPIBackend({
    definition: structuredClone(document) as Document,
    quick: true,
    strict: true,
    ajvOpts: { allErrors: true },
  });
  await backend.init();
});

describe('the generated code', () => {
  it('is what openapi.yaml yields (run `npm run generate` after changing it)', async () => {
    expect(await staleServerFiles()).toEqual([]);
  });

  it('records the document it came from, which npm start compares with the one it serves', () => {
    expect(OPENAPI_FINGERPRINT).toBe(openApiFingerprint(document));
    const changed = structuredClone(document);
    changed.info.version = '0.0.0-changed';
    expect(openApiFingerprint(changed)).not.toBe(OPENAPI_FINGERPRINT);
  });

  it('has every operation of openapi.yaml, by id, method and path', () => {
    const fromBackend = backend.router
      .getOperations()
      .map(({ operationId, method, path }) => [operationId, method.toUpperCase(), path]);
    const generated = Object.entries(operations).map(([id, spec]) => [id, spec.method, spec.path]);
    expect(generated.sort()).toEqual(fromBackend.sort());
  });

  it.each([
    [
      'no user_id',
      (item: Record<string, unknown>) =>
        delete (item.properties as Record<string, unknown>).user_id,
    ],
    ['user_id not required', (item: Record<string, unknown>) => (item.required = [])],
    [
      'a numeric user_id',
      (item: Record<string, unknown>) =>
        ((item.properties as Record<string, unknown>).user_id = { type: 'integer' }),
    ],
  ])('refuses an Item with %s: user_id is the table key', async (_what, breakIt) => {
    const changed = structuredClone(document);
    breakIt(changed.components?.schemas?.Item as Record<string, unknown>);

    await expect(generateServerFiles(stringify(changed))).rejects.toThrow(
      'components.schemas.Item must require user_id, a string: it is the key of the DynamoDB table',
    );
  });

  it('lists the members of each object a schema closes, by where it is in the value', () => {
    const changed = structuredClone(document);
    const schemas = changed.components?.schemas as Record<string, unknown>;
    schemas.Room = {
      type: 'object',
      additionalProperties: false,
      patternProperties: { '^x-': {} },
      properties: { name: { type: 'string' }, rooms: { $ref: '#/components/schemas/Room' } },
    };
    schemas.House = {
      type: 'object',
      additionalProperties: false,
      properties: {
        rooms: { type: 'array', items: { $ref: '#/components/schemas/Room' } },
        byName: { type: 'object', additionalProperties: { $ref: '#/components/schemas/Room' } },
      },
      anyOf: [
        { type: 'object', additionalProperties: false, properties: { rooms: {}, floors: {} } },
      ],
    };

    const closed = closedObjects(changed, { $ref: '#/components/schemas/House' });

    const room = { properties: ['name', 'rooms'], patterns: ['^x-'] };
    expect(closed).toEqual({
      // The branch closes the object too, and is kept apart: it takes what House does not.
      '': [
        { properties: ['rooms', 'byName'], patterns: [] },
        { properties: ['rooms', 'floors'], patterns: [] },
      ],
      '/rooms/*': [room],
      // A schema that refers to itself is walked once.
      '/byName/*': [room],
    });
  });

  it('names, for a member a oneOf or anyOf branch refused, what that branch takes', async () => {
    // Prepare: an item with a payment of one of two closed forms, and a contact of one of two.
    const changed = structuredClone(document);
    const schemas = changed.components?.schemas as Record<string, unknown>;
    const form = (kind: string, member: string) => ({
      type: 'object',
      additionalProperties: false,
      required: ['kind', member],
      properties: { kind: { type: 'string', enum: [kind] }, [member]: { type: 'string' } },
    });
    schemas.Card = form('card', 'number');
    schemas.Bank = form('bank', 'iban');
    const only = (member: string) => ({
      type: 'object',
      additionalProperties: false,
      required: [member],
      properties: { [member]: { type: 'string' } },
    });
    schemas.Item = {
      type: 'object',
      required: ['user_id'],
      additionalProperties: false,
      properties: {
        user_id: { $ref: '#/components/schemas/UserId' },
        payment: {
          oneOf: [{ $ref: '#/components/schemas/Card' }, { $ref: '#/components/schemas/Bank' }],
        },
        contact: { anyOf: [only('email'), only('phone')] },
      },
    };
    const copy = await generateServerCopy(stringify(changed));
    try {
      const generated = await copy.import<{ operations: typeof operations }>(
        'core/openapi/operations.gen.ts',
      );
      const validation = await copy.import<{ validateRequest: typeof validateRequest }>(
        'core/validation.ts',
      );
      const refused = (value: unknown) => {
        const result = validation.validateRequest(generated.operations.createItem, {
          query: new Map(),
          headers: {},
          body: { mediaType: 'application/json', value },
        });
        return result.valid ? [] : result.errors;
      };

      // Act
      const payment = refused({
        user_id: 'ada',
        payment: { kind: 'card', number: '4', iban: 'x' },
      });
      const contact = refused({ user_id: 'ada', contact: { email: 'a', fax: 'b' } });

      // Assess: never "number is not allowed here; this object takes kind, number, iban".
      expect(payment).toContainEqual({
        pointer: '/payment/iban',
        detail: 'is not allowed here; this object takes kind, number',
      });
      expect(payment).toContainEqual({
        pointer: '/payment/number',
        detail: 'is not allowed here; this object takes kind, iban',
      });
      expect(contact).toContainEqual({
        pointer: '/contact/email',
        detail: 'is not allowed here; this object takes phone',
      });
      expect(contact).toContainEqual({
        pointer: '/contact/fax',
        detail: 'is not allowed here; this object takes either email; or phone',
      });
    } finally {
      copy.remove();
    }
  }, 120_000);

  it('refuses a format it cannot check, rather than let it pass unchecked', async () => {
    const changed = structuredClone(document);
    const item = changed.components?.schemas?.Item as { properties: Record<string, unknown> };
    item.properties.phone = { type: 'string', format: 'phone' };

    await expect(generateServerFiles(stringify(changed))).rejects.toThrow('unknown format "phone"');
  });

  it('makes an operation without a handler a type error', { timeout: 120_000 }, async () => {
    // Prepare: a copy of the server's code, generated from openapi.yaml plus one operation.
    const withMore = readOpenApiText().replace(
      'components:\n',
      [
        '  /dynamo/count:',
        '    get:',
        '      operationId: countItems',
        '      responses:',
        '        "200":',
        '          description: How many items there are.',
        'components:',
        '',
      ].join('\n'),
    );

    // Act
    const asIs = await typeCheckServerWith(readOpenApiText());
    const withoutHandler = await typeCheckServerWith(withMore);

    // Assess
    expect(asIs, 'the copy type-checks as it is').toBe('');
    expect(withoutHandler).toMatch(/core\/operations\.ts.*'countItems' is missing/s);
  });
});

/** `tsc` over the server's code generated from `openApiText`: its output, empty when it passes. */
async function typeCheckServerWith(openApiText: string): Promise<string> {
  const copy = await generateServerCopy(openApiText);
  try {
    return await copy.typeCheck();
  } finally {
    copy.remove();
  }
}

// --- requests, plausible and hostile --------------------------------------------------------

const methods = fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'TRACE');
const paths = fc.oneof(
  fc.constantFrom('/dynamo', '/dynamo/', '/dynamo//', '/DYNAMO', '//dynamo', '/dynamo/x', '/'),
  fc.string({ maxLength: 12 }).map((s) => `/${s.replace(/[?#\s]/g, '')}`),
);
const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', 'ada', '\ud83d\ude00', '\ud800', 'a'.repeat(512), 'a'.repeat(513)),
  fc.string({ minLength: 500, maxLength: 530 }),
);
const queryValue = fc.oneof(
  text.map((t) => [t]),
  fc.array(text, { minLength: 1, maxLength: 3 }),
);
const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom('user_id', 'extra', 'USER_ID', '__proto__', 'constructor'),
    fc.string({ maxLength: 4 }),
  ),
  queryValue,
  { maxKeys: 3, noNullPrototype: true },
);
const headers = fc.record(
  {
    'if-match': fc.oneof(
      fc.constantFrom('"1"', '*', 'W/"1"'),
      fc.string({ minLength: 1020, maxLength: 1030 }),
    ),
    cookie: fc.constantFrom('a=1', 'user_id=x; b=2'),
    'x-other': text,
  },
  { requiredKeys: [] },
);
const json: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
const bodyValue = fc.oneof(
  json.filter((v) => typeof v !== 'string'),
  fc.record(
    {
      user_id: fc.oneof(text, json),
      updatedKey: fc.oneof(text, json),
      updatedValue: json,
      other: json,
    },
    { requiredKeys: [] },
  ),
  fc.constantFrom('12345678901234567890123', '1e400', '[]', 'null').map(parseJson),
);
const body = fc.option(bodyValue, { nil: undefined });

describe('routing and validation, beside openapi-backend', () => {
  it('route every request to the same operation', () => {
    const router = createRouter();
    fc.assert(
      fc.property(methods, paths, (method, path) => {
        let expected: string | undefined;
        try {
          expected = backend.router.matchOperation({ method, path, headers: {} }, true).operationId;
        } catch {
          expected = undefined;
        }
        expect(router.match(method, path)?.operationId).toBe(expected);
      }),
      { numRuns: 2_000, seed: 20_261_124 },
    );
  });

  it('find the same request fields wrong', () => {
    const specs = Object.entries(operations) as Array<[string, OperationSpec]>;
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        query,
        headers,
        body,
        ([operationId, spec], generatedQuery, generatedHeaders, generatedBody) => {
          const mediaType = Object.keys(spec.requestBody?.content ?? {})[0];
          const ours = validateRequest(spec, {
            query: new Map(Object.entries(generatedQuery)),
            headers: generatedHeaders,
            body:
              generatedBody === undefined || mediaType === undefined
                ? undefined
                : { mediaType, value: generatedBody },
          });
          const theirs = backend.validator.validateRequest(
            {
              method: spec.method,
              path: spec.path,
              query: Object.fromEntries(
                Object.entries(generatedQuery).map(([k, v]) => [k, v.length === 1 ? v[0] : v]),
              ) as Record<string, string | string[]>,
              headers: { 'content-type': 'application/json', ...generatedHeaders },
              // Numbers past a double are checked as their nearest double (`withDoubles`);
              // openapi-backend would see the objects that carry their digits.
              body: withDoubles(generatedBody),
            },
            operationId,
          );
          expect(ours.valid).toBe(theirs.valid);
          expect(ours.valid ? [] : fieldsOf(ours.errors)).toEqual(
            backendFieldsOf(theirs.errors ?? []),
          );
        },
      ),
      { numRuns: 5_000, seed: 20_261_124 },
    );
  });
});

/** Each field named, once, sorted: `query:user_id`, `header:if-match`, `body:/user_id`. */
function fieldsOf(errors: readonly FieldError[]): string[] {
  const fields = errors.map((e) =>
    e.parameter !== undefined
      ? `query:${e.parameter}`
      : e.header !== undefined
        ? `header:${e.header.toLowerCase()}`
        : `body:${e.pointer ?? ''}`,
  );
  return [...new Set(fields)].sort();
}

function backendFieldsOf(errors: readonly ErrorObject[]): string[] {
  const fields = errors.map((e) => {
    const named =
      e.keyword === 'required'
        ? String(e.params.missingProperty)
        : e.keyword === 'additionalProperties'
          ? String(e.params.additionalProperty)
          : undefined;
    const path = named === undefined ? e.instancePath : `${e.instancePath}/${escapeKey(named)}`;
    const [, location = '', ...rest] = path.split('/');
    if (location === 'query') return `query:${unescapeKey(rest[0] ?? '')}`;
    if (location === 'header') return `header:${unescapeKey(rest[0] ?? '')}`;
    return `body:${rest.length === 0 ? '' : `/${rest.join('/')}`}`;
  });
  return [...new Set(fields)].sort();
}

const escapeKey = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
const unescapeKey = (key: string) => key.replaceAll('~1', '/').replaceAll('~0', '~');
