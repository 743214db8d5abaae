/**
 * The client's table of operations is openapi.yaml's (method, path, body media type, and which
 * ones a repeat cannot harm), and what a call cannot send is refused before sending: only the
 * SDK's documented errors reach the caller.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createClient } from '../src/index.js';
import { OPERATIONS } from '../src/operations.js';

interface ContractOperation {
  operationId: string;
  requestBody?: { content: Record<string, unknown> };
  parameters?: Array<{ $ref?: string; name?: string; in?: string }>;
}
const contract = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, ContractOperation>>;
};
const declared = Object.entries(contract.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([method]) => ['get', 'put', 'post', 'patch', 'delete'].includes(method))
    .map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
);

describe('the operations table', () => {
  it('has every operation of openapi.yaml, and no other', () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual(
      declared.map(({ operation }) => operation.operationId).sort(),
    );
  });

  it.each(declared)(
    'sends $operation.operationId as $method $path',
    ({ path, method, operation }) => {
      const entry = OPERATIONS[operation.operationId as keyof typeof OPERATIONS];
      const mediaTypes = Object.keys(operation.requestBody?.content ?? {});

      expect(entry).toMatchObject({ method, path });
      expect('mediaType' in entry ? [entry.mediaType] : []).toEqual(mediaTypes.slice(0, 1));
      // RFC 9110 §9.2.2: GET, PUT and DELETE are idempotent; this API's PATCH sets one value.
      expect(entry.idempotent).toBe(method !== 'POST');
      // The client sends an Idempotency-Key exactly where the contract takes one.
      const takesKey = (operation.parameters ?? []).some(
        (p) => p.$ref === '#/components/parameters/IdempotencyKey' || p.name === 'Idempotency-Key',
      );
      expect('idempotencyKey' in entry && entry.idempotencyKey).toBe(takesKey);
    },
  );

  it('sends a key with the writes that take one: createItem and updateItem', () => {
    const keyed = Object.entries(OPERATIONS)
      .filter(([, entry]) => 'idempotencyKey' in entry)
      .map(([id]) => id);

    expect(keyed.sort()).toEqual(['createItem', 'updateItem']);
  });
});

describe('what cannot be sent is refused before sending', () => {
  const sent: string[] = [];
  const api = createClient({
    baseUrl: 'http://api.test',
    fetch: async (input) => {
      sent.push(input instanceof Request ? input.url : String(input));
      return new Response('{}');
    },
  });

  it.each([
    ['getItem', () => api.getItem('\uD800')],
    ['deleteItem', () => api.deleteItem('a\uDC00b')],
  ])(
    '%s of a user_id with a lone surrogate is a TypeError, not a URIError',
    async (_name, call) => {
      const error = await call().catch((reason: unknown) => reason);

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(
        /^Query parameter user_id must be well-formed Unicode text or a finite number; got "/,
      );
      expect(sent).toEqual([]);
    },
  );

  it.each([
    ['getItem(undefined)', () => api.getItem(undefined as never), 'undefined'],
    ['deleteItem(undefined)', () => api.deleteItem(undefined as never), 'undefined'],
    ['deleteItem(null)', () => api.deleteItem(null as never), 'null'],
    ['getItem(42)', () => api.getItem(42 as never), '42'],
    ['getItem({})', () => api.getItem({} as never), 'an object'],
  ])('%s is a TypeError naming what was passed, and nothing is sent', async (_call, call, got) => {
    const error = await call().catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(`userId must be a string; got ${got}`);
    expect(sent).toEqual([]);
  });

  it.each([
    [{ limit: null }, 'limit', 'null'],
    [{ limit: Number.NaN }, 'limit', 'NaN'],
    [{ limit: Number.POSITIVE_INFINITY }, 'limit', 'Infinity'],
    [{ cursor: { next: 1 } }, 'cursor', 'an object'],
    [{ cursor: ['a'] }, 'cursor', 'an array'],
    [{ cursor: true }, 'cursor', 'true'],
  ])('listItems(%o) is a TypeError naming the parameter', async (page, name, got) => {
    const error = await api.listItems(page as never).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(
      `Query parameter ${name} must be well-formed Unicode text or a finite number; got ${got}`,
    );
    expect(sent).toEqual([]);
  });

  it.each([
    [
      'createItem(undefined)',
      () => api.createItem(undefined as never),
      'item must be an object; got undefined',
    ],
    ['createItem([])', () => api.createItem([] as never), 'item must be an object; got an array'],
    ['updateItem(null)', () => api.updateItem(null as never), 'update must be an object; got null'],
    ['mergeItem("x")', () => api.mergeItem('x' as never), 'patch must be an object; got "x"'],
    ['listItems(null)', () => api.listItems(null as never), 'page must be an object; got null'],
    ['items(null)', () => api.items(null as never).next(), 'options must be an object; got null'],
    [
      'getItem with timeout 0',
      () => api.getItem('ada', { timeout: 0 }),
      'timeout must be false or a whole number of ms from 1 to 2147483647; got 0',
    ],
    [
      'getItem with timeout NaN',
      () => api.getItem('ada', { timeout: Number.NaN }),
      'timeout must be false or a whole number of ms from 1 to 2147483647; got NaN',
    ],
    [
      'getItem with timeout 1e12',
      () => api.getItem('ada', { timeout: 1e12 }),
      'timeout must be false or a whole number of ms from 1 to 2147483647; got 1000000000000',
    ],
    [
      'updateItem with ifMatch null',
      () =>
        api.updateItem(
          { user_id: 'a', updatedKey: 'b', updatedValue: 1 },
          { ifMatch: null as never },
        ),
      'ifMatch must be the etag of an earlier result, or that result; got null',
    ],
    [
      'deleteItem with ifMatch 1',
      () => api.deleteItem('a', { ifMatch: 1 as never }),
      'ifMatch must be the etag of an earlier result, or that result; got 1',
    ],
  ])(
    '%s is a TypeError that says what to pass, and nothing is sent',
    async (_call, call, message) => {
      const error = await call().catch((reason: unknown) => reason);

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(message);
      expect(sent).toEqual([]);
    },
  );

  it('leaves out a query parameter given as undefined, as JSON leaves out such a member', async () => {
    await api.listItems({ limit: 5, cursor: undefined } as never);

    expect(sent.splice(0)).toEqual(['http://api.test/dynamo/items?limit=5']);
  });

  it.each([
    [{ 'x-tenant': 'blå\u0100' }, /^Header x-tenant cannot be sent/],
    [{ 'x-tenant': 'a\r\nx-injected: 1' }, /^Header x-tenant cannot be sent/],
    [{ 'bad name': 'x' }, /^"bad name" is not a header name/],
  ])('a call with header %j is a TypeError, not a NetworkError', async (headers, message) => {
    const error = await api.getItem('ada', { headers }).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('a client with such a header, or a base URL that is not http(s), is refused at once', () => {
    expect(() => createClient({ baseUrl: 'http://a.test', headers: { 'x-é': '1' } })).toThrow(
      TypeError,
    );
    expect(() => createClient({ baseUrl: 'api.example.com' })).toThrow(
      /^baseUrl must be an http\(s\) URL/,
    );
    expect(() => createClient({ baseUrl: 'ftp://api.example.com' })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: 'http://a.test', timeout: -5 })).toThrow(
      /^timeout must be false or a whole number of ms/,
    );
  });

  it.each([
    [
      'http://api.test/prod?stage=1',
      /^baseUrl must be an http\(s\) URL without query, fragment or user:password@/,
    ],
    [
      'http://api.test/prod#top',
      /^baseUrl must be an http\(s\) URL without query, fragment or user:password@/,
    ],
    [
      'http://api.test/prod?',
      /^baseUrl must be an http\(s\) URL without query, fragment or user:password@/,
    ],
    [
      'http://user:secret@api.test/prod',
      /^baseUrl must be an http\(s\) URL without query, fragment or user:password@/,
    ],
  ])(
    "a base URL such as %s, where a call's path cannot go, is refused at once",
    (baseUrl, message) => {
      expect(() => createClient({ baseUrl })).toThrow(message);
    },
  );

  it('a header from a function given to the client is checked before each attempt', async () => {
    const bad = createClient({
      baseUrl: 'http://api.test',
      headers: () => ({ 'x-tenant': 'line\nbreak' }),
      fetch: async () => new Response('{}'),
    });

    await expect(bad.getItem('ada')).rejects.toThrow(/^Header x-tenant cannot be sent/);
  });
});
