/**
 * HTTP/1.1 as RFC 9112 frames it, for the `node:http` adapter: what Node's parser leaves to the
 * server (the request target's forms, `Host`, transfer codings) and what its refusals become
 * (a problem each, never a bare status line). Pure functions: no sockets here.
 */
import { STATUS_CODES } from 'node:http';
import {
  type ApiError,
  HeaderFieldsTooLargeError,
  MalformedRequestError,
  NotImplementedError,
  PayloadTooLargeError,
  quote,
  RequestTimeoutError,
} from '../core/problems.js';
import type { ApiResponse } from '../core/request.js';

/** `Host` as RFC 9110 §7.2 writes it: a reg-name, IPv4 or bracketed IP literal, then a port. */
const HOST = /^(?:\[[0-9A-Za-z:.]+\]|[\w\-.~!$&'()*+,;=%]*)(?::\d*)?$/;

/** The parts of a request target the core routes on. */
export interface Target {
  /** As sent (percent-encoded): `/dynamo`, or `*` for `OPTIONS *`. */
  readonly path: string;
  /** As sent, without `?`; `''` when there is none. */
  readonly query: string;
  /** The absolute form's `host[:port]`, which replaces `Host` (RFC 9112 §3.2.2). */
  readonly authority?: string;
}

/**
 * The request target (RFC 9112 §3.2): origin form (`/dynamo?user_id=ada`), absolute form
 * (`http://127.0.0.1:3000/dynamo?user_id=ada`, which a server MUST accept, §3.2.2), or `*` for
 * `OPTIONS` (§3.2.4). Node's parser has already refused spaces, controls and bytes that are not
 * ASCII. Characters RFC 3986 does not allow but browsers send unencoded (`|`, `^`, `{`) are
 * taken as they are: their meaning is not in doubt. `#` is not: a fragment is never sent
 * (RFC 9110 §7.1), so a `#` in a target is a value that was not percent-encoded.
 *
 * @throws MalformedRequestError naming the target
 */
export function readTarget(method: string, target: string): Target {
  if (target.includes('#')) {
    throw new MalformedRequestError(
      `The request target ${quote(target)} contains "#", which a request target cannot hold (RFC 9112 §3.2; a fragment is not sent, RFC 9110 §7.1); percent-encode it as %23 where it is part of a value.`,
    );
  }
  if (target === '*') {
    if (method === 'OPTIONS') return { path: '*', query: '' };
    throw new MalformedRequestError(
      `The request target "*" is for OPTIONS only (RFC 9112 §3.2.4); send ${method} to a path such as /dynamo.`,
    );
  }
  let rest = target;
  let authority: string | undefined;
  if (!target.startsWith('/')) {
    const absolute = /^https?:\/\/([^/?]+)/i.exec(target);
    if (absolute === null) {
      throw new MalformedRequestError(
        `The request target ${quote(target)} is neither a path starting with "/" nor an http URL (RFC 9112 §3.2); send a path such as /dynamo.`,
      );
    }
    authority = absolute[1] as string;
    if (!HOST.test(authority)) {
      throw new MalformedRequestError(
        `The request target ${quote(target)} names ${quote(authority)}, which is not a host and port (RFC 9110 §4.2.1, no user info); send a path such as /dynamo.`,
      );
    }
    rest = target.slice(absolute[0].length);
  }
  const at = rest.indexOf('?');
  const path = at === -1 ? rest : rest.slice(0, at);
  return {
    // An absolute URL with an empty path means the root (RFC 9112 §3.2.1).
    path: path === '' ? '/' : path,
    query: at === -1 ? '' : rest.slice(at + 1),
    ...(authority === undefined ? {} : { authority }),
  };
}

/**
 * A refusal when `Host` is not one valid field (RFC 9112 §3.2: an HTTP/1.1 request without one,
 * or with more than one, is a 400), or `undefined`.
 */
export function checkHost(
  httpVersion: string,
  hosts: readonly string[] | undefined,
): ApiError | undefined {
  const count = hosts?.length ?? 0;
  if (count === 0 && httpVersion !== '1.1') return undefined;
  const host = hosts?.[0];
  if (count === 1 && host !== undefined && HOST.test(host)) return undefined;
  const what =
    count === 0
      ? 'has no Host header'
      : count > 1
        ? 'has more than one Host header'
        : `has Host ${quote(host ?? '')}, which is not a host and port`;
  return new MalformedRequestError(
    `The request ${what} (RFC 9112 §3.2); send exactly one, such as Host: 127.0.0.1:3000.`,
  );
}

/**
 * A refusal of `Transfer-Encoding` unless it is `chunked` alone, which is all Node's parser
 * decodes, or `undefined`. A list that does not end with `chunked` leaves the body's length
 * unknown: 400 (RFC 9112 §6.3), as is `chunked` twice (§6.1). Any other coding before it
 * (`gzip, chunked`) is one this server does not implement: 501 (§6.1); taken as it is, the body
 * would reach the core still encoded.
 */
export function checkTransferCoding(transferEncoding: string | undefined): ApiError | undefined {
  if (transferEncoding === undefined) return undefined;
  const codings = transferEncoding.split(',').map((coding) => coding.trim().toLowerCase());
  const instead = 'send the body as it is, with Content-Length or Transfer-Encoding: chunked';
  const chunked = codings.filter((coding) => coding === 'chunked').length;
  if (codings.at(-1) !== 'chunked' || chunked > 1) {
    return new MalformedRequestError(
      `The body's length cannot be known from Transfer-Encoding ${quote(transferEncoding)}: chunked must come last, once (RFC 9112 §6.1, §6.3); ${instead}.`,
    );
  }
  if (codings.length === 1) return undefined;
  return new NotImplementedError(
    `The body is sent with Transfer-Encoding ${quote(transferEncoding)}; this server decodes chunked alone (RFC 9112 §6.1); ${instead}.`,
  );
}

/** What a Node parser error carries besides its message. */
export interface ParseError extends Error {
  readonly code?: string;
  /** llhttp's reason, e.g. `Invalid character in chunk size`. */
  readonly reason?: string;
  /** The chunk being parsed when it failed, and where in it. */
  readonly rawPacket?: Buffer;
  readonly bytesParsed?: number;
}

/** What the answer to a refused request needs to know besides the error. */
export interface ParseErrorContext {
  /** Whether a request's body was being read (its head had arrived) when the error came. */
  readonly inBody: boolean;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxHeaderBytes: number;
}

/** A method as RFC 9110 §5.6.2 spells a token; anything else is not a request line. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The problem a request Node's parser refused deserves, or `undefined` when there is no one
 * left to tell (the connection broke, or the client sent more after `Connection: close`).
 */
export function problemForParseError(
  error: ParseError,
  context: ParseErrorContext,
): ApiError | undefined {
  const seconds = (ms: number) => `${ms / 1000} s`;
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError(
        context.inBody
          ? `The request did not arrive whole within ${seconds(context.requestTimeoutMs)}; send the body without pauses.`
          : `The request's headers did not arrive within ${seconds(context.headersTimeoutMs)}; send them without pauses.`,
      );
    case 'HPE_HEADER_OVERFLOW':
      return new HeaderFieldsTooLargeError(
        `The request line and headers are over ${context.maxHeaderBytes} bytes; send fewer or shorter headers, and long values in the body.`,
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new PayloadTooLargeError(
        'The chunk extensions are too large; send chunks without extensions.',
      );
    case 'HPE_INVALID_METHOD': {
      const method = requestLineAt(error).split(' ', 1)[0] ?? '';
      if (TOKEN.test(method)) {
        return new NotImplementedError(
          `${quote(method)} is not a method this server implements (methods are case-sensitive, RFC 9110 §9.1); OPTIONS * answers with those it does in Allow.`,
        );
      }
      return notHttp('the request line is not a method, a request target and HTTP/1.1');
    }
    case 'HPE_INVALID_URL':
      return new MalformedRequestError(
        'The request target holds a character a URI cannot (RFC 3986, RFC 9112 §3.2): a space, a control or a byte that is not ASCII; encode it as UTF-8, then percent-encode it.',
      );
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return notHttp(
        'Transfer-Encoding must end with chunked (RFC 9112 §6.3); send the body with Content-Length, or Transfer-Encoding: chunked',
      );
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return notHttp(
        'Content-Length must be one number, and not beside Transfer-Encoding (RFC 9112 §6.3); send one of them',
      );
    case 'HPE_PAUSED_H2_UPGRADE':
      return notHttp('this server speaks HTTP/1.1, not HTTP/2 with prior knowledge');
    // The client closed its side before the request was whole, or sent more after asking
    // to close: nobody waits for an answer.
    case 'HPE_INVALID_EOF_STATE':
    case 'HPE_CLOSED_CONNECTION':
      return undefined;
    default:
      if (error.code?.startsWith('HPE_') !== true) return undefined;
      return notHttp((error.reason ?? 'it cannot be parsed').replace(/\.$/, '').toLowerCase());
  }
}

function notHttp(why: string): MalformedRequestError {
  return new MalformedRequestError(
    `The request is not valid HTTP/1.1 (RFC 9112): ${why}.`.replace(/\.\.$/, '.'),
  );
}

/** The line of the raw packet the parser stopped in: the failed request's line, best effort. */
export function requestLineAt(error: ParseError): string {
  const packet = error.rawPacket;
  if (packet === undefined) return '';
  const at = Math.min(error.bytesParsed ?? 0, packet.length);
  const start = at === 0 ? 0 : packet.lastIndexOf(0x0a, at - 1) + 1;
  const end = packet.indexOf(0x0d, start);
  return packet.toString('latin1', start, end === -1 ? packet.length : end);
}

/**
 * `response` as bytes for a socket no `ServerResponse` speaks on any more (the request could
 * not be parsed): status line, headers, `Content-Length`, `Connection: close`, then the body.
 */
export function serializeResponse(response: ApiResponse, now = new Date()): Buffer {
  const body = Buffer.from(response.body);
  const headers = {
    ...response.headers,
    date: now.toUTCString(),
    'content-length': String(body.length),
    connection: 'close',
  };
  const head = [
    `HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode] ?? ''}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
