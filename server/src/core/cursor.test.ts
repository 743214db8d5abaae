import { describe, expect, it } from 'vitest';
import { parseOpenApi } from '../openapi.js';
import { createCursorCodec } from './cursor.js';
import { ValidationError } from './problems.js';

const KEY = 'a-signing-key-for-these-tests-only';

describe('a listing cursor', () => {
  const codec = createCursorCodec(KEY);

  it.each(['ada', '', 'a.b', 'ü 😀', 'x'.repeat(512)])('carries %j there and back', (userId) => {
    expect(codec.decode(codec.encode(userId))).toBe(userId);
  });

  it.each([
    ['control characters', '\u0001'.repeat(512)],
    ['quotes', '"'.repeat(512)],
    ['three-byte characters', '€'.repeat(512)],
    ['emoji', '😀'.repeat(256)],
  ])('of the longest user_id, of %s, fits the contract and works', (_what, userId) => {
    const parameters = parseOpenApi().paths?.['/dynamo/items']?.get?.parameters ?? [];
    const cursor = parameters.find((p) => 'name' in p && p.name === 'cursor') as
      | { schema: { maxLength: number } }
      | undefined;

    const encoded = codec.encode(userId);

    expect(encoded.length).toBeLessThanOrEqual(cursor?.schema.maxLength ?? 0);
    expect(codec.decode(encoded)).toBe(userId);
  });

  it('is opaque: no dots or characters a query string would need to escape but its own', () => {
    expect(codec.encode('a/b?c=d&e')).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
  });

  it.each([
    ['another key', createCursorCodec(`${KEY}-2`).encode('ada')],
    [
      'a changed payload',
      `v1.${Buffer.from('bob').toString('base64url')}.${codec.encode('ada').split('.')[2]}`,
    ],
    ['a cut mac', codec.encode('ada').slice(0, -1)],
    ['no mac', codec.encode('ada').split('.').slice(0, 2).join('.')],
    ['another version', codec.encode('ada').replace(/^v1/, 'v9')],
    ['a part too many', `${codec.encode('ada')}.x`],
    ['not base64url', 'v1.@@@.@@@'],
  ])('refuses %s, naming the cursor parameter', (_what, cursor) => {
    expect(() => codec.decode(cursor)).toThrow(ValidationError);
    try {
      codec.decode(cursor);
    } catch (error) {
      expect((error as ValidationError).errors?.[0]?.parameter).toBe('cursor');
    }
  });
});
