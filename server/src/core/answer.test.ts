/** What an answer's body takes inside a Lambda proxy result. */
import { describe, expect, it } from 'vitest';
import { answerText, carriedBytes } from './answer.js';
import { NumberValue } from './json.js';

describe('answers', () => {
  it('spells a body one way: user_id first, members by code point, numbers canonical', () => {
    expect(answerText({ b: 1, user_id: 'u', a: { z: NumberValue.from('1e+21'), y: [2] } })).toBe(
      '{"user_id":"u","a":{"y":[2],"z":1e+21},"b":1}',
    );
  });

  it('counts a body as the JSON string a Lambda result carries it in: UTF-8, " and \\ escaped', () => {
    // 12 characters, é two bytes in UTF-8, and five " and one \ written with a backslash.
    expect(carriedBytes('{"s":"a\\"é"}')).toBe(19);
    expect(carriedBytes('')).toBe(0);
  });
});
