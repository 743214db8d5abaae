/**
 * Hostile input, generated. fast-check makes requests from openapi.yaml (valid items, valid
 * updates and JSON Merge Patches, reads and deletes of a small pool of `user_id`s, so 404, 409
 * and 412 happen too; writes with an `Idempotency-Key` from a small pool, and repeats of them,
 * so replays and 422s happen too) and hostile ones (malformed and truncated JSON, wrong content types, deep nesting, huge
 * strings, `__proto__` keys, lone surrogates, numbers DynamoDB cannot hold, empty and huge
 * `user_id`s, items over 400 KB, repeated query parameters, `updatedKey` injection attempts).
 *
 * Every answer: never a 5xx, valid against the contract, and what the table holds afterwards is
 * what the answers said (a model kept from the answers, checked item by item and by a full scan).
 * No ETag is ever answered for two states of an item (RFC 9110 §8.8.1), across deletes and
 * creates too; preconditions name current ETags, stale ones and ones of earlier incarnations.
 * Most cases go to the core in-process (`app.handle`), a share through the local HTTP server.
 *
 * Reproducible: the seed is fixed; a failure prints it with the path to the failing case.
 * `FUZZ_SEED=<n>` runs another seed, `FUZZ_SCALE=<k>` k times as many cases.
 */
import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeHttpServer as LocalServer } from '../src/adapters/node-http.js';
import type { App } from '../src/core/app.js';
import { MAX_ENTITY_TAGS } from '../src/core/conditional.js';
import {
  fromDecimalText,
  type JsonValue,
  NumberValue,
  parseJson,
  stringifyJson,
} from '../src/core/json.js';
import { createDynamoDbStore, VERSION_ATTRIBUTE } from '../src/store/dynamodb.js';
import {
  expectContractResponse,
  type OperationId,
  type SeenResponse,
} from './support/conformance.js';
import { type TestTable, useTable } from './support/engine.js';
import { etagAt, etagParts } from './support/etags.js';
import { createHttpClient, type HttpClient } from './support/http-client.js';
import { canonical, readStored, type StoredItem, scanStored, sideBySide } from './support/model.js';
import type { TestRequest } from './support/request.js';
import {
  createTestApp,
  createTestIdempotency,
  sendToCore,
  startTestServer,
} from './support/transports.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_124);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const RUNS = {
  valid: 2_000 * SCALE,
  hostile: 2_600 * SCALE,
  http: 800 * SCALE,
};
/** Larger than DynamoDB's 400 KB item, so the engine's own limit is reached too. */
const MAX_BODY_BYTES = 1024 * 1024;
const KB = 1024;

// --- the model: what the answers said the table holds -------------------------------------

const model = new Map<string, StoredItem>();
/** Every ETag with an incarnation answered for each item, in order, and the state it named. */
const history = new Map<string, Map<string, unknown>>();
const statuses = new Map<number, number>();
let sent = 0;
let replays = 0;

// --- generated requests -------------------------------------------------------------------

/** How `If-Match` is chosen; resolved against the model when the request is sent. */
type IfMatch =
  | { kind: 'none' }
  | { kind: 'star' }
  | { kind: 'current' }
  | { kind: 'stale'; by: number }
  | { kind: 'list'; others: number[] }
  | { kind: 'weak' }
  | { kind: 'earlier'; back: number }
  | { kind: 'raw'; value: string };

/** How `If-None-Match` is chosen, resolved likewise. */
type IfNoneMatch =
  | { kind: 'none' }
  | { kind: 'star' }
  | { kind: 'current'; weak: boolean }
  | { kind: 'earlier'; back: number }
  | { kind: 'other' };

type Intent =
  | { op: 'create'; item: { [key: string]: JsonValue } }
  | { op: 'update'; key: string; value: JsonValue; ifMatch: IfMatch; ifNoneMatch?: IfNoneMatch }
  | {
      op: 'merge';
      patch: { [key: string]: JsonValue };
      ifMatch: IfMatch;
      ifNoneMatch?: IfNoneMatch;
    }
  | { op: 'get'; ifMatch?: IfMatch; ifNoneMatch?: IfNoneMatch }
  | { op: 'delete'; ifMatch: IfMatch; ifNoneMatch?: IfNoneMatch };

interface Case {
  /** What kind of case this is, for failure messages. */
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** The query string as sent, when it must be other than `query` encodes to. */
  readonly rawQuery?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Not a request: an item another program writes straight into the table. */
  readonly seed?: Record<string, AttributeValue>;
  /** The item the request is about, if it names one; it is read back afterwards. */
  readonly target?: string;
  readonly intent?: Intent;
  /**
   * `predict`: the model says which status comes (200/201, 404, 409 or 412) and what is stored.
   * `refuse`: a 4xx (this one when given) and nothing written. `any`: no 5xx, and whatever
   * the answer says was written must be there.
   */
  readonly expect: 'predict' | 'refuse' | 'any';
  readonly status?: number;
  /** Not a request of its own: the `back`-th last request sent with an `Idempotency-Key`, again. */
  readonly repeat?: { readonly back: number };
}

const POOL = [
  ...Array.from({ length: 8 }, (_, i) => `fuzz-${i}`),
  'ünïcödé',
  '😀 emoji',
  'nul\u0000inside',
  'rtl\u202Eoverride',
  '\uFEFFbom',
  ' ',
  'user id?&=/#%+',
  'x'.repeat(512),
  '😀'.repeat(256),
];

const userId = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...POOL) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }) },
);

/** Attribute names an `updatedKey` might use to break out of an expression, taken literally. */
const INJECTIONS = [
  'name',
  'status',
  'size',
  'a.b',
  'list[0]',
  '#pk',
  '#attr',
  ':value',
  ':one',
  '#version',
  'version',
  'SET #attr = :value',
  ') OR attribute_exists(user_id',
  'user_id = :value',
  "'; DROP TABLE dynamo; --",
  'User_id',
  ' user_id',
  'user_id ',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__proto',
  'a\u0000b',
  '\uFEFF',
  'k'.repeat(300),
];

const attributeName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  {
    weight: 2,
    arbitrary: fc
      .string({ unit: 'binary', minLength: 1, maxLength: 12 })
      .filter((k) => k !== '__proto__' && k !== 'user_id' && !k.startsWith('@')),
  },
);
const mapKey = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 10 })
  .filter((k) => k !== '__proto__');

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom('', 'null', '0', '\u0000', '\u2028\u2029', '👩‍👩‍👧‍👦', 'e\u0301', '\uFFFF'),
);

/** Numbers DynamoDB holds: up to 38 significant digits, magnitude 1e-130 to under 1e126. */
const storableNumber = fc.oneof(
  fc.integer(),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((x) => x === 0 || (Math.abs(x) >= 1e-130 && Math.abs(x) < 1e126)),
  fc
    .tuple(
      fc.boolean(),
      fc.bigInt({ min: 1n, max: 10n ** 38n - 1n }),
      fc.integer({ min: -130, max: 125 }),
    )
    .map(([negative, mantissa, exponent]) => {
      const digits = mantissa.toString();
      return fromDecimalText(
        `${negative ? '-' : ''}${digits}e${exponent - (digits.length - 1)}`,
      ) as JsonValue;
    }),
);

const scalar: fc.Arbitrary<JsonValue> = fc.oneof(
  text,
  storableNumber,
  fc.boolean(),
  fc.constant(null),
);

