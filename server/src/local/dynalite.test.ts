/**
 * The embedded engine keeps an idle connection open: a client's pooled connection must not be
 * closed under it (a request sent as the engine closes it fails with ECONNRESET).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, startEngine } from './dynalite.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine(':memory:');
});
afterAll(() => engine.close());

/** A ListTables request on a kept-alive connection. */
const LIST_TABLES = [
  'POST / HTTP/1.1',
  `Host: 127.0.0.1`,
  'Content-Type: application/x-amz-json-1.0',
  'X-Amz-Target: DynamoDB_20120810.ListTables',
  'Authorization: AWS4-HMAC-SHA256 Credential=local/20261130/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  'X-Amz-Date: 20261130T000000Z',
  'Content-Length: 2',
  'Connection: keep-alive',
  '',
  '{}',
].join('\r\n');

describe('the embedded engine (dynalite)', () => {
  it('keeps an idle kept-alive connection open past Node’s default of 5 s (closed at about 6 s)', async () => {
    const { port } = new URL(engine.endpoint);
    const socket = connect(Number(port), '127.0.0.1');
    let endedAfterMs: number | undefined;
    const opened = Date.now();
    socket.once('end', () => {
      endedAfterMs = Date.now() - opened;
    });
    const answers: string[] = [];
    socket.on('data', (chunk: Buffer) => answers.push(chunk.toString('latin1')));
    socket.write(LIST_TABLES);
    await new Promise((resolve) => setTimeout(resolve, 7_000));

    expect(answers.join('')).toMatch(/^HTTP\/1\.1 200 /);
    expect(endedAfterMs, 'ms until the engine ended the idle connection').toBeUndefined();
    // And it still answers on it.
    socket.write(LIST_TABLES);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answers.join('').match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    socket.destroy();
  }, 15_000);
});
