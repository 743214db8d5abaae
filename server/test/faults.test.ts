/**
 * Faults during a stream of writes, and what the clients were told:
 *
 * - the DynamoDB engine stops mid-run: every request settles, as 503 with `Retry-After` (no
 *   hang: each DynamoDB attempt is time-limited and the attempts are counted), and when the
 *   engine is back on the same port and data the same server serves again, with every write it
 *   acknowledged still there;
 * - the real `npm start` process is killed with SIGKILL mid-stream: after a restart on the same
 *   DATA_DIR, every write it acknowledged (201 or 200 received) is there.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../src/local/dynalite.js';
import { createDocumentClient, createDynamoDbStore } from '../src/store/dynamodb.js';
import { expectContractResponse, type SeenResponse } from './support/conformance.js';
import { createTestClient } from './support/engine.js';
import { etagAt, etagParts } from './support/etags.js';
import { createHttpClient, type HttpClient } from './support/http-client.js';
import { LocalProcesses } from './support/local-process.js';
import { readStored } from './support/model.js';
import { startRestartableEngine } from './support/restartable-engine.js';
import { createTestApp, startTestServer } from './support/transports.js';

const WRITERS = 4;
/** Writes per writer at most: the loops end by themselves whatever happens. */
const MAX_WRITES = 2_000;