const { value: storable } = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(mapKey, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

const item = fc
  .tuple(userId, fc.dictionary(attributeName, storable, { maxKeys: 5, noNullPrototype: true }))
  .map(([id, attributes]) => ({ ...attributes, user_id: id }) as { [key: string]: JsonValue });

const ifMatch: fc.Arbitrary<IfMatch> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'star' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'current' as const }) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((by) => ({ kind: 'stale' as const, by })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.integer({ min: 0, max: 50 }), { maxLength: 3 })
      .map((others) => ({ kind: 'list' as const, others })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'weak' as const }) },
  {
    weight: 2,
    arbitrary: fc.nat({ max: 20 }).map((back) => ({ kind: 'earlier' as const, back })),
  },
);

const jsonTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON; Charset="UTF-8"',
  // RFC 8259 §11: a charset parameter has no effect on JSON.
  'application/json; charset=utf8',
  'application/json;charset=latin1',
);

function request(
  kind: string,
  method: string,
  parts: Partial<Omit<Case, 'kind' | 'method'>> & Pick<Case, 'expect'>,
): Case {
  return { kind, method, path: '/dynamo', query: [], headers: {}, ...parts };
}

const json = (value: unknown) => stringifyJson(value);

const validCreate = fc.tuple(item, jsonTypes).map(([it, type]) =>
  request('create', 'POST', {
    headers: { 'content-type': type },
    body: json(it),
    target: String(it.user_id),
    intent: { op: 'create', item: it },
    expect: 'predict',
  }),
);

const validUpdate = fc
  .tuple(userId, attributeName, storable, ifMatch, jsonTypes)
  .map(([id, key, value, condition, type]) =>
    request('update', 'PATCH', {
      headers: { 'content-type': type },
      body: json({ user_id: id, updatedKey: key, updatedValue: value }),
      target: id,
      intent: { op: 'update', key, value, ifMatch: condition },
      expect: 'predict',
    }),
  );

const validGet = userId.map((id) =>
  request('get', 'GET', {
    query: [['user_id', id]],
    target: id,
    intent: { op: 'get' },
    expect: 'predict',
  }),
);

const validDelete = fc.tuple(userId, ifMatch).map(([id, condition]) =>
  request('delete', 'DELETE', {
    query: [['user_id', id]],
    target: id,
    intent: { op: 'delete', ifMatch: condition },
    expect: 'predict',
  }),
);

const MERGE_PATCH = 'application/merge-patch+json';

/** A JSON Merge Patch of an item: values to set or merge in, `null`s to remove. */
const validMerge = fc
  .tuple(
    userId,
    fc.dictionary(attributeName, fc.oneof(storable, fc.constant(null)), {
      maxKeys: 4,
      noNullPrototype: true,
    }),
    ifMatch,
    fc.constantFrom(MERGE_PATCH, `${MERGE_PATCH}; charset=utf-8`, 'Application/Merge-Patch+JSON'),
  )
  .map(([id, patch, condition, type]) =>
    request('merge patch', 'PATCH', {
      headers: { 'content-type': type },
      body: json({ ...patch, user_id: id }),
      target: id,
      intent: { op: 'merge', patch, ifMatch: condition },
      expect: 'predict',
    }),
  );

/** Keys few enough that they are used again, with the same request and with others. */
const IDEMPOTENCY_KEYS = ['"fuzz-key-0"', '"fuzz-key-1"', 'fuzz-key-2', '"fuzz \\"key\\" 3"'];

/** A write, sometimes with an `Idempotency-Key`: a fresh one, or one of the pool's. */
const keyed = (write: fc.Arbitrary<Case>) =>
  fc
    .tuple(
      write,
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom(...IDEMPOTENCY_KEYS) },
        { weight: 2, arbitrary: fc.uuid().map((uuid) => `"${uuid}"`) },
      ),
    )
    .map(([c, key]) =>
      key === null
        ? c
        : { ...c, kind: `${c.kind} with a key`, headers: { ...c.headers, 'idempotency-key': key } },
    );

/** One of the last requests sent with a key, sent again exactly. */
const repeatKeyed = fc
  .nat({ max: 3 })
  .map(
    (back): Case =>
      request('a keyed write again', 'PATCH', { repeat: { back }, expect: 'predict' }),
  );

const validRequest = fc.oneof(
  { weight: 3, arbitrary: keyed(validCreate) },
  { weight: 4, arbitrary: keyed(validUpdate) },
  { weight: 3, arbitrary: keyed(validMerge) },
  { weight: 2, arbitrary: repeatKeyed },
  { weight: 2, arbitrary: validGet },
  { weight: 1, arbitrary: validDelete },
);

// --- hostile requests ----------------------------------------------------------------------

const JSON_HEADERS = { 'content-type': 'application/json' };
const post = (kind: string, body: string, parts: Partial<Case> = {}): Case =>
  request(kind, 'POST', { headers: JSON_HEADERS, body, expect: 'refuse', ...parts });
const patch = (kind: string, body: string, parts: Partial<Case> = {}): Case =>
  request(kind, 'PATCH', { headers: JSON_HEADERS, body, expect: 'refuse', ...parts });

const truncatedJson = fc
  .tuple(fc.oneof(validCreate, validUpdate), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([valid, at]) => {
    const body = String(valid.body ?? '');
    const cut = Math.min(body.length - 1, Math.floor(at * body.length));
    return {
      ...valid,
      kind: 'truncated JSON',
      body: body.slice(0, cut),
      expect: 'refuse' as const,
      status: 400,
    };
  });

const malformedJson = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom(
      '{',
      '}',
      "{'user_id':'a'}",
      '{"user_id":"a",}',
      '{"user_id":"a"} {"user_id":"b"}',
      '{"user_id":"a"}garbage',
      '\uFEFF{"user_id":"fuzz-0"}',
      '{"user_id":NaN}',
      '{"user_id":"a","n":Infinity}',
      '{"user_id":"a","n":01}',
      '{"user_id":"a","n":1.}',
      '{"user_id":"a","n":.5}',
      '{"user_id":"a","n":+1}',
      '{"user_id":"a","n":0x10}',
      // Long enough, or with an exponent, that a double would not hold them: the exact path.
      '{"user_id":"a","n":01234567890123456789}',
      '{"user_id":"a","n":00012345678901234567890}',
      '{"user_id":"a","n":-.5e30}',
      '{"user_id":"a","n":1.e30}',
      '{"user_id":"a","n":-01e30}',
      '{"user_id":"a","n":1e+}',
      '{"user_id":"a","n":--5e30}',
      '{"user_id":"a","n":5e30e2}',
      '{"user_id":"a","n":1-2e30}',
      '{"user_id":"a","updatedKey":"n","updatedValue":-.5e30}',
      '{"user_id":"\\x41"}',
      '{"user_id":"\\u12"}',
      '{"user_id":"a" "b"}',
      '[',
      'nul',
      '{"user_id":"a"\u0000}',
    ),
  )
  .chain((body) =>
    fc.constantFrom(
      post('malformed JSON', body, { status: 400 }),
      patch('malformed JSON', body, { status: 400 }),
    ),
  );

const notAnObject = fc
  .constantFrom(
    '[]',
    '"fuzz-0"',
    '1',
    'null',
    'true',
    '[{"user_id":"fuzz-0"}]',
    '{}',
    '""',
    // A JSON string that holds JSON is a string, not the object inside it.
    JSON.stringify('{"user_id":"fuzz-0","updatedKey":"name","updatedValue":"x"}'),
    JSON.stringify('{"user_id":"fuzz-0"}'),
  )
  .chain((body) =>
    fc.constantFrom(
      post('not an item', body, { status: 400 }),
      patch('not an update', body, { status: 400 }),
    ),
  );

