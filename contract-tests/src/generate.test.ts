import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { typedItemContract } from '../../server/test/support/typed-contract.js';
import { type Contract, readContract } from './contract.js';
import { createGenerator, type PlannedRequest, UnsatisfiableSchemaError } from './generate.js';
import { xml } from './report.js';
import { createSchemaCheck } from './schemas.js';

const seedDocument = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
/** README "Make it yours"'s worked example: a typed `Item`, with a rule about the whole item. */
const typedDocument = parse(typedItemContract()) as object;
const document = seedDocument;
const contract = readContract(document);
const check = createSchemaCheck(document);
const KEYS = ['run-g0', 'run-g1'];
const generator = (seed = 1) =>
  createGenerator({ contract, check, keyName: 'user_id', keys: KEYS, seed });

function partsOf(request: PlannedRequest, of: Contract = contract) {
  const operation = of.operation(request.operationId);
  const query = new Map<string, string[]>();
  for (const [name, value] of request.query) query.set(name, [...(query.get(name) ?? []), value]);
  return {
    operation,
    query,
    body: request.body === undefined ? undefined : (JSON.parse(request.body) as unknown),
  };
}

describe('generated requests', () => {
  it.each(contract.operations.map((o) => [o.id, o] as const))(
    'valid ones for %s: every part an instance of its schema, every key one of the run',
    (_id, operation) => {
      const requests = generator().valid(operation, 40);

      expect(requests).toHaveLength(40);
      for (const request of requests) {
        const { query, body } = partsOf(request);
        for (const p of operation.parameters) {
          const value =
            p.in === 'query' ? query.get(p.name)?.[0] : request.headers[p.name.toLowerCase()];
          if (value === undefined) {
            expect(p.required, `${request.description}: ${p.name}`).toBe(false);
            continue;
          }
          const typed = p.schema.type === 'integer' ? Number(value) : value;
          expect(check(p.schema, typed), `${p.name}=${value}`).toEqual([]);
          if (p.name === 'user_id') expect(KEYS).toContain(value);
        }
        if (operation.body !== undefined) {
          const schema = operation.body.content.get(request.headers['content-type'] ?? '');
          expect(schema, request.description).toBeDefined();
          expect(check(schema ?? {}, body), request.body).toEqual([]);
          expect(KEYS).toContain((body as { user_id: string }).user_id);
        }
      }
    },
  );

  it('covers an operation beyond the seed four, leaving out tokens it cannot make up', () => {
    const listing = contract.operation('listItems');

    const valid = generator().valid(listing, 30);
    const hostile = generator()
      .hostile(listing, 30)
      .map((r) => r.description);

    expect(valid.every((r) => r.method === 'GET' && r.path === '/dynamo/items')).toBe(true);
    expect(valid.some((r) => r.query.some(([name]) => name === 'limit'))).toBe(true);
    expect(valid.flatMap((r) => r.query).filter(([name]) => name === 'cursor')).toEqual([]);
    expect(new Set(hostile)).toEqual(
      new Set([
        'hostile: query parameter limit is not a number',
        'hostile: query parameter limit is over 100',
        'hostile: query parameter limit is under 1',
        'hostile: query parameter cursor is 4097 characters long',
        'hostile: query parameter cursor is empty',
      ]),
    );
  });

  it('breaks exactly one part of a hostile request, in a way its schema refuses', () => {
    const update = contract.operation('updateItem');
    const schemaOf = (mediaType: string | undefined) =>
      update.body?.content.get(mediaType ?? 'application/json') ?? {};
    /** The header parameters updateItem lists, with their schemas. */
    const headers: Record<string, object> = {
      'if-match': { type: 'string', maxLength: 1024 },
      'if-none-match': { type: 'string', maxLength: 1024 },
      'idempotency-key': { type: 'string', minLength: 1, maxLength: 512 },
    };

    const requests = generator().hostile(update, 200);

    const kinds = new Set(requests.map((r) => r.description));
    expect(kinds.size).toBeGreaterThan(8);
    // Both media types PATCH takes have their bodies broken; a body is also sent as another.
    expect([...kinds].some((k) => k.includes('application/merge-patch+json'))).toBe(true);
    expect(requests.some((r) => r.expectStatus === 415)).toBe(true);
    for (const request of requests) {
      const schema = schemaOf(request.headers['content-type']);
      if (request.description.includes('not JSON')) {
        expect(() => JSON.parse(request.body ?? '')).toThrow();
      } else if (request.expectStatus === 415) {
        expect(request.headers['content-type']).toBe('text/plain; charset=utf-8');
        // A body valid as the media type it was made for, sent as another.
        const madeFor = /^hostile: the (\S+) body sent as text\/plain$/.exec(
          request.description,
        )?.[1];
        expect(check(schemaOf(madeFor), JSON.parse(request.body ?? ''))).toEqual([]);
      } else if (/\bheader \S+/.test(request.description)) {
        const name = (/\bheader (\S+)/.exec(request.description)?.[1] ?? '').toLowerCase();
        expect(Object.keys(headers)).toContain(name);
        expect(check(headers[name] ?? {}, request.headers[name])).not.toEqual([]);
      } else {
        expect(check(schema, JSON.parse(request.body ?? 'null')), request.description).not.toEqual(
          [],
        );
      }
    }
    // A key that is not one of the run's is one no item can have.
    for (const request of requests.filter((r) => !r.description.includes('not JSON'))) {
      const key = (JSON.parse(request.body ?? '{}') as { user_id?: unknown } | null)?.user_id;
      if (typeof key === 'string' && key !== '' && key.length <= 512) expect(KEYS).toContain(key);
    }
  });

  it('repeats itself for a seed, and not for another', () => {
    const create = contract.operation('createItem');

    expect(generator(7).valid(create, 10)).toEqual(generator(7).valid(create, 10));
    expect(generator(7).hostile(create, 10)).toEqual(generator(7).hostile(create, 10));
    expect(generator(8).valid(create, 10)).not.toEqual(generator(7).valid(create, 10));
  });
});

