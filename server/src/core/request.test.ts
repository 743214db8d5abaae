import { describe, expect, it } from 'vitest';
import { MalformedBodyError, PayloadTooLargeError, ValidationError } from './problems.js';
import {
  decodeBody,
  firstInvalidUtf8Byte,
  normalizePercentEncoding,
  parseQuery,
  readBody,
} from './request.js';

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

describe('readBody', () => {
  it('reads text, bytes and streams whole when they fit', async () => {
    expect(await readBody('{"a":1}', 7, undefined)).toBe('{"a":1}');
    expect(await readBody(Buffer.from('abc'), 3, undefined)).toEqual(Buffer.from('abc'));
    expect(await readBody(chunks('ab', 'c'), 3, undefined)).toEqual(Buffer.from('abc'));
  });

  it('is undefined for no body or an empty one', async () => {
    expect(await readBody(undefined, 1, undefined)).toBeUndefined();
    expect(await readBody('', 1, undefined)).toBeUndefined();
    expect(await readBody(chunks(), 1, undefined)).toBeUndefined();
  });

  it('refuses more than the limit in bytes, not characters: 413', async () => {
    await expect(readBody('é', 1, undefined)).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(readBody(Buffer.alloc(2), 1, undefined)).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
  });

  it('stops reading a stream at the limit, and before reading when Content-Length says so', async () => {
    // Prepare: a stream that counts what was taken from it.
    let taken = 0;
    async function* counted(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 100; i++) {
        taken++;
        yield Buffer.alloc(10);
      }
    }

    // Act + Assess
    await expect(readBody(counted(), 25, undefined)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(taken).toBe(3);
    taken = 0;
    await expect(readBody(counted(), 25, '1000')).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(taken).toBe(0);
  });
});

describe('decodeBody', () => {
  it('decodes UTF-8, multi-byte characters included', () => {
    expect(decodeBody(Buffer.from('{"s":"café 😀"}'))).toBe('{"s":"café 😀"}');
  });

  it('refuses bytes that are not UTF-8 (RFC 8259 §8.1), naming the first bad byte', () => {
    // Prepare: `{"user_id":"u8","s":"caf` then 0xE9 (é in Latin-1).
    const latin1 = Buffer.concat([
      Buffer.from('{"user_id":"u8","s":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);

    // Act
    const decoding = () => decodeBody(latin1);

    // Assess
    expect(decoding).toThrow(MalformedBodyError);
    expect(decoding).toThrow(/from offset 24 are not a UTF-8 character/);
  });

  it('refuses text with a lone surrogate rather than replace it', () => {
    expect(() => decodeBody('{"s":"\ud800"}')).toThrow(/lone UTF-16 surrogate/);
  });
});

describe('firstInvalidUtf8Byte', () => {
  it.each([
    [[0x61, 0x62], -1, 'ASCII'],
    [[0xc3, 0xa9], -1, 'é'],
    [[0xf0, 0x9f, 0x98, 0x80], -1, 'an emoji'],
    [[0x61, 0xe9, 0x62], 1, 'a Latin-1 é'],
    [[0xc0, 0xaf], 0, 'an overlong /'],
    [[0xed, 0xa0, 0x80], 0, 'a UTF-16 surrogate encoded'],
    [[0x61, 0xe2, 0x82], 1, 'cut short'],
    [[0x80], 0, 'a lone continuation byte'],
    [[0xf4, 0x90, 0x80, 0x80], 0, 'past U+10FFFF'],
  ])('%j: %i (%s)', (bytes, offset) => {
    expect(firstInvalidUtf8Byte(Uint8Array.from(bytes))).toBe(offset);
  });
});

describe('parseQuery', () => {
  it('keeps every value of every name, in order, + as a space', () => {
    const query = parseQuery('user_id=a%20b&x=1&user_id=c+d&empty=&flag');

    expect([...query]).toEqual([
      ['user_id', ['a b', 'c d']],
      ['x', ['1']],
      ['empty', ['']],
      ['flag', ['']],
    ]);
  });

  it('refuses percent-encoding that is not UTF-8, naming the parameter', () => {
    const parsing = () => parseQuery('user_id=%E9');

    expect(parsing).toThrow(ValidationError);
    try {
      parsing();
    } catch (error) {
      expect((error as ValidationError).errors).toEqual([
        { parameter: 'user_id', detail: expect.stringMatching(/UTF-8/) },
      ]);
    }
  });
});

describe('normalizePercentEncoding (RFC 3986 §6.2.2)', () => {
  it.each([
    ['/dynamo', '/dynamo'],
    ['/dyn%61mo', '/dynamo'],
    ['/%64ynamo%2d%2E%5f%7E', '/dynamo-._~'],
    ['/dynamo%2Fitems', '/dynamo%2Fitems'],
    ['/dynamo%2f', '/dynamo%2F'],
    ['/dynamo%3f%23', '/dynamo%3F%23'],
    ['/caf%c3%a9', '/caf%C3%A9'],
  ])(
    'compares %j as %j: unreserved characters decoded, reserved ones kept encoded',
    (path, normalized) => {
      expect(normalizePercentEncoding(path)).toBe(normalized);
    },
  );

  it('refuses percent-encoding that is not UTF-8', () => {
    expect(normalizePercentEncoding('/%E9')).toBeUndefined();
    expect(normalizePercentEncoding('/dynamo%')).toBeUndefined();
  });
});