const wrongContentType = fc
  .tuple(
    validCreate,
    fc.constantFrom(
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/vnd.api+json',
      'application/problem+json',
      'application/merge-patch+json',
      'application/jsonp',
      'application/json-patch',
      '*/*',
      'application/*',
      'json',
      '',
      undefined,
    ),
  )
  .map(([valid, type]) => ({
    ...valid,
    kind: 'wrong content type',
    headers: type === undefined ? {} : { 'content-type': type },
    expect: 'refuse' as const,
    status: 415,
  }));

/** Lists or maps nested `depth` levels deep under one attribute; DynamoDB holds 32 in all. */
const deepNesting = fc
  .tuple(
    userId,
    fc.oneof(fc.integer({ min: 28, max: 40 }), fc.constantFrom(1_000, 20_000)),
    fc.boolean(),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([id, depth, lists, viaPatch, exactToo]) => {
    const open = lists ? '[' : '{"k":';
    const close = lists ? ']' : '}';
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    // The item is level 0 and the attribute's value level 1: `depth` levels reach level
    // `depth`, and DynamoDB nests 32 levels counting the item.
    const storableDepth = depth <= 31;
    const idJson = JSON.stringify(id);
    // Beside a number a double would not hold, which takes the parser's exact path.
    const exact = exactToo && !storableDepth ? '"n":1e30,' : '';
    const body = viaPatch
      ? `{${exact}"user_id":${idJson},"updatedKey":"deep","updatedValue":${nested}}`
      : `{${exact}"user_id":${idJson},"deep":${nested}}`;
    const parsed = storableDepth ? (parseJson(nested) as JsonValue) : null;
    return storableDepth
      ? request(`nesting ${depth} deep`, viaPatch ? 'PATCH' : 'POST', {
          headers: JSON_HEADERS,
          body,
          target: id,
          intent: viaPatch
            ? { op: 'update', key: 'deep', value: parsed, ifMatch: { kind: 'none' } }
            : { op: 'create', item: { user_id: id, deep: parsed } },
          expect: 'predict',
        })
      : request(`nesting ${depth} deep`, viaPatch ? 'PATCH' : 'POST', {
          headers: JSON_HEADERS,
          body,
          target: id,
          expect: 'refuse',
          status: 400,
        });
  });

/** Strings from 10 KB to past the body limit: under 400 KB stored, over it 413. */
const hugeString = fc
  .tuple(userId, fc.constantFrom(10, 100, 300, 450, 700, 1_100), fc.boolean())
  .map(([id, kb, viaPatch]) => {
    const big = 'x'.repeat(kb * KB);
    const fits = kb <= 300;
    const body = viaPatch
      ? json({ user_id: id, updatedKey: 'big', updatedValue: big })
      : json({ user_id: id, big });
    const intent: Intent = viaPatch
      ? { op: 'update', key: 'big', value: big, ifMatch: { kind: 'none' } }
      : { op: 'create', item: { user_id: id, big } };
    return request(`${kb} KB string`, viaPatch ? 'PATCH' : 'POST', {
      headers: JSON_HEADERS,
      body,
      target: id,
      ...(fits
        ? { intent, expect: 'predict' as const }
        : // Past the body limit always 413; a PATCH of a missing item may be 404 first.
          { expect: 'refuse' as const, ...(viaPatch && kb < 1_024 ? {} : { status: 413 }) }),
    });
  });

/** Many small attributes adding up to more than DynamoDB's 400 KB item. */
const manyAttributes = userId.map((id) => {
  const attributes = Object.fromEntries(
    Array.from({ length: 5_000 }, (_, i) => [`attribute-${i}`, 'y'.repeat(90)]),
  );
  return post('item over 400 KB in 5,000 attributes', json({ user_id: id, ...attributes }), {
    target: id,
    status: 413,
  });
});

const protoKeys = fc
  .tuple(
    userId,
    fc.constantFrom(
      '{"__proto__":{"polluted":true}}',
      '{"a":{"__proto__":{"polluted":true}}}',
      '{"a":[{"__proto__":1}]}',
    ),
    fc.boolean(),
  )
  .map(([id, extra, viaPatch]) => {
    const attrs = extra.slice(1, -1);
    return viaPatch
      ? patch(
          '__proto__ key',
          `{"user_id":${JSON.stringify(id)},"updatedKey":"v","updatedValue":${extra}}`,
          {
            target: id,
            status: 400,
          },
        )
      : post('__proto__ key', `{"user_id":${JSON.stringify(id)},${attrs}}`, {
          target: id,
          status: 400,
        });
  });

/** DynamoDB refuses an empty attribute name at any depth (dynalite takes it; DynamoDB Local not). */
const emptyName = fc
  .tuple(userId, fc.constantFrom('{"":1}', '{"m":{"":1}}', '{"l":[{"a":{"":[]}}]}'), fc.boolean())
  .map(([id, value, viaPatch]) => {
    const idJson = JSON.stringify(id);
    return viaPatch
      ? patch(
          'empty attribute name',
          `{"user_id":${idJson},"updatedKey":"v","updatedValue":${value}}`,
          {
            target: id,
            status: 400,
          },
        )
      : post('empty attribute name', `{"user_id":${idJson},"v":${value}}`, {
          target: id,
          status: 400,
        });
  });

const pollutionNames = fc
  .tuple(userId, fc.constantFrom('constructor', 'prototype'))
  .map(([id, name]) => {
    const it = { user_id: id, [name]: { prototype: { polluted: true } } } as {
      [key: string]: JsonValue;
    };
    return request(`${name} key`, 'POST', {
      headers: JSON_HEADERS,
      body: json(it),
      target: id,
      intent: { op: 'create', item: it },
      expect: 'predict',
    });
  });

/** A lone UTF-16 surrogate (always JSON-escaped, so it survives any transport). */
const loneSurrogate = fc.constantFrom('\\ud800', '\\udfff', 'a\\udbff', '\\udc00b', '\\ud83d');
const oddUnicode = fc
  .tuple(userId, loneSurrogate, fc.integer({ min: 0, max: 4 }))
  .map(([id, lone, where]) => {
    const idJson = JSON.stringify(id);
    const bodies = [
      `{"user_id":"${lone}"}`,
      `{"user_id":${idJson},"v":"${lone}"}`,
      `{"user_id":${idJson},"${lone}":1}`,
      `{"user_id":${idJson},"m":{"${lone}":1}}`,
      `{"user_id":${idJson},"updatedKey":"${lone}","updatedValue":1}`,
    ];
    const body = bodies[where] ?? '';
    const kind = `lone surrogate ${['in user_id', 'in a value', 'in a name', 'in a nested name', 'in updatedKey'][where]}`;
    return where === 4
      ? patch(kind, body, { target: id, status: 400 })
      : post(kind, body, { ...(where === 0 ? {} : { target: id }), status: 400 });
  });

