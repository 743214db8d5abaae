/**
 * Nothing changes on the way without the caller choosing it. Values JSON cannot carry are a
 * `TypeError` before anything is sent; numbers the API keeps exactly (38 significant digits)
 * are either refused by a client of `number`s or kept exactly by one with `numbers: 'exact'`.
 * Against the real local server: what was sent and what the server then holds are read back
 * past the SDK, as text.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createClient,
  ExactNumber,
  isResponseError,
  type NumberMode,
  type ResponseError,
} from '../src/index.js';
import { parseJson, toJson } from '../src/json.js';
import { recordingFetch, useLocalApi } from './support/local-api.js';
import { rejection } from './support/rejection.js';

const newId = () => `n-${randomUUID()}`;

describe('values JSON cannot carry', () => {
  class Point {
    constructor(readonly x: number) {}
  }
  it.each([
    ['NaN', { user_id: 'a', x: Number.NaN }, /^Field \/x is NaN: JSON has no such value/],
    ['Infinity', { user_id: 'a', x: Number.POSITIVE_INFINITY }, /^Field \/x is Infinity/],
    [
      '1e400, a number literal that is Infinity',
      // biome-ignore lint/correctness/noPrecisionLoss: the issue's input: 1e400 as a number is Infinity.
      { user_id: 'a', x: 1e400 },
      /Field \/x is Infinity/,
    ],
    [
      '-Infinity, deep',
      { user_id: 'a', m: { l: [1, -Infinity] } },
      /^Field \/m\/l\/1 is -Infinity/,
    ],
    ['a bigint', { user_id: 'a', x: 10n }, /^Field \/x is the bigint 10: .*numbers: 'exact'/],
    ['an ExactNumber', { user_id: 'a', x: new ExactNumber('1.5') }, /Field \/x is an ExactNumber/],
    ['undefined in an array', { user_id: 'a', l: [1, undefined] }, /^Field \/l\/1 is undefined/],
    ['a function', { user_id: 'a', f: () => 1 }, /^Field \/f is a function/],
    ['a symbol', { user_id: 'a', s: Symbol('s') }, /^Field \/s is a symbol/],
    [
      'a Map',
      { user_id: 'a', m: new Map([['k', 1]]) },
      /^Field \/m is a Map: .*Object\.fromEntries/,
    ],
    ['a Set', { user_id: 'a', s: new Set([1]) }, /^Field \/s is a Set/],
    ['a typed array', { user_id: 'a', b: new Uint8Array([1]) }, /^Field \/b is a Uint8Array/],
    ['a class instance', { user_id: 'a', p: new Point(1) }, /^Field \/p is a Point/],
    ['a name with / and ~', { user_id: 'a', 'a/b~c': Number.NaN }, /^Field \/a~1b~0c is NaN/],
  ])('refuses %s with a TypeError naming the field', (_what, value, message) => {
    expect(() => toJson(value, 'number')).toThrow(TypeError);
    expect(() => toJson(value, 'number')).toThrow(message);
  });

  it('refuses a bare NaN, naming the value', () => {
    expect(() => toJson(Number.NaN, 'number')).toThrow(/^The value is NaN/);
    expect(() => toJson(undefined, 'number')).toThrow(/^The value is undefined/);
  });

  it('sends what JSON carries unchanged: toJSON, null, nested plain objects, prototype-less objects', () => {
    const bare = Object.assign(Object.create(null) as object, { k: 1 });
    const value = { d: new Date(0), n: null, o: { a: [1, 'two', true] }, bare, absent: undefined };

    expect(toJson(value, 'number')).toBe(
      '{"d":"1970-01-01T00:00:00.000Z","n":null,"o":{"a":[1,"two",true]},"bare":{"k":1}}',
    );
  });

  it("sends a bigint and an ExactNumber as the numbers they are with numbers: 'exact'", () => {
    const value = {
      big: -12345678901234567890123n,
      dec: new ExactNumber('0.12345678901234567890123456789012345678'),
      l: [1n, { s: 'text "quoted" \u0001 too' }],
    };

    expect(toJson(value, 'exact')).toBe(
      '{"big":-12345678901234567890123,"dec":0.12345678901234567890123456789012345678,"l":[1,{"s":"text \\"quoted\\" \\u0001 too"}]}',
    );
  });

  it('ExactNumber takes JSON numbers only', () => {
    expect(new ExactNumber('-1.5e-7').value).toBe('-1.5e-7');
    for (const text of ['1.', '.5', '0x1', '01', 'NaN', '1e', '', ' 1']) {
      expect(() => new ExactNumber(text), text).toThrow(TypeError);
    }
  });
});

describe('numbers in answers', () => {
  const text =
    '{"safe":9007199254740991,"big":12345678901234567890123,"neg":-12345678901234567890123,' +
    '"e":1.2e30,"pow":1152921504606846976,"dec":0.12345678901234567890123456789012345678,' +
    '"short":0.1,"s":"12345678901234567890123","list":[1.5e-400]}';

  it("with numbers: 'number', a number a number would change is refused, saying which", () => {
    expect(() => parseJson(text, 'number')).toThrow(
      /^the answer holds the number 12345678901234567890123, .*numbers: 'exact'/,
    );
  });

  it("with numbers: 'number', numbers a number holds unchanged are read as usual", () => {
    expect(parseJson('{"a":1,"b":0.1,"c":1e300,"d":9007199254740992,"e":-0}', 'number')).toEqual({
      a: 1,
      b: 0.1,
      c: 1e300,
      d: 9007199254740992,
      e: -0,
    });
    // 2^60 is a double, but JSON.stringify writes it 1152921504606847000: refused too.
    expect(() => parseJson('[1152921504606846976]', 'number')).toThrow(/1152921504606846976/);
  });

  it("with numbers: 'exact', integers beyond 2^53 are bigints and long decimals ExactNumbers", () => {
    const value = parseJson(text, 'exact') as Record<string, unknown>;

    expect(value).toEqual({
      safe: 9007199254740991,
      big: 12345678901234567890123n,
      neg: -12345678901234567890123n,
      e: 1200000000000000000000000000000n,
      pow: 1152921504606846976n,
      dec: new ExactNumber('0.12345678901234567890123456789012345678'),
      short: 0.1,
      s: '12345678901234567890123',
      list: [new ExactNumber('1.5e-400')],
    });
    expect(toJson(value, 'exact')).toBe(
      '{"safe":9007199254740991,"big":12345678901234567890123,"neg":-12345678901234567890123,' +
        '"e":1200000000000000000000000000000,"pow":1152921504606846976,' +
        '"dec":0.12345678901234567890123456789012345678,"short":0.1,"s":"12345678901234567890123","list":[1.5e-400]}',
    );
  });

  it('never mistakes a string for a number, and reports malformed JSON as such', () => {
    expect(parseJson('{"a":"\\u00011e400","b":1e400,"c":1.5e-400}', 'exact')).toEqual({
      a: '\u00011e400',
      b: 10n ** 400n,
      c: new ExactNumber('1.5e-400'),
    });
    expect(() => parseJson('{"a":12345678901234567890123,}', 'number')).toThrow(SyntaxError);
    expect(() => parseJson('{"a":1.2.3}', 'exact')).toThrow(SyntaxError);
  });
});

describe('numbers through the local server', () => {
  const server = useLocalApi();
  const client = (numbers?: NumberMode) => {
    const recorder = recordingFetch();
    const api = createClient({
      baseUrl: server.url,
      fetch: recorder.fetch,
      ...(numbers === undefined ? {} : { numbers }),
    });
    return { api, exchanges: recorder.exchanges };
  };
  /** The item as the server holds it, as JSON text, read past the SDK. */
  const stored = async (userId: string) =>
    (await fetch(`${server.url}/dynamo?user_id=${encodeURIComponent(userId)}`)).text();
  const storeRaw = (body: string) =>
    fetch(`${server.url}/dynamo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it.each([
    ['NaN', Number.NaN],
    // biome-ignore lint/correctness/noPrecisionLoss: the issue's input: 1e400 as a number is Infinity.
    ['1e400', 1e400],
    ['10n', 10n],
  ])('createItem({ user_id, x: %s }) is a TypeError and sends nothing', async (_what, x) => {
    const { api, exchanges } = client();
    const userId = newId();

    const error = await rejection(api.createItem({ user_id: userId, x }));

    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^Field \/x is /);
    expect(exchanges).toHaveLength(0);
    expect(await stored(userId)).toMatch(/not-found/);
  });

  it('updateItem with a value JSON cannot carry is a TypeError and sends nothing', async () => {
    const { api, exchanges } = client();

    const error = await rejection(
      api.updateItem({ user_id: newId(), updatedKey: 'n', updatedValue: Number.NaN }),
    );

    expect((error as Error).message).toMatch(/^Field \/updatedValue is NaN/);
    expect(exchanges).toHaveLength(0);
  });

  it('getItem of 12345678901234567890123 is a ResponseError, never 1.2345678901234568e+22', async () => {
    const userId = newId();
    await storeRaw(`{"user_id":"${userId}","n":12345678901234567890123}`);

    const error = await rejection(client().api.getItem(userId));

    expect(isResponseError(error)).toBe(true);
    expect((error as ResponseError).written).toBe(false);
    // The API spells it as ECMAScript spells numbers of 22 digits and more.
    expect((error as Error).message).toContain(
      'the answer holds the number 1.2345678901234567890123e+22',
    );
  });

  it('a write whose answer holds such a number says that it was written', async () => {
    const userId = newId();
    await storeRaw(`{"user_id":"${userId}","n":12345678901234567890123}`);

    const error = await rejection(
      client().api.updateItem({ user_id: userId, updatedKey: 'v', updatedValue: 1 }),
    );

    expect(error).toMatchObject({ name: 'ResponseError', status: 200, written: true });
    expect((error as Error).message).toMatch(/and the write happened, .*Do not send it again/);
    expect(await stored(userId)).toBe(
      `{"user_id":"${userId}","n":1.2345678901234567890123e+22,"v":1}`,
    );
  });

  it("with numbers: 'exact', big integers and 38-digit decimals round-trip: read, then written back", async () => {
    const { api } = client('exact');
    const userId = newId();
    const big = 12345678901234567890123n;
    const huge = -(10n ** 125n);
    const dec = new ExactNumber('-0.12345678901234567890123456789012345678');
    const tiny = new ExactNumber('1.2345678901234567890123456789012345678e-130');
    await api.createItem({ user_id: userId, big, huge, dec, tiny, small: 2 });

    const read = await api.getItem(userId);
    await api.updateItem(
      { user_id: userId, updatedKey: 'copy', updatedValue: read.item.big },
      { ifMatch: read },
    );

    expect(read.item).toEqual({ user_id: userId, big, huge, dec, tiny, small: 2 });
    // Sent in plain notation (huge as 126 digits), kept in ECMAScript's spelling.
    expect(await stored(userId)).toBe(
      `{"user_id":"${userId}","big":1.2345678901234567890123e+22,` +
        '"copy":1.2345678901234567890123e+22,' +
        '"dec":-0.12345678901234567890123456789012345678,"huge":-1e+125,"small":2,' +
        '"tiny":1.2345678901234567890123456789012345678e-130}',
    );
  });

  it("with numbers: 'exact', 10n is stored as the number 10 and read back as 10", async () => {
    const { api, exchanges } = client('exact');
    const userId = newId();

    const created = await api.createItem({ user_id: userId, x: 10n });

    expect(exchanges[0]?.response.body).toBe(`{"user_id":"${userId}","x":10}`);
    expect(created.item).toEqual({ user_id: userId, x: 10 });
  });
});