describe('generated requests for a typed Item (README "Make it yours")', () => {
  const typed = readContract(typedDocument);
  const typedCheck = createSchemaCheck(typedDocument);
  const typedGenerator = createGenerator({
    contract: typed,
    check: typedCheck,
    keyName: 'user_id',
    keys: KEYS,
    seed: 1,
  });
  const ITEM = '#/components/schemas/Item';
  const attribute = (name: string) => `${ITEM}/properties/${name}`;
  const DECLARED = [
    'name',
    'email',
    'plan',
    'seats',
    'visits',
    'balance',
    'verified',
    'joinedAt',
    'nickname',
    'address',
    'tags',
  ];

  it.each(typed.operations.map((o) => [o.id, o] as const))(
    'valid ones for %s: each body valid, and the item writes as Item takes them',
    (_id, operation) => {
      const requests = typedGenerator.valid(operation, 40);

      expect(requests).toHaveLength(40);
      for (const request of requests) {
        const { body } = partsOf(request, typed);
        if (body === undefined) continue;
        const mediaType = request.headers['content-type'] ?? '';
        expect(typedCheck(operation.body?.content.get(mediaType) ?? {}, body)).toEqual([]);
        const { user_id: key, ...members } = body as Record<string, unknown>;
        expect(KEYS).toContain(key);
        if (mediaType === 'application/merge-patch+json') {
          for (const [name, value] of Object.entries(members)) {
            expect(DECLARED).toContain(name);
            if (value !== null) expect(typedCheck(attribute(name), value), name).toEqual([]);
          }
        } else if ('updatedKey' in members) {
          const { updatedKey, updatedValue } = members as {
            updatedKey: string;
            updatedValue: unknown;
          };
          expect(DECLARED).toContain(updatedKey);
          expect(typedCheck(attribute(updatedKey), updatedValue), updatedKey).toEqual([]);
        }
      }
    },
  );

  it('draws items from both branches of its anyOf: a team plan with seats, and the others', () => {
    const items = typedGenerator
      .valid(typed.operation('createItem'), 60)
      .map((r) => JSON.parse(r.body ?? '{}') as { plan?: string; seats?: number });

    expect(items.every((item) => typedCheck(ITEM, item).length === 0)).toBe(true);
    expect(items.some((item) => item.plan === 'team' && item.seats !== undefined)).toBe(true);
    expect(items.some((item) => item.plan === 'free' || item.plan === 'pro')).toBe(true);
  });

  it.each([
    ['a `not` that refuses every item', { not: { required: ['user_id'] } }, 'must NOT be valid'],
    [
      'an anyOf whose only branch wants a plan the enum does not have',
      { anyOf: [{ required: ['plan'], properties: { plan: { enum: ['gold'] } } }] },
      'must be equal to one of the allowed values',
    ],
  ])('gives up on %s, naming the schema and what was wrong', (_what, rule, problem) => {
    const impossible = structuredClone(typedDocument) as {
      components: { schemas: { Item: Record<string, unknown> } };
    };
    Object.assign(impossible.components.schemas.Item, rule);
    const strict = createGenerator({
      contract: readContract(impossible),
      check: createSchemaCheck(impossible),
      keyName: 'user_id',
      keys: KEYS,
      seed: 1,
    });

    const attempt = () => strict.valid(readContract(impossible).operation('createItem'), 1);

    expect(attempt).toThrow(UnsatisfiableSchemaError);
    expect(attempt).toThrow(
      /^could not generate a value valid against the createItem application\/json body \(#\/components\/schemas\/Item\) in 200 attempts; the last one: .+/,
    );
    expect(attempt).toThrow(problem);
  });
});

describe('JUnit XML text', () => {
  it('escapes markup and writes characters XML 1.0 cannot carry as \\u escapes', () => {
    expect(xml('<a href="x">&</a>\n')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;&#10;');
    expect(xml('nul\u0000 bell\u0007 lone\ud800 é😀')).toBe(
      'nul\\u0000 bell\\u0007 lone\\ud800 é😀',
    );
  });
});