const UNSTORABLE_NUMBERS = [
  '1e126',
  '-1e126',
  '1E+126',
  '1e-131',
  '-1e-131',
  '5e-324',
  '1e400',
  '-1e400',
  '1E+999999999999',
  '1e-999999999999',
  '123456789012345678901234567890123456789',
  '1.23456789012345678901234567890123456789',
  `0.${'0'.repeat(130)}1`,
  `1${'0'.repeat(126)}`,
];
const unstorableNumber = fc
  .tuple(
    userId,
    fc.oneof(
      fc.constantFrom(...UNSTORABLE_NUMBERS),
      fc
        .bigInt({ min: 10n ** 38n, max: 10n ** 60n })
        .filter((n) => n % 10n !== 0n)
        .map(String),
    ),
    fc.constantFrom('top', 'nested', 'patch'),
  )
  .map(([id, number, where]) => {
    const idJson = JSON.stringify(id);
    const kind = `unstorable number ${where}`;
    if (where === 'patch') {
      return patch(kind, `{"user_id":${idJson},"updatedKey":"n","updatedValue":${number}}`, {
        target: id,
        status: 400,
      });
    }
    const value = where === 'top' ? number : `{"list":[1,${number}]}`;
    return post(kind, `{"user_id":${idJson},"n":${value}}`, { target: id, status: 400 });
  });

const badUserId = fc
  .tuple(
    fc.constantFrom('', 'x'.repeat(513), 'é'.repeat(513), 'x'.repeat(100 * KB)),
    fc.constantFrom('POST', 'PATCH', 'GET', 'DELETE'),
  )
  .map(([id, method]) => {
    const kind = `user_id of ${id.length} characters`;
    if (method === 'POST') return post(kind, json({ user_id: id }), { status: 400 });
    if (method === 'PATCH') {
      return patch(kind, json({ user_id: id, updatedKey: 'a', updatedValue: 1 }), { status: 400 });
    }
    return request(kind, method, { query: [['user_id', id]], expect: 'refuse', status: 400 });
  });

const oddQuery = fc
  .tuple(
    fc.constantFrom('GET', 'DELETE'),
    fc.constantFrom<ReadonlyArray<readonly [string, string]>>(
      [
        ['user_id', 'fuzz-0'],
        ['user_id', 'fuzz-1'],
      ],
      [
        ['user_id', 'fuzz-0'],
        ['user_id', 'fuzz-0'],
      ],
      [['user_id[]', 'fuzz-0']],
      [['USER_ID', 'fuzz-0']],
      [
        ['user_id', 'fuzz-0'],
        ['other', '1'],
      ],
      [],
    ),
  )
  .map(([method, query]) =>
    request('odd query parameters', method, { query, expect: 'refuse', status: 400 }),
  );

const injection = fc
  .tuple(
    userId,
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
      { weight: 1, arbitrary: fc.constantFrom('user_id', '@version', '@', '__proto__', '') },
    ),
    scalar,
    ifMatch,
  )
  .map(([id, key, value, condition]) => {
    const body = json({ user_id: id, updatedKey: key, updatedValue: value });
    const refused = key === 'user_id' || key.startsWith('@') || key === '__proto__' || key === '';
    return refused
      ? patch(`updatedKey ${JSON.stringify(key)}`, body, { target: id, status: 400 })
      : request('updatedKey injection attempt', 'PATCH', {
          headers: JSON_HEADERS,
          body,
          target: id,
          intent: { op: 'update', key, value, ifMatch: condition },
          expect: 'predict',
        });
  });

const badUpdateShape = fc
  .tuple(
    userId,
    fc.constantFrom(
      (id: string) => ({ user_id: id, updatedKey: 'a' }),
      (id: string) => ({ user_id: id, updatedValue: 1 }),
      (id: string) => ({ user_id: id, updatedKey: 1, updatedValue: 1 }),
      (id: string) => ({ user_id: id, updatedKey: null, updatedValue: 1 }),
      (id: string) => ({ user_id: id, updatedKey: ['a'], updatedValue: 1 }),
      (id: string) => ({ user_id: id, updatedKey: 'a', updatedValue: 1, extra: true }),
      (id: string) => ({ user_id: [id], updatedKey: 'a', updatedValue: 1 }),
      (id: string) => ({ updatedKey: 'a', updatedValue: 1, userId: id }),
    ),
  )
  .map(([id, shape]) => patch('update of the wrong shape', json(shape(id)), { status: 400 }));

const badIfMatch = fc
  .tuple(
    userId,
    fc.oneof(
      fc.constantFrom(
        'W/"1"',
        '"abc"',
        '1',
        '"1',
        '"-1"',
        '"1.0"',
        '"99999999999999999999"',
        ' , ',
        '"1" "2"',
        '*, "1"',
        // A comma inside the quotes belongs to the tag.
        '"1,2"',
        '"a,b", "1"',
        '"1",,"2",',
        // Tags of a version of some incarnation; a token no ETag carries.
        '"1.AAAAAAAAAAAA"',
        '"1.AAAA AAAA"',
        '"1.a!b", "1."',
        // Each tag a clause of DynamoDB's condition: as many as it may take, and one more.
        Array.from({ length: MAX_ENTITY_TAGS }, (_, i) => `"${i + 1}.tag${i}"`).join(','),
        Array.from({ length: MAX_ENTITY_TAGS + 1 }, (_, i) => `"${i + 1}"`).join(','),
      ),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
    ),
    fc.boolean(),
  )
  .map(([id, raw, viaPatch]) =>
    viaPatch
      ? request('odd If-Match', 'PATCH', {
          headers: { ...JSON_HEADERS, 'if-match': raw },
          body: json({ user_id: id, updatedKey: 'a', updatedValue: 1 }),
          target: id,
          intent: { op: 'update', key: 'a', value: 1, ifMatch: { kind: 'raw', value: raw } },
          expect: 'predict',
        })
      : request('odd If-Match', 'DELETE', {
          headers: { 'if-match': raw },
          query: [['user_id', id]],
          target: id,
          intent: { op: 'delete', ifMatch: { kind: 'raw', value: raw } },
          expect: 'predict',
        }),
  );

const longIfMatch = fc.tuple(userId, fc.boolean()).map(([id, viaPatch]) =>
  viaPatch
    ? patch(
        'If-Match over 1024 characters',
        json({ user_id: id, updatedKey: 'a', updatedValue: 1 }),
        {
          headers: { ...JSON_HEADERS, 'if-match': `"1", ${'"2", '.repeat(300)}"3"` },
          target: id,
          status: 400,
        },
      )
    : request('If-Match over 1024 characters', 'DELETE', {
        headers: { 'if-match': `"1", ${'"2", '.repeat(300)}"3"` },
        query: [['user_id', id]],
        target: id,
        expect: 'refuse',
        status: 400,
      }),
);

const wrongRoute = fc
  .tuple(
    fc.constantFrom('PUT', 'OPTIONS', 'TRACE', 'PROPFIND', 'GET', 'POST', 'PATCH', 'DELETE'),
    fc.constantFrom('/dynamo', '/', '/dynamo/x', '/DYNAMO', '/dynamo.json', '/openapi'),
    userId,
  )
  .filter(
    ([method, path]) =>
      path !== '/dynamo' || ['PUT', 'OPTIONS', 'TRACE', 'PROPFIND'].includes(method),
  )
  .map(([method, path, id]) =>
    request(`${method} ${path}`, method, {
      path,
      query: [['user_id', id]],
      ...(['POST', 'PATCH', 'PUT'].includes(method)
        ? { headers: JSON_HEADERS, body: json({ user_id: id, updatedKey: 'a', updatedValue: 1 }) }
        : {}),
      target: id,
      expect: 'refuse',
      status: path === '/dynamo' ? 405 : 404,
    }),
  );

