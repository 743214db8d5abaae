/**
 * `npm start` as a user runs it: the real process (server/src/local/main.ts under tsx) on
 * 127.0.0.1, spoken to over HTTP, restarted, stopped with signals, given bad settings.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readOpenApiText } from '../src/openapi.js';
import { checked, type OperationId } from './support/conformance.js';
import { etagAt } from './support/etags.js';
import { sendOnce } from './support/http-client.js';
import { LocalProcesses } from './support/local-process.js';
import type { TestRequest } from './support/request.js';

/** Sends a request to the running server and checks the answer against openapi.yaml. */
const send = (baseUrl: string, operationId: OperationId, request: TestRequest) =>
  checked(operationId, sendOnce(baseUrl, request));

const getItem = (baseUrl: string, userId: string) =>
  send(baseUrl, 'getItem', { method: 'GET', query: { user_id: userId } });
const createItem = (baseUrl: string, item: Record<string, unknown>) =>
  send(baseUrl, 'createItem', { method: 'POST', json: item });

describe('npm start (the local server process)', { timeout: 90_000 }, () => {
  const processes = new LocalProcesses();
  afterEach(() => processes.cleanup());

  describe('serving', () => {
    it('serves the four operations over HTTP', async () => {
      const server = processes.start({ DATA_DIR: processes.tempDir() });
      const url = await server.listening();
      const item = { user_id: 'ada', name: 'Ada', langs: ['en', 'fr'] };

      const created = await createItem(url, item);
      const fetched = await getItem(url, 'ada');
      const updated = await send(url, 'updateItem', {
        method: 'PATCH',
        json: { user_id: 'ada', updatedKey: 'name', updatedValue: 'Ada L.' },
        headers: { 'if-match': fetched.headers.etag ?? '' },
      });
      const deleted = await send(url, 'deleteItem', {
        method: 'DELETE',
        query: { user_id: 'ada' },
      });
      const gone = await getItem(url, 'ada');

      expect(created.status).toBe(201);
      expect(created.json).toEqual(item);
      expect(created.headers.location).toBe('?user_id=ada');
      expect(fetched.status).toBe(200);
      expect(fetched.json).toEqual(item);
      expect(fetched.headers.etag).toBe(created.headers.etag);
      expect(updated.status).toBe(200);
      expect(updated.json).toEqual({ ...item, name: 'Ada L.' });
      expect(updated.headers.etag).toBe(etagAt(2, created.headers.etag));
      expect(deleted.status).toBe(200);
      expect(deleted.json).toEqual({ ...item, name: 'Ada L.' });
      expect(gone.status).toBe(404);
      expect(gone.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('serves the contract at /openapi.yaml', async () => {
      const server = processes.start({ DATA_DIR: processes.tempDir() });
      const url = await server.listening();

      const response = await fetch(`${url}/openapi.yaml`);

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/yaml\b/);
      expect(await response.text()).toBe(readOpenApiText());
    });
  });

  describe('storage', () => {
    it('keeps the data in DATA_DIR across a restart', async () => {
      const dataDir = processes.tempDir();
      const first = processes.start({ DATA_DIR: dataDir });
      const item = { user_id: 'grace', name: 'Grace', n: 1.5 };
      const created = await createItem(await first.listening(), item);
      expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });

      const second = processes.start({ DATA_DIR: dataDir });
      const fetched = await getItem(await second.listening(), 'grace');

      expect(fetched.status).toBe(200);
      expect(fetched.json).toEqual(item);
      expect(fetched.headers.etag).toBe(created.headers.etag);
    });

    it('keeps nothing across a restart with DATA_DIR=:memory:', async () => {
      const first = processes.start({ DATA_DIR: ':memory:' });
      const created = await createItem(await first.listening(), { user_id: 'linus' });
      expect(created.status).toBe(201);
      expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });

      const second = processes.start({ DATA_DIR: ':memory:' });
      const fetched = await getItem(await second.listening(), 'linus');

      expect(fetched.status).toBe(404);
      expect(second.stdout()).toContain('table dynamo on :memory:');
    });
  });

  describe('stopping', () => {
    it.each(['SIGTERM', 'SIGINT'] as const)('stops cleanly on %s', async (signal) => {
      const server = processes.start({ DATA_DIR: processes.tempDir() });
      const url = await server.listening();
      // A client that has talked to it (and keeps its connection open) must not hold it up.
      await createItem(url, { user_id: 'margaret' });

      const exit = await server.stop(signal);

      expect(exit).toEqual({ code: 0, signal: null });
      expect(server.stdout()).toContain(`${signal}: stopping`);
      expect(server.stderr()).toBe('');
      await expect(fetch(`${url}/openapi.yaml`)).rejects.toThrow();
    });
  });

  describe('failing fast', () => {
    it.each([
      ['PORT', 'abc'],
      ['PORT', '65536'],
      ['MAX_BODY_BYTES', '-5'],
      ['DYNAMODB_TIMEOUT_MS', '1.5'],
      ['TABLE_NAME', 'no spaces'],
      ['DYNAMODB_ENDPOINT', 'localhost:8000'],
      ['POWERTOOLS_LOG_LEVEL', 'verbose'],
    ])('refuses %s=%j, naming the variable', async (name, value) => {
      const dataDir = join(processes.tempDir(), 'data');
      const server = processes.start({ DATA_DIR: dataDir, [name]: value });

      const exit = await server.exited();

      expect(exit).toEqual({ code: 1, signal: null });
      expect(server.stderr()).toContain(`dynamo-crud: ${name} must`);
      expect(server.stderr()).toContain(JSON.stringify(value));
      expect(server.stdout()).not.toContain('listening');
      expect(existsSync(dataDir), 'nothing is created before the config is checked').toBe(false);
    });

    it('says a DATA_DIR another npm start is using is in use, and by which process', async () => {
      const dataDir = processes.tempDir();
      const first = processes.start({ DATA_DIR: dataDir });
      await first.listening();

      const second = processes.start({ DATA_DIR: dataDir });
      const exit = await second.exited();

      expect(exit).toEqual({ code: 1, signal: null });
      expect(second.stderr().trim()).toBe(
        `dynamo-crud: DATA_DIR ${JSON.stringify(dataDir)} is in use by another dynamo-crud (process ${first.pid}); stop it, or set DATA_DIR to another folder (or :memory:)`,
      );
      const url = await first.listening();
      expect((await createItem(url, { user_id: 'still-serving' })).status).toBe(201);
    });

    it('takes over a DATA_DIR whose npm start was killed', async () => {
      const dataDir = processes.tempDir();
      const killed = processes.start({ DATA_DIR: dataDir });
      await killed.listening();
      await killed.stop('SIGKILL');

      const next = processes.start({ DATA_DIR: dataDir });

      expect(await next.listening()).toMatch(/^http:/);
    });

    it('says, in one line naming it, that DYNAMODB_ENDPOINT cannot be reached', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = portOf(closed);
      await new Promise((resolve) => closed.close(resolve));
      const server = processes.start({
        DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`,
        DYNAMODB_MAX_ATTEMPTS: '1',
      });

      const exit = await server.exited();

      expect(exit).toEqual({ code: 1, signal: null });
      expect(server.stderr().trim()).toBe(
        `dynamo-crud: DYNAMODB_ENDPOINT http://127.0.0.1:${port} cannot be reached (ECONNREFUSED); start the engine there, or unset DYNAMODB_ENDPOINT to use the embedded one`,
      );
    });

    it('refuses a port already in use, pointing at PORT', async () => {
      const blocker = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          blocker.once('error', reject);
          blocker.listen(0, '127.0.0.1', resolve);
        });
        const port = portOf(blocker);
        const server = processes.start({ DATA_DIR: processes.tempDir(), PORT: String(port) });

        const exit = await server.exited();

        expect(exit).toEqual({ code: 1, signal: null });
        expect(server.stderr()).toContain('EADDRINUSE');
        expect(server.stderr()).toContain(`127.0.0.1:${port}`);
        expect(server.stderr()).toContain('set PORT to use another port');
        expect(server.stdout()).not.toContain('listening');
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });
  });
});

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return address.port;
}
