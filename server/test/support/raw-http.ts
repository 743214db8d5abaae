/**
 * A raw TCP client for what no HTTP client sends: pipelined requests, request lines and framing
 * Node's own client refuses, bodies that stall or stop halfway. It writes the parts given (with
 * pauses between them if asked), reads every answer the server writes until it closes the
 * connection or the time limit passes, and parses the answers as HTTP/1.1 frames them.
 */
import { connect } from 'node:net';
import type { SeenResponse } from './request.js';

/** Bytes to write, or a pause before the next ones. */
export type RawPart = string | Uint8Array | { readonly pauseMs: number };

export interface RawOptions {
  /** How long to read at most, when the server does not close first. */
  readonly waitMs?: number;
  /**
   * Go away after writing every part, instead of waiting for the server: close the connection
   * (`close`, a FIN) or reset it (`reset`, an RST).
   */
  readonly abort?: 'close' | 'reset';
}

export interface RawExchange {
  /** Every answer, in the order they came, interim ones (100 Continue) included. */
  readonly responses: SeenResponse[];
  /** Whether the server closed the connection within the time limit. */
  readonly closedByServer: boolean;
}

/** Sends `parts` on one connection to the server at `baseUrl` (text as Latin-1 bytes). */
export function sendRaw(
  baseUrl: string,
  parts: readonly RawPart[],
  options: RawOptions = {},
): Promise<RawExchange> {
  const { hostname, port } = new URL(baseUrl);
  const waitMs = options.waitMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve({ responses: parseResponses(Buffer.concat(chunks)), closedByServer });
      } catch (error) {
        reject(error);
      }
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => {
      closedByServer = true;
      finish();
    });
    socket.once('close', finish);
    // A reset after the server's answer is still an answer: it is parsed from what came.
    socket.on('error', () => {});
    socket.once('connect', async () => {
      for (const part of parts) {
        if (typeof part === 'object' && 'pauseMs' in part) {
          await new Promise((r) => setTimeout(r, part.pauseMs));
        } else if (!socket.destroyed) {
          socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
        }
      }
      if (options.abort === 'reset') socket.resetAndDestroy();
      if (options.abort !== undefined) finish();
    });
  });
}

/** The HTTP/1.1 responses in `bytes`: by `Content-Length`, chunked, or up to the end. */
export function parseResponses(bytes: Buffer): SeenResponse[] {
  const responses: SeenResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    if (headEnd === -1) throw new Error(`a response head was cut: ${bytes.toString('latin1', at)}`);
    const [statusLine = '', ...fields] = bytes.toString('latin1', at, headEnd).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (Number.isNaN(status)) throw new Error(`not a status line: ${statusLine}`);
    const headers: Record<string, string> = {};
    for (const field of fields) {
      const colon = field.indexOf(':');
      const name = field.slice(0, colon).toLowerCase();
      const value = field.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    at = headEnd + 4;
    let body: Buffer;
    if (status < 200 || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', at);
        const size = Number.parseInt(bytes.toString('latin1', at, lineEnd), 16);
        at = lineEnd + 2;
        if (size === 0) {
          at = bytes.indexOf('\r\n', at) + 2;
          break;
        }
        parts.push(bytes.subarray(at, at + size));
        at += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = bytes.subarray(at, at + length);
      at += length;
    } else {
      body = bytes.subarray(at);
      at = bytes.length;
    }
    responses.push({ status, headers, body: body.toString('utf8') });
  }
  return responses;
}