/** Bytes that are not UTF-8 in a body, or a percent-encoding that is not, in a query. */
const notUtf8 = fc
  .tuple(
    userId,
    fc.constantFrom([0xe9], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xe2, 0x82], [0x80]),
    fc.constantFrom('body POST', 'body PATCH', 'query GET', 'query DELETE'),
  )
  .map(([id, bytes, where]) => {
    const [part, method] = where.split(' ') as [string, string];
    if (part === 'query') {
      const encoded = bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`);
      return request(`not UTF-8 in the ${where}`, method, {
        rawQuery: `user_id=${encodeURIComponent(id)}${encoded.join('')}`,
        expect: 'refuse',
        status: 400,
      });
    }
    const prefix = Buffer.from(
      method === 'POST'
        ? `{"user_id":${JSON.stringify(id)},"s":"caf`
        : `{"user_id":${JSON.stringify(id)},"updatedKey":"s","updatedValue":"caf`,
    );
    return request(`not UTF-8 in the ${where}`, method, {
      headers: JSON_HEADERS,
      body: Buffer.concat([prefix, Buffer.from(bytes), Buffer.from('"}')]),
      target: id,
      expect: 'refuse',
      status: 400,
    });
  });

/** One name twice in one object, anywhere in the body: refused, whichever would win. */
const duplicateNames = fc
  .tuple(
    userId,
    fc.constantFrom(
      (id: string) => `{"user_id":${id},"user_id":"fuzz-1"}`,
      (id: string) => `{"user_id":${id},"a":1,"a":2}`,
      (id: string) => `{"user_id":${id},"a":{"b":1,"\\u0062":2}}`,
      (id: string) => `{"user_id":${id},"l":[{"x":1},{"x":1,"x":1}]}`,
      (id: string) => `{"user_id":${id},"updatedKey":"a","updatedValue":1,"updatedValue":2}`,
    ),
  )
  .map(([id, body]) => {
    const text = body(JSON.stringify(id));
    return text.includes('updatedKey')
      ? patch('a name twice in one object', text, { target: id, status: 400 })
      : post('a name twice in one object', text, { target: id, status: 400 });
  });

const ifNoneMatch: fc.Arbitrary<IfNoneMatch> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'star' as const }) },
  {
    weight: 2,
    arbitrary: fc.boolean().map((weak) => ({ kind: 'current' as const, weak })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'other' as const }) },
  {
    weight: 1,
    arbitrary: fc.nat({ max: 20 }).map((back) => ({ kind: 'earlier' as const, back })),
  },
);

/** Reads and writes with both preconditions, predicted: 200, 304, 404 or 412. */
const conditional = fc
  .tuple(userId, ifMatch, ifNoneMatch, fc.constantFrom('GET', 'HEAD', 'PATCH', 'DELETE'))
  .map(([id, condition, noneMatch, method]) => {
    if (method === 'PATCH') {
      return request('conditional update', 'PATCH', {
        headers: JSON_HEADERS,
        body: json({ user_id: id, updatedKey: 'c', updatedValue: 1 }),
        target: id,
        intent: { op: 'update', key: 'c', value: 1, ifMatch: condition, ifNoneMatch: noneMatch },
        expect: 'predict',
      });
    }
    return request(`conditional ${method}`, method, {
      query: [['user_id', id]],
      target: id,
      intent:
        method === 'DELETE'
          ? { op: 'delete', ifMatch: condition, ifNoneMatch: noneMatch }
          : { op: 'get', ifMatch: condition, ifNoneMatch: noneMatch },
      expect: 'predict',
    });
  });

/** Preconditions an operation cannot evaluate: refused, never dropped. */
const refusedPrecondition = fc
  .tuple(
    userId,
    fc.constantFrom(
      ['GET', 'if-modified-since'],
      ['PATCH', 'if-unmodified-since'],
      ['DELETE', 'if-modified-since'],
      ['POST', 'if-match'],
      ['POST', 'if-unmodified-since'],
    ),
    fc.constantFrom('Sun, 29 Nov 2026 18:00:00 GMT', '"1"', '*'),
  )
  .map(([id, [method, header], value]) =>
    request(`${header} on ${method}`, method as string, {
      headers: {
        ...(method === 'GET' || method === 'DELETE' ? {} : JSON_HEADERS),
        [header as string]: value,
      },
      ...(method === 'GET' || method === 'DELETE'
        ? { query: [['user_id', id]] as const }
        : {
            body: json(
              method === 'POST'
                ? { user_id: id }
                : { user_id: id, updatedKey: 'a', updatedValue: 1 },
            ),
          }),
      target: id,
      expect: 'refuse',
      status: 400,
    }),
  );

/** Items another program wrote: sets, binary, and a version that is not a number. */
const foreignItem = fc
  .tuple(
    userId,
    fc.record(
      {
        ss: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), {
          minLength: 1,
          maxLength: 4,
        }),
        ns: fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 4 }),
        b: fc.uint8Array({ minLength: 1, maxLength: 8 }),
        bs: fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 3,
          selector: (bytes) => Buffer.from(bytes).toString('hex'),
        }),
        version: fc.oneof(
          fc.constantFrom('7', 'x', ''),
          fc.integer({ min: 1, max: 50 }).map(String),
          fc.boolean(),
        ),
      },
      { requiredKeys: [] },
    ),
  )
  .map(([id, attributes]) => {
    const seed: Record<string, AttributeValue> = { user_id: { S: id } };
    if (attributes.ss !== undefined) seed.ss = { SS: attributes.ss };
    if (attributes.ns !== undefined) seed.ns = { NS: attributes.ns.map(String) };
    if (attributes.b !== undefined) seed.b = { B: attributes.b };
    if (attributes.bs !== undefined) seed.bs = { BS: attributes.bs };
    if (attributes.version !== undefined) {
      seed[VERSION_ATTRIBUTE] =
        typeof attributes.version === 'boolean'
          ? { BOOL: attributes.version }
          : { S: attributes.version };
    }
    return request('an item another program wrote', 'SEED', { target: id, seed, expect: 'any' });
  });

/** Pages of the listing: sizes it takes, and parameters it refuses. */
const listing = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc.integer({ min: 1, max: 100 }).map((limit) => ({
        query: [['limit', String(limit)]] as Array<[string, string]>,
        refuse: false,
      })),
    },
    { weight: 1, arbitrary: fc.constant({ query: [] as Array<[string, string]>, refuse: false }) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom<Array<[string, string]>>(
          [['limit', '0']],
          [['limit', '101']],
          [['limit', 'ten']],
          [['limit', '']],
          [['limit', '1e2']],
          [
            ['limit', '5'],
            ['limit', '6'],
          ],
          [['cursor', 'not-a-cursor']],
          [['cursor', '']],
          [['cursor', 'v1.eyJhZnRlciI6ImZ1enotMCJ9.AAAA']],
          [['cursor', 'x'.repeat(5000)]],
          [['user_id', 'fuzz-0']],
        )
        .map((query) => ({ query, refuse: true })),
    },
  )
  .map(({ query, refuse }) =>
    request(refuse ? 'a listing it refuses' : 'a page of the listing', 'GET', {
      path: '/dynamo/items',
      query,
      ...(refuse ? { expect: 'refuse' as const, status: 400 } : { expect: 'any' as const }),
    }),
  );

