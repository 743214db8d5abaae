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
      sent.push(String(input));
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
      expect((error as Error).message).toBe(
        'Query parameter user_id is not well-formed Unicode (it has a lone surrogate), so it cannot be sent in a URL',
      );
      expect(sent).toEqual([]);
    },
  );

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
  });

  it('a header from a function given to the client is checked before each attempt', async () => {
    const bad = createClient({
      baseUrl: 'http://api.test',
      headers: () => ({ 'x-tenant': 'line\nbreak' }),
      fetch: async () => new Response('{}'),
    });

    await expect(bad.getItem('ada')).rejects.toThrow(/^Header x-tenant cannot be sent/);
  });
});