const processes = new LocalProcesses();
afterAll(() => processes.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 20 ms for at most `ms`; fails naming `what` if it never holds. */
async function waitFor(what: string, done: () => boolean, ms = 20_000): Promise<void> {
  for (let waited = 0; !done(); waited += 20) {
    if (waited >= ms) throw new Error(`waited ${ms} ms for ${what}`);
    await sleep(20);
  }
}

function post(http: HttpClient, item: Record<string, unknown>): Promise<SeenResponse> {
  return http.send({
    method: 'POST',
    path: '/dynamo',
    headers: [['content-type', 'application/json']],
    body: JSON.stringify(item),
  });
}

describe('when the DynamoDB engine stops mid-run and comes back', { timeout: 90_000 }, () => {
  it('clients get 503 with Retry-After while it is gone, and nothing acknowledged is lost', async () => {
    // Prepare: the engine on a data directory, the local server in front of it with the
    // server's own bounded client (here 2 attempts of at most 500 ms each).
    const engine = await startRestartableEngine(processes.tempDir());
    const client = createTestClient(engine.endpoint, {
      DYNAMODB_MAX_ATTEMPTS: '2',
      DYNAMODB_TIMEOUT_MS: '500',
    });
    const tableName = 'items-faults';
    await ensureTable(client, tableName);
    const documentClient = createDocumentClient(client);
    const app = createTestApp(createDynamoDbStore(documentClient, tableName));
    const server = await startTestServer(app);
    const http = createHttpClient(server.url, { maxSockets: WRITERS, timeoutMs: 15_000 });
    type Phase = 'up' | 'down' | 'back';
    let phase: Phase = 'up';
    let stopping = false;
    const seen: Array<{ writer: number; phase: Phase; userId: string; response: SeenResponse }> =
      [];
    const count = (writer: number, p: Phase, status: number) =>
      seen.filter((s) => s.writer === writer && s.phase === p && s.response.status === status)
        .length;

    try {
      // Act: writers create items one after another; the engine stops, then starts again.
      const writers = Array.from({ length: WRITERS }, async (_, writer) => {
        for (let i = 0; i < MAX_WRITES && !stopping; i++) {
          const userId = `outage-${writer}-${i}`;
          const during = phase;
          const response = await post(http, { user_id: userId, writer, i });
          seen.push({ writer, phase: during === phase ? phase : 'down', userId, response });
          if (response.status === 503) await sleep(50);
        }
      });
      const all = (p: Phase, status: number) => (w: number) => count(w, p, status) >= 2;
      const everyWriter = (check: (w: number) => boolean) => () =>
        Array.from({ length: WRITERS }, (_, w) => w).every(check);

      await waitFor('acknowledged writes before the outage', everyWriter(all('up', 201)));
      phase = 'down';
      await engine.stop();
      await waitFor('503s while the engine is down', everyWriter(all('down', 503)));
      await engine.start();
      phase = 'back';
      await waitFor('writes acknowledged after the engine is back', everyWriter(all('back', 201)));
      stopping = true;
      await Promise.all(writers);

      // Assess: only 201, 503 or (a retried write that had committed) 409; each 503 a problem
      // with Retry-After; every acknowledged write stored as sent.
      const statuses = new Set(seen.map((s) => s.response.status));
      expect([...statuses].filter((s) => ![201, 409, 503].includes(s))).toEqual([]);
      for (const { response } of seen) {
        expectContractResponse('createItem', response);
        if (response.status === 503) expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      }
      const acknowledged = seen.filter((s) => s.response.status === 201);
      const table = { tableName, documentClient };
      for (const { userId, writer, response } of acknowledged) {
        const stored = await readStored(table, userId);
        expect(stored?.item, userId).toEqual({ ...JSON.parse(response.body), writer });
      }
      console.info(
        `engine outage: ${seen.length} writes, ${acknowledged.length} acknowledged and all present, ${seen.filter((s) => s.response.status === 503).length} answered 503 while it was down`,
      );
    } finally {
      stopping = true;
      http.close();
      await server.close();
      client.destroy();
      await engine.stop();
    }
  });
});

describe('when the npm start process is killed with SIGKILL mid-stream', {
  timeout: 90_000,
}, () => {
  it('a restart on the same DATA_DIR has every acknowledged write', async () => {
    // Prepare
    const dataDir = processes.tempDir();
    const first = processes.start({ DATA_DIR: dataDir });
    const http = createHttpClient(await first.listening(), { maxSockets: WRITERS });
    /** user_id → what the last acknowledged write said: its ETag and `n`. */
    const acknowledged = new Map<string, { etag: string; n: number }>();
    let failures = 0;

    // Act: writers create items and update each once, until the process dies under them.
    const writers = Array.from({ length: WRITERS }, async (_, writer) => {
      try {
        for (let i = 0; i < MAX_WRITES; i++) {
          const userId = `kill-${writer}-${i}`;
          const created = await post(http, { user_id: userId, n: 0 });
          expect(created.status).toBe(201);
          acknowledged.set(userId, { etag: created.headers.etag ?? '', n: 0 });
          const updated = await http.send({
            method: 'PATCH',
            path: '/dynamo',
            headers: [
              ['content-type', 'application/json'],
              ['if-match', created.headers.etag ?? ''],
            ],
            body: JSON.stringify({ user_id: userId, updatedKey: 'n', updatedValue: 1 }),
          });
          expect(updated.status).toBe(200);
          acknowledged.set(userId, { etag: updated.headers.etag ?? '', n: 1 });
        }
      } catch (error) {
        // The connection died with the process: that write was never acknowledged.
        if ((error as { name?: string }).name === 'AssertionError') throw error;
        failures += 1;
      }
    });
    await waitFor('100 acknowledged writes', () => acknowledged.size >= 100);
    const exit = await first.stop('SIGKILL');
    await Promise.all(writers);
    http.close();
    const second = processes.start({ DATA_DIR: dataDir });
    const after = createHttpClient(await second.listening(), { maxSockets: WRITERS });

    // Assess: each is there, in the acknowledged state or (a write in flight at the kill
    // committed without its answer) the next version of it.
    try {
      expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
      expect(failures).toBe(WRITERS);
      for (const [userId, ack] of acknowledged) {
        const read = await after.send({
          method: 'GET',
          path: `/dynamo?user_id=${encodeURIComponent(userId)}`,
        });
        expect(read.status, userId).toBe(200);
        const next = etagAt(etagParts(ack.etag).version + 1, ack.etag);
        const { n } = JSON.parse(read.body) as { n: number };
        expect([ack.etag, next], userId).toContain(read.headers.etag);
        if (read.headers.etag === ack.etag) expect(n, userId).toBe(ack.n);
      }
      console.info(
        `SIGKILL: ${acknowledged.size} items with acknowledged writes before the kill, all present after the restart`,
      );
    } finally {
      after.close();
    }
  });
});