/** `Idempotency-Key`s that are no sf-string and no token, or out of bounds: 400 naming it. */
const badIdempotencyKey = fc
  .tuple(
    userId,
    fc.constantFrom(
      '',
      '""',
      '"open',
      'two words',
      '"a";p=1',
      '"a\\b"',
      '"tab\there"',
      `"${'k'.repeat(256)}"`,
      'k'.repeat(256),
    ),
    fc.boolean(),
  )
  .map(([id, key, viaPatch]) => {
    const headers = { ...JSON_HEADERS, 'idempotency-key': key };
    return viaPatch
      ? patch('a bad Idempotency-Key', json({ user_id: id, updatedKey: 'a', updatedValue: 1 }), {
          headers,
          target: id,
          status: 400,
        })
      : post('a bad Idempotency-Key', json({ user_id: id }), { headers, target: id, status: 400 });
  });

/** Merge patches the API refuses: 400 naming the field, or 415 for another patch format. */
const badMergePatch = fc
  .tuple(
    userId,
    fc.constantFrom(
      (id: string) => `{"user_id":${JSON.stringify(id)},"@version":7}`,
      () => '{"user_id":null,"a":1}',
      () => '{"a":1}',
      (id: string) => `{"user_id":${JSON.stringify(id)},"a":{"__proto__":{"x":1}}}`,
      (id: string) => `{"user_id":${JSON.stringify(id)},"a":{"":1}}`,
      (id: string) => `{"user_id":${JSON.stringify(id)},"n":1e200}`,
      (id: string) =>
        `{"user_id":${JSON.stringify(id)},"deep":${'{"a":'.repeat(33)}1${'}'.repeat(33)}}`,
      () => '["c"]',
      () => 'null',
    ),
  )
  .map(([id, body]) =>
    patch('a merge patch it refuses', body(id), {
      headers: { 'content-type': MERGE_PATCH },
      target: id,
      status: 400,
    }),
  );
const otherPatchFormat = userId.map((id) =>
  patch('a JSON Patch (RFC 6902)', json([{ op: 'add', path: '/a', value: 1 }]), {
    headers: { 'content-type': 'application/json-patch+json' },
    target: id,
    status: 415,
  }),
);

const hostileRequest = fc.oneof(
  { weight: 4, arbitrary: truncatedJson },
  { weight: 3, arbitrary: malformedJson },
  { weight: 2, arbitrary: notAnObject },
  { weight: 3, arbitrary: wrongContentType },
  { weight: 3, arbitrary: deepNesting },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: manyAttributes },
  { weight: 2, arbitrary: protoKeys },
  { weight: 2, arbitrary: pollutionNames },
  { weight: 1, arbitrary: emptyName },
  { weight: 3, arbitrary: oddUnicode },
  { weight: 3, arbitrary: unstorableNumber },
  { weight: 2, arbitrary: badUserId },
  { weight: 2, arbitrary: oddQuery },
  { weight: 4, arbitrary: injection },
  { weight: 2, arbitrary: badUpdateShape },
  { weight: 3, arbitrary: badIfMatch },
  { weight: 1, arbitrary: longIfMatch },
  { weight: 2, arbitrary: wrongRoute },
  { weight: 2, arbitrary: notUtf8 },
  { weight: 2, arbitrary: duplicateNames },
  { weight: 4, arbitrary: conditional },
  { weight: 2, arbitrary: refusedPrecondition },
  { weight: 3, arbitrary: foreignItem },
  { weight: 2, arbitrary: listing },
  { weight: 2, arbitrary: badIdempotencyKey },
  { weight: 3, arbitrary: badMergePatch },
  { weight: 1, arbitrary: otherPatchFormat },
);

// --- checking an answer against the model --------------------------------------------------

const OPERATIONS: Record<string, OperationId> = {
  GET: 'getItem',
  POST: 'createItem',
  PATCH: 'updateItem',
  DELETE: 'deleteItem',
};

