import { describe, expect, it } from 'vitest';
import {
  HeaderFieldsTooLargeError,
  MalformedRequestError,
  NotImplementedError,
  PayloadTooLargeError,
  RequestTimeoutError,
} from '../core/problems.js';
import {
  checkHost,
  checkTransferCoding,
  type ParseError,
  problemForParseError,
  readTarget,
  requestLineAt,
  serializeResponse,
} from './http1.js';

describe('readTarget (RFC 9112 §3.2)', () => {
  it.each([
    ['/dynamo?user_id=ada', { path: '/dynamo', query: 'user_id=ada' }],
    ['/dynamo', { path: '/dynamo', query: '' }],
    ['/dynamo?a=|^{}', { path: '/dynamo', query: 'a=|^{}' }],
    [
      'http://127.0.0.1:3000/dynamo?user_id=ada',
      { path: '/dynamo', query: 'user_id=ada', authority: '127.0.0.1:3000' },
    ],
    ['HTTP://[::1]:3000/dynamo', { path: '/dynamo', query: '', authority: '[::1]:3000' }],
    ['http://localhost', { path: '/', query: '', authority: 'localhost' }],
    ['http://localhost?x=1', { path: '/', query: 'x=1', authority: 'localhost' }],
  ])('reads %j', (target, read) => {
    expect(readTarget('GET', target)).toEqual(read);
  });

  it('reads * for OPTIONS alone', () => {
    expect(readTarget('OPTIONS', '*')).toEqual({ path: '*', query: '' });
    expect(() => readTarget('GET', '*')).toThrow(MalformedRequestError);
  });

  it.each([
    ['/dynamo?user_id=ada#frag', /"\/dynamo\?user_id=ada#frag" contains "#"/],
    ['/dynamo#', /contains "#"/],
    ['dynamo', /neither a path starting with "\/" nor an http URL/],
    ['ftp://host/dynamo', /neither a path/],
    ['http://ada@host/dynamo', /"ada@host", which is not a host and port/],
  ])('refuses %j, naming it', (target, detail) => {
    expect(() => readTarget('GET', target)).toThrow(detail);
  });
});

describe('checkHost (RFC 9112 §3.2)', () => {
  it.each([
    ['1.1', ['127.0.0.1:3000']],
    ['1.1', ['localhost']],
    ['1.1', ['[::1]:3000']],
    ['1.1', ['']],
    ['1.0', undefined],
  ] as const)('takes HTTP/%s with Host %j', (version, hosts) => {
    expect(checkHost(version, hosts)).toBeUndefined();
  });

  it.each([
    ['1.1', undefined, 'has no Host header'],
    ['1.1', ['a', 'b'], 'has more than one Host header'],
    ['1.0', ['a', 'b'], 'has more than one Host header'],
    ['1.1', ['a b'], 'has Host "a b", which is not a host and port'],
    ['1.1', ['a/b'], 'has Host "a/b", which is not a host and port'],
  ] as const)('refuses HTTP/%s with Host %j: 400', (version, hosts, what) => {
    const refusal = checkHost(version, hosts);

    expect(refusal).toBeInstanceOf(MalformedRequestError);
    expect(refusal?.message).toBe(
      `The request ${what} (RFC 9112 §3.2); send exactly one, such as Host: 127.0.0.1:3000.`,
    );
  });
});

describe('checkTransferCoding (RFC 9112 §6.1, §6.3)', () => {
  it.each([undefined, 'chunked', 'Chunked'])('takes %j', (value) => {
    expect(checkTransferCoding(value)).toBeUndefined();
  });

  it.each(['gzip, chunked', 'deflate,chunked', 'identity, chunked'])(
    'refuses %j, a coding it does not decode: 501',
    (value) => {
      expect(checkTransferCoding(value)).toBeInstanceOf(NotImplementedError);
    },
  );

  it.each(['gzip', 'chunked, gzip', 'chunked, chunked', ''])(
    'refuses %j, which leaves the length unknown: 400',
    (value) => {
      expect(checkTransferCoding(value)).toBeInstanceOf(MalformedRequestError);
    },
  );
});

