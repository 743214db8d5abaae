/** Lossless JSON: the parse and stringify pair that lets numbers round-trip exactly. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalNumber,
  fromDecimalText,
  inCanonicalOrder,
  isExactAsNumber,
  NestingTooDeepError,
  NumberValue,
  parseJson,
  stringifyJson,
  toDecimal,
} from './json.js';

describe('parseJson then stringifyJson', () => {
  it.each([
    '{"a":1,"b":-2.5,"c":[0,1e-7,123456789012345]}',
    '{"big":1.2345678901234567890123456789e+29,"int":123456789012345678901}',
    '{"precise":0.12345678901234567890123456789}',
    '[9007199254740993,-9007199254740993]',
    '{"s":"12345678901234567890 in a string stays a string","n":12345678901234567890}',
    '{"escaped":"quote \\" then 12345678901234567890","n":1}',
    '"just a string"',
    'null',
  ])('gives back %s unchanged', (text) => {
    expect(stringifyJson(parseJson(text))).toBe(text);
  });

  it.each([
    ['1e21', '1e+21'],
    ['1e125', '1e+125'],
    ['-1E+125', '-1e+125'],
    ['12345678901234567890123', '1.2345678901234567890123e+22'],
    ['123456789012345678901', '123456789012345678901'],
    ['1.23456789012345678e-5', '0.0000123456789012345678'],
    ['1.23456789012345678e-7', '1.23456789012345678e-7'],
    ['0.0000001234567890123456789', '1.234567890123456789e-7'],
    ['1e-130', '1e-130'],
    ['9.9999999999999999999999999999999999999e3', '9999.9999999999999999999999999999999999'],
    ['-0.0012345678901234567890e2', '-0.1234567890123456789'],
    ['0.000e99', '0'],
    ['-0e0', '0'],
    ['12345678901234567890.000', '12345678901234567890'],
    // Far past any DynamoDB number: spelled short, for the storable check to refuse.
    ['1e-999999999999', '1e-999999999999'],
    ['-1E+999999999999', '-1e+999999999999'],
    ['10e1300', '1e+1301'],
  ])('spells a number one way, as ECMAScript spells numbers: %s as %s', (number, canonical) => {
    expect(canonicalNumber(number)).toBe(canonical);
    expect(stringifyJson(parseJson(`{"n":${number}}`))).toBe(`{"n":${canonical}}`);
    expect(fromDecimalText(number).toString()).toBe(canonical);
  });

  it('spells a number a double holds as JSON.stringify does, whatever spelling it came in', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: -3, max: 3 }),
        (n, shift) => {
          // The same value spelled another way: the point moved, the exponent made up for it.
          const [mantissa = '', exponent = '0'] = String(n).split('e');
          const [int = '', frac = ''] = mantissa.split('.');
          const digits = `${int}${frac}`.replace('-', '');
          const point = int.replace('-', '').length + shift;
          const moved =
            point <= 0
              ? `0.${'0'.repeat(-point)}${digits}`
              : `${digits.padEnd(point, '0').slice(0, point)}.${digits.slice(point) || '0'}`;
          const spelled = `${n < 0 || Object.is(n, -0) ? '-' : ''}${moved}e${Number(exponent) - shift}`;
          expect(canonicalNumber(spelled)).toBe(JSON.stringify(n));
        },
      ),
    );
  });

  it('keeps a number written with the largest and smallest powers of ten DynamoDB holds short', () => {
    // 65,000 of 1e125 spelled in plain notation were 8 MB: past what a Lambda answers.
    const body = `{"user_id":"amp","n":[${Array(65_000).fill('1e125').join(',')}]}`;

    const answer = stringifyJson(parseJson(body));

    expect(answer).toBe(`{"user_id":"amp","n":[${Array(65_000).fill('1e+125').join(',')}]}`);
    expect(Buffer.byteLength(answer)).toBe(Buffer.byteLength(body) + 65_000);
  });

  it('keeps the spelling of a number whose power of ten no number holds exactly', () => {
    expect(canonicalNumber('1e99999999999999999999')).toBe('1e99999999999999999999');
  });

  it('keeps a member named __proto__ as data when it puts members in order', () => {
    const value = parseJson('{"b":1,"__proto__":{"x":1},"user_id":"u"}');

    const ordered = inCanonicalOrder(value, ['user_id']);

    expect(Object.getPrototypeOf(ordered)).toBe(Object.prototype);
    expect(stringifyJson(ordered)).toBe('{"user_id":"u","__proto__":{"x":1},"b":1}');
  });

  it('keeps plain numbers as numbers and the rest as NumberValue', () => {
    const value = parseJson('{"small":42,"big":12345678901234567890}') as Record<string, unknown>;

    expect(value.small).toBe(42);
    expect(value.big).toBeInstanceOf(NumberValue);
    expect((value.big as NumberValue).value).toBe('12345678901234567890');
  });

  it('does not let a string that looks like the internal marker become a number', () => {
    const text = '{"s":"\\u0001abc:123"}';

    expect(parseJson(text)).toEqual({ s: '\u0001abc:123' });
  });

  it('throws SyntaxError on malformed input, like JSON.parse', () => {
    expect(() => parseJson('{"a":12345678901234567890')).toThrow(SyntaxError);
    expect(() => parseJson('{"a":')).toThrow(SyntaxError);
  });

  it.each([
    '01234567890123456789',
    '00012345678901234567890',
    '-.5e30',
    '1.e30',
    '-01e30',
    '0001e30',
    '1e+',
    '--5e30',
    '5e30e2',
    '1-2e30',
  ])('throws SyntaxError on %s, which is no JSON number (RFC 8259 §6), however long', (number) => {
    expect(() => parseJson(`{"n":${number}}`)).toThrow(SyntaxError);
    expect(() => parseJson(`{"n":${number}}`)).not.toThrow(NestingTooDeepError);
  });

  it('refuses nesting past maxDepth, naming where, before any recursion (a reviver included)', () => {
    const deep = `{"n":1e30,"d":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;

    expect(() => parseJson(deep)).toThrow(new NestingTooDeepError(`/d${'/0'.repeat(999)}`, 1000));
    expect(() => parseJson('{"a":{"b":[[1]]}}', { maxDepth: 3 })).toThrow(
      expect.objectContaining({ pointer: '/a/b/0', maxDepth: 3 }),
    );
    expect(parseJson('{"a":{"b":[1]}}', { maxDepth: 3 })).toEqual({ a: { b: [1] } });
  });

  it('says a malformed text is malformed before saying it nests too deep', () => {
    const deep = `{"n":01234567890123456789,"d":${'['.repeat(2_000)}${']'.repeat(2_000)}}`;

    expect(() => parseJson(deep)).toThrow(SyntaxError);
    expect(() => parseJson(deep)).not.toThrow(NestingTooDeepError);
  });

  it('marks an exponent that underflows a double instead of turning it into 0', () => {
    const value = parseJson('{"n":1e-400}') as Record<string, unknown>;

    expect(value.n).toEqual(NumberValue.from('1e-400'));
  });
});

describe('decimal helpers', () => {
  it.each([
    ['0', { digits: '', exponent: 0 }],
    ['-0.0012300', { digits: '123', exponent: -3 }],
    ['1e100', { digits: '1', exponent: 100 }],
    ['12.5E-3', { digits: '125', exponent: -2 }],
  ])('toDecimal(%s)', (text, expected) => {
    expect(toDecimal(text)).toEqual(expected);
  });

  it.each([
    ['0.1', true],
    ['9007199254740991', true],
    ['9007199254740993', false],
    ['1e400', false],
    ['0.30000000000000004', true],
    ['0.300000000000000041', false],
  ])('isExactAsNumber(%s) is %s', (text, exact) => {
    expect(isExactAsNumber(text)).toBe(exact);
  });

  it('turns DynamoDB number text into the most natural exact value, in the one spelling', () => {
    expect(fromDecimalText('3.25')).toBe(3.25);
    expect(fromDecimalText('123456789012345678901')).toEqual(
      NumberValue.from('123456789012345678901'),
    );
    // DynamoDB Local's BigDecimal spelling and dynalite's plain one give the same value.
    expect(fromDecimalText('1.2345678901234567890123E+22')).toEqual(
      NumberValue.from('1.2345678901234567890123e+22'),
    );
    expect(fromDecimalText('12345678901234567890123')).toEqual(
      NumberValue.from('1.2345678901234567890123e+22'),
    );
  });
});
