import { describe, expect, it } from 'vitest';
import { etag, parseIfMatch } from './conditional.js';

describe('etag', () => {
  it('is the version as a strong entity tag', () => {
    expect(etag(0)).toBe('"0"');
    expect(etag(42)).toBe('"42"');
  });
});

describe('parseIfMatch', () => {
  it.each([
    [undefined, undefined, 'no header: any version'],
    ['*', undefined, 'any existing item'],
    [' * ', undefined, 'with spaces'],
    ['"3"', [3], 'one strong tag'],
    ['"3", "4"', [3, 4], 'a list'],
    ['"3","4"', [3, 4], 'a list without spaces'],
    ['W/"3"', [], 'a weak tag never matches a write (RFC 9110 §13.1.1)'],
    ['"abc"', [], 'a tag this API never sends'],
    ['"3", W/"4", "x"', [3], 'only the strong numeric tags count'],
    ['"1234567890123456"', [], 'more digits than a version has'],
  ])('%j accepts %j (%s)', (header, versions, _why) => {
    expect(parseIfMatch(header)).toEqual(versions);
  });
});