describe('problemForParseError', () => {
  const context = {
    inBody: false,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    maxHeaderBytes: 16_384,
  };
  const parseError = (code: string, packet = '', bytesParsed = 0): ParseError =>
    Object.assign(new Error(code), {
      code,
      reason: 'Some reason.',
      rawPacket: Buffer.from(packet, 'latin1'),
      bytesParsed,
    });

  it.each([
    ['HPE_HEADER_OVERFLOW', HeaderFieldsTooLargeError, 431],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', PayloadTooLargeError, 413],
    ['ERR_HTTP_REQUEST_TIMEOUT', RequestTimeoutError, 408],
    ['HPE_INVALID_CHUNK_SIZE', MalformedRequestError, 400],
    ['HPE_INVALID_URL', MalformedRequestError, 400],
    ['HPE_SOMETHING_NEW', MalformedRequestError, 400],
  ] as const)('answers %s with %s', (code, type, status) => {
    const problem = problemForParseError(parseError(code), context);

    expect(problem).toBeInstanceOf(type);
    expect(problem?.status).toBe(status);
  });

  it('says which time limit passed', () => {
    const timeout = parseError('ERR_HTTP_REQUEST_TIMEOUT');

    expect(problemForParseError(timeout, context)?.message).toBe(
      "The request's headers did not arrive within 10 s; send them without pauses.",
    );
    expect(problemForParseError(timeout, { ...context, inBody: true })?.message).toBe(
      'The request did not arrive whole within 30 s; send the body without pauses.',
    );
  });

  it('answers a method that is a token with 501, anything else with 400', () => {
    const pipelined = 'GET / HTTP/1.1\r\nhost: x\r\n\r\nFOO / HTTP/1.1\r\n';
    const foo = problemForParseError(parseError('HPE_INVALID_METHOD', pipelined, 29), context);
    const tls = problemForParseError(parseError('HPE_INVALID_METHOD', '\x16\x03\x01'), context);

    expect(foo).toBeInstanceOf(NotImplementedError);
    expect(foo?.message).toMatch(/^"FOO" is not a method this server implements/);
    expect(tls).toBeInstanceOf(MalformedRequestError);
  });

  it.each(['ECONNRESET', 'HPE_INVALID_EOF_STATE', 'HPE_CLOSED_CONNECTION'])(
    'answers nothing to %s: nobody waits for an answer',
    (code) => {
      expect(problemForParseError(parseError(code), context)).toBeUndefined();
    },
  );
});

describe('requestLineAt', () => {
  it('finds the line the parser stopped in, in a packet of pipelined requests', () => {
    const packet = 'GET /a HTTP/1.1\r\nhost: x\r\n\r\nget /b HTTP/1.1\r\nhost: x\r\n\r\n';
    const error = Object.assign(new Error('x'), {
      rawPacket: Buffer.from(packet),
      bytesParsed: packet.indexOf('get'),
    });

    expect(requestLineAt(error)).toBe('get /b HTTP/1.1');
    expect(requestLineAt({ ...error, bytesParsed: 0 })).toBe('GET /a HTTP/1.1');
    expect(requestLineAt(new Error('no packet'))).toBe('');
  });
});

describe('serializeResponse', () => {
  it('writes status line, headers, Date, Content-Length in bytes, Connection: close, body', () => {
    const bytes = serializeResponse(
      {
        statusCode: 431,
        headers: { 'content-type': 'application/problem+json' },
        body: '{"detail":"é"}',
      },
      new Date('2026-01-02T03:04:05Z'),
    );

    expect(bytes.toString('utf8')).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large\r\n' +
        'content-type: application/problem+json\r\n' +
        'date: Fri, 02 Jan 2026 03:04:05 GMT\r\n' +
        'content-length: 15\r\n' +
        'connection: close\r\n' +
        '\r\n' +
        '{"detail":"é"}',
    );
  });
});