/** `*` or a list of entity tags (RFC 9110 §8.8.3): what the header must be, else a 400. */
const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;
function entityTags(value: string): '*' | Array<{ weak: boolean; opaque: string }> | undefined {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  // Members split at commas outside quotes (a tag may hold a comma); empty members are allowed.
  const members = (trimmed.match(/(?:"[^"]*"?|[^,"])+|(?<=,|^)(?=,|$)/g) ?? [])
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (members.length === 0 || members.length > MAX_ENTITY_TAGS) return undefined;
  if (!members.every((m) => ENTITY_TAG.test(m))) return undefined;
  return members.map((m) => ({ weak: m.startsWith('W/'), opaque: m.replace(/^W\//, '') }));
}

/**
 * The tags a precondition names, in terms of the item as the model has it (`current`, absent
 * when there is none) and the ETags it had: its own, `version` of its incarnation, or the
 * `back`-th last one answered for it (of this incarnation or an earlier one).
 */
function tagsOf(target: string | undefined, current: StoredItem | undefined) {
  const own = current?.etag ?? '"1"';
  return {
    own,
    at: (version: number) => own.replace(/^"\d+/, `"${version}`),
    earlier: (back: number) => {
      const answered = [...(history.get(target ?? '')?.keys() ?? [])];
      return answered.at(-1 - (back % Math.max(1, answered.length))) ?? own;
    },
  };
}

/**
 * The `If-Match` header to send, and the ETags it accepts by strong comparison, character by
 * character (`undefined`: any; `malformed`: the header is not `*` or entity tags, a 400).
 */
function resolveIfMatch(
  condition: IfMatch | undefined,
  target: string | undefined,
  current: StoredItem | undefined,
): { header?: string; accepts?: string[]; malformed?: true } {
  const tags = tagsOf(target, current);
  const version = current?.version ?? 1;
  switch (condition?.kind) {
    case undefined:
    case 'none':
      return {};
    case 'star':
      return { header: '*' };
    case 'current':
      return { header: tags.own, accepts: [tags.own] };
    case 'stale':
      return {
        header: tags.at(version + condition.by),
        accepts: [tags.at(version + condition.by)],
      };
    case 'list': {
      const listed = [...condition.others.map(tags.at), tags.own];
      return { header: listed.join(', '), accepts: listed };
    }
    case 'weak':
      return { header: `W/${tags.own}`, accepts: [] };
    case 'earlier': {
      const tag = tags.earlier(condition.back);
      return { header: tag, accepts: [tag] };
    }
    case 'raw': {
      const listed = entityTags(condition.value);
      if (listed === undefined) return { header: condition.value, malformed: true };
      if (listed === '*') return { header: condition.value };
      const accepts = listed.flatMap((t) => (t.weak ? [] : [t.opaque]));
      return { header: condition.value, accepts };
    }
  }
}

/** The `If-None-Match` header to send, and the ETags it excludes by weak comparison. */
function resolveIfNoneMatch(
  condition: IfNoneMatch | undefined,
  target: string | undefined,
  current: StoredItem | undefined,
): { header?: string; excludes?: string[] | '*' } {
  const tags = tagsOf(target, current);
  const version = current?.version ?? 1;
  switch (condition?.kind) {
    case undefined:
    case 'none':
      return {};
    case 'star':
      return { header: '*', excludes: '*' };
    case 'current':
      return { header: `${condition.weak ? 'W/' : ''}${tags.own}`, excludes: [tags.own] };
    case 'earlier': {
      const tag = tags.earlier(condition.back);
      return { header: tag, excludes: [tag] };
    }
    case 'other':
      return { header: tags.at(version + 1000), excludes: [tags.at(version + 1000)] };
  }
}

type Send = (c: Case) => Promise<SeenResponse>;

/** A request sent with an `Idempotency-Key`, as it was sent, and what its answer was. */
interface KeyedRequest {
  readonly sending: Case;
  readonly conditions: Conditions;
}

/** The requests sent with an `Idempotency-Key`, in order. */
const keyedHistory: KeyedRequest[] = [];

/** What the API remembers of each key: the request it came with, and the 2xx it answered. */
const remembered = new Map<string, { signature: string; response: SeenResponse }>();

/** The ETags a write's preconditions accept (`If-Match`) and exclude (`If-None-Match`). */
interface Conditions {
  readonly accepts: string[] | undefined;
  readonly excludes: string[] | '*' | undefined;
}

/** Sends `c`, checks the answer against the contract and the model, then the stored item. */
async function run(c: Case, send: Send, table: ReturnType<typeof useTable>): Promise<void> {
  if (c.seed !== undefined) return seed(c.seed, table);
  let sending: Case;
  let conditions: Conditions;
  if (c.repeat !== undefined) {
    const again = keyedHistory.at(-1 - (c.repeat.back % Math.max(1, keyedHistory.length)));
    if (again === undefined) return;
    ({ sending, conditions } = again);
  } else {
    const before = c.target === undefined ? undefined : model.get(c.target);
    const intent = c.intent;
    const conditional = intent !== undefined && intent.op !== 'create';
    const ifMatch = resolveIfMatch(conditional ? intent.ifMatch : undefined, c.target, before);
    const ifNoneMatch = resolveIfNoneMatch(
      conditional ? intent.ifNoneMatch : undefined,
      c.target,
      before,
    );
    const headers = {
      ...c.headers,
      ...(ifMatch.header === undefined ? {} : { 'if-match': ifMatch.header }),
      ...(ifNoneMatch.header === undefined ? {} : { 'if-none-match': ifNoneMatch.header }),
    };
    sending = ifMatch.malformed
      ? { ...c, headers, expect: 'refuse', status: 400 }
      : { ...c, headers };
    conditions = { accepts: ifMatch.accepts, excludes: ifNoneMatch.excludes };
  }
  const before = sending.target === undefined ? undefined : model.get(sending.target);
  const key = sending.expect === 'refuse' ? undefined : keyOf(sending.headers);
  if (key !== undefined) keyedHistory.push({ sending, conditions });

  const response = await send(sending);
  sent += 1;
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  const body =
    typeof sending.body === 'string'
      ? sending.body
      : Buffer.from(sending.body ?? []).toString('hex');
  const what = `${c.kind}: ${sending.method} ${sending.path} ${sending.rawQuery ?? JSON.stringify(sending.query)} ${JSON.stringify(sending.headers)} ${body.slice(0, 300)}\n→ ${response.status} ${response.body.slice(0, 300)}`;

  expect(response.status, what).toBeLessThan(500);
  const operationMethod = sending.method === 'HEAD' ? 'GET' : sending.method;
  const onDynamo =
    sending.path === '/dynamo'
      ? OPERATIONS[operationMethod]
      : sending.path === '/dynamo/items' && operationMethod === 'GET'
        ? 'listItems'
        : undefined;
  expectContractResponse(onDynamo, response, sending.method);

  const { intent, target } = sending;
  const first = key === undefined ? undefined : remembered.get(key);
  if (sending.expect === 'refuse') {
    expect(response.status, what).toBeGreaterThanOrEqual(400);
    if (sending.status !== undefined) expect(response.status, what).toBe(sending.status);
  } else if (key !== undefined && first !== undefined) {
    // The key was seen with a success: the same request is its replay, another one a 422.
    if (first.signature === signatureOf(sending)) {
      replays += 1;
      expect(response.status, what).toBe(first.response.status);
      expect(response.body, what).toBe(first.response.body);
      expect(response.headers.etag, what).toBe(first.response.headers.etag);
      expect(response.headers.location, what).toBe(first.response.headers.location);
      expect(response.headers['idempotent-replayed'], what).toBe('true');
    } else {
      expect(response.status, what).toBe(422);
    }
  } else if (intent !== undefined && target !== undefined) {
    expect(response.headers['idempotent-replayed'], what).toBeUndefined();
    apply(intent, target, before, conditions, response, sending, what);
    if (key !== undefined && response.status < 300) {
      remembered.set(key, { signature: signatureOf(sending), response });
    }
  }

  if (target !== undefined) {
    const stored = await readStored(table, target);
    const expected = model.get(target);
    expect(comparable(stored), `stored after ${what}`).toEqual(comparable(expected));
  }
}

/** The key of an `Idempotency-Key` header the API takes (an sf-string or a token). */
function keyOf(headers: Readonly<Record<string, string>>): string | undefined {
  const value = headers['idempotency-key']?.trim();
  if (value === undefined) return undefined;
  return value.startsWith('"') ? (JSON.parse(value) as string) : value;
}

/** What makes two requests with one key the same: all but charset parameters, byte for byte. */
function signatureOf(c: Case): string {
  const mediaType = c.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return JSON.stringify([
    c.method,
    c.path,
    c.rawQuery ?? c.query,
    mediaType,
    typeof c.body === 'string' ? c.body : Buffer.from(c.body ?? []).toString('hex'),
    c.headers['if-match'],
    c.headers['if-none-match'],
  ]);
}

/** Writes an item straight into the table, as another program sharing it would. */
async function seed(item: Record<string, AttributeValue>, table: TestTable): Promise<void> {
  await table.client.send(new PutItemCommand({ TableName: table.tableName, Item: item }));
  const stored = await readStored(table, String(item.user_id?.S));
  if (stored !== undefined) model.set(String(item.user_id?.S), stored);
}

function comparable(stored: StoredItem | undefined) {
  return stored === undefined ? undefined : { etag: stored.etag, item: canonical(stored.item) };
}

/**
 * Records that `etag` was answered for `target` in the state `item`, and checks that it never
 * named another (RFC 9110 §8.8.1). Tags without an incarnation are left out: "0" is every state
 * of an item another program wrote without this API's metadata.
 */
function named(target: string, etag: string | undefined, item: unknown, what: string): void {
  if (etag === undefined || !etag.includes('.')) return;
  const answered = history.get(target) ?? new Map<string, unknown>();
  history.set(target, answered);
  const state = canonical(item);
  if (answered.has(etag))
    expect(state, `${etag} names one state: ${what}`).toEqual(answered.get(etag));
  else answered.set(etag, state);
}

/**
 * The ETag a write of `before` answers: the next version of its incarnation, or, for an item
 * without one, of a new incarnation (a matcher).
 */
function nextEtag(before: StoredItem | undefined): string {
  const version = (before?.version ?? 0) + 1;
  return before?.etag.includes('.') ? etagAt(version, before.etag) : etagAt(version);
}

/** Checks the answer to `intent` against the model (when `predict`) and records what it said. */
function apply(
  intent: Intent,
  target: string,
  before: StoredItem | undefined,
  conditions: Conditions,
  response: SeenResponse,
  c: Case,
  what: string,
): void {
  const predict = c.expect === 'predict';
  const { accepts, excludes } = conditions;
  const matches =
    before !== undefined &&
    (accepts === undefined || accepts.includes(before.etag)) &&
    excludes !== '*' &&
    (excludes === undefined || !excludes.includes(before.etag));
  const body = response.status < 300 && response.body !== '' ? parseJson(response.body) : undefined;
  const { etag } = response.headers;
  /** Records the write's answer as what the table holds, and checks its ETag is `expected`. */
  const wrote = (expected: string) => {
    expect(etag, what).toEqual(expected);
    named(target, etag, body, what);
    model.set(target, {
      item: body as JsonValue,
      version: etagParts(etag).version,
      etag: `${etag}`,
    });
  };
  switch (intent.op) {
    case 'create': {
      if (predict) expect(response.status, what).toBe(before === undefined ? 201 : 409);
      if (response.status === 201) {
        expect(before, what).toBeUndefined();
        expect(canonical(body), what).toEqual(canonical(intent.item));
        wrote(etagAt(1));
      }
      return;
    }
    case 'update': {
      if (predict) {
        expect(response.status, what).toBe(before === undefined ? 404 : matches ? 200 : 412);
      }
      if (response.status === 200) {
        expect(before, what).toBeDefined();
        const after = { ...(before?.item as object), [intent.key]: intent.value };
        expect(canonical(body), what).toEqual(canonical(after));
        wrote(nextEtag(before));
      }
      return;
    }
    case 'merge': {
      if (predict) {
        expect(response.status, what).toBe(before === undefined ? 404 : matches ? 200 : 412);
      }
      if (response.status === 200) {
        expect(before, what).toBeDefined();
        const after = mergePatchOf(before?.item, { ...intent.patch, user_id: target });
        expect(canonical(body), what).toEqual(canonical(after));
        wrote(nextEtag(before));
      }
      return;
    }
    case 'get': {
      // If-Match first (412), then If-None-Match (304), RFC 9110 §13.2.2.
      const matchesIfMatch =
        before !== undefined && (accepts === undefined || accepts.includes(before.etag));
      const expected = before === undefined ? 404 : !matchesIfMatch ? 412 : matches ? 200 : 304;
      if (predict) expect(response.status, what).toBe(expected);
      if (response.status === 200 || response.status === 304) {
        if (c.method !== 'HEAD' && response.status === 200) {
          expect(canonical(body), what).toEqual(canonical(before?.item));
        } else {
          expect(response.body, what).toBe('');
        }
        expect(etag, what).toBe(before?.etag);
        named(target, etag, before?.item, what);
      }
      return;
    }
    case 'delete': {
      if (predict) {
        expect(response.status, what).toBe(before === undefined ? 404 : matches ? 200 : 412);
      }
      if (response.status === 200) {
        expect(canonical(body), what).toEqual(canonical(before?.item));
        model.delete(target);
      }
      return;
    }
  }
}

/**
 * RFC 7396 §2's `MergePatch(Target, Patch)`, as the RFC writes it, to predict what a merge patch
 * makes (exact numbers are values, not objects).
 */
function mergePatchOf(target: unknown, patch: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof NumberValue);
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete result[name];
    else result[name] = mergePatchOf(result[name], value);
  }
  return result;
}

// --- the runs -------------------------------------------------------------------------------

const table = useTable();
let app: App;

beforeAll(async () => {
  app = createTestApp(createDynamoDbStore(table.documentClient, table.tableName), {
    maxBodyBytes: MAX_BODY_BYTES,
    idempotency: createTestIdempotency(table),
  });
});

afterAll(() => {
  const summary = [...statuses.entries()].sort(([a], [b]) => a - b);
  console.info(
    `fuzz: ${sent} generated requests (seed ${SEED}), answers by status: ${summary.map(([s, n]) => `${s}×${n}`).join(', ')}; ${replays} replayed for their Idempotency-Key`,
  );
});

/** A case as the tests send any request. */
function toTestRequest(c: Case): TestRequest {
  return {
    method: c.method,
    path: c.path,
    query:
      c.rawQuery ??
      new URLSearchParams(c.query.map(([k, v]): [string, string] => [k, v])).toString(),
    headers: c.headers,
    ...(c.body === undefined ? {} : { body: c.body }),
  };
}

const inProcess: Send = (c) => sendToCore(app, toTestRequest(c));

/** Runs `runs` cases of `arbitrary` with the fixed seed; then the whole table must be the model. */
async function property(arbitrary: fc.Arbitrary<Case>, runs: number, send: Send): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, (c) => run(c, send, table)),
    { seed: SEED, numRuns: runs, endOnFailure: false },
  );
  const stored = await scanStored(table);
  const { model: expected, stored: actual } = sideBySide(model, stored);
  expect(actual).toEqual(expected);
  // And a full listing through the API is the model too, each item once, as a GET reads it.
  const listed = new Map<string, StoredItem>();
  let cursor: string | undefined;
  do {
    const response = await send(
      request('the whole listing', 'GET', {
        path: '/dynamo/items',
        query: [['limit', '37'], ...(cursor === undefined ? [] : [['cursor', cursor] as const])],
        expect: 'any',
      }),
    );
    expectContractResponse('listItems', response);
    // Parsed again, keeping every number exact, to compare with the model.
    const page = parseJson(response.body) as unknown as {
      items: Array<{ item: JsonValue & { user_id: string }; etag: string }>;
      cursor?: string;
    };
    for (const { item, etag } of page.items) {
      expect(listed.has(item.user_id), `${item.user_id} listed twice`).toBe(false);
      const version = Number(/^"(\d+)/.exec(etag)?.[1]);
      listed.set(item.user_id, { item, version, etag });
      named(item.user_id, etag, item, 'the whole listing');
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  expect(sideBySide(listed, new Map()).model).toEqual(sideBySide(model, new Map()).model);
}

/** A generous bound on a run (a few times what it takes on a busy 2-core machine), not a target. */
const RUN_TIMEOUT_MS = 180_000 * SCALE;

describe('generated requests to the core (in-process)', { timeout: RUN_TIMEOUT_MS }, () => {
  it(`${RUNS.valid} valid requests from the contract: each answered as the model predicts`, async () => {
    await property(validRequest, RUNS.valid, inProcess);
  });

  it(`${RUNS.hostile} hostile requests: a 4xx that says why, or stored exactly as answered`, async () => {
    await property(hostileRequest, RUNS.hostile, inProcess);
  });
});

describe('generated requests through the local HTTP server', { timeout: RUN_TIMEOUT_MS }, () => {
  let server: LocalServer;
  let client: HttpClient;

  beforeAll(async () => {
    server = await startTestServer(app);
    client = createHttpClient(server.url);
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  const overHttp: Send = (c) => client.send(toTestRequest(c));

  it(`${RUNS.http} valid and hostile requests over HTTP: the same answers`, async () => {
    const overTheWire = fc.oneof(validRequest, hostileRequest).filter(
      // On the wire text is UTF-8: a raw lone surrogate (from cutting a pair) would arrive as
      // U+FFFD, another request than the one generated; escaped ones are sent as they are.
      // Header values are bytes Node's client sends (no control characters), and a URL over
      // 16 KB gets Node's own bare 431 before the app sees it.
      (c) =>
        (typeof c.body !== 'string' || c.body.isWellFormed()) &&
        c.query.every(([, v]) => v.isWellFormed() && v.length < 8 * KB) &&
        Object.values(c.headers).every((v) => !/[^\t\x20-\x7e]/.test(v)),
    );
    await property(overTheWire, RUNS.http, overHttp);
  });
});
