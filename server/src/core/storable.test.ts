import { describe, expect, it } from 'vitest';
import { parseJson } from './json.js';
import { checkAttributeName, checkStorable, escapePointer } from './storable.js';

describe('checkStorable', () => {
  it('accepts what DynamoDB holds: 38 digits, 1e-130 to under 1e126, 32 levels', () => {
    const value = parseJson(
      `{"n":12345678901234567890123456789012345678,"big":9.9e125,"small":1e-130,"deep":${'['.repeat(31)}1${']'.repeat(31)}}`,
    );

    expect(checkStorable(value, '', 0)).toEqual([]);
  });

  it.each([
    ['{"n":1e126}', '/n', /larger in magnitude/],
    ['{"n":1e-131}', '/n', /smaller in magnitude/],
    ['{"n":123456789012345678901234567890123456789}', '/n', /38 significant digits/],
    ['{"s":"\\ud800"}', '/s', /lone UTF-16 surrogate/],
    ['{"m":{"":1}}', '/m/', /is an empty name/],
    ['{"@v":1}', '/@v', /reserved/],
    ['{"a/b":{"~":"\\udfff"}}', '/a~1b/~0', /lone UTF-16 surrogate/],
  ])('refuses %s at %s', (json, pointer, detail) => {
    const errors = checkStorable(parseJson(json), '', 0);

    expect(errors).toEqual([{ pointer, detail: expect.stringMatching(detail) }]);
  });

  it('refuses nesting past 32 levels, counting the item', () => {
    const errors = checkStorable(parseJson(`{"d":${'['.repeat(32)}1${']'.repeat(32)}}`), '', 0);

    expect(errors[0]?.detail).toMatch(/32 levels/);
  });

  it('stops at 20 problems', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`@${i}`, 1]));

    expect(checkStorable(many, '', 0)).toHaveLength(20);
  });
});

describe('checkAttributeName', () => {
  it.each([
    ['name', undefined],
    ['a.b', undefined],
    ['', /empty/],
    ['__proto__', /not allowed/],
    ['@version', /reserved/],
    ['\ud800', /surrogate/],
  ])('%j: %s', (name, problem) => {
    const found = checkAttributeName(name);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});

describe('escapePointer', () => {
  it('escapes ~ then / (RFC 6901 §3)', () => {
    expect(escapePointer('a/b~c')).toBe('a~1b~0c');
  });
});
