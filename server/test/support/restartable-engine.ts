/**
 * dynalite that a test can stop and start again on the same port and data directory, as a
 * DynamoDB endpoint that goes away and comes back: clients keep their endpoint URL throughout.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface RestartableEngine {
  /** `http://127.0.0.1:PORT`, the same across restarts. */
  readonly endpoint: string;
  readonly running: boolean;
  /** Closes the listener, every open connection and the database. */
  stop(): Promise<void>;
  /** Listens again on the same port, on the same data. */
  start(): Promise<void>;
}

export async function startRestartableEngine(dataDir: string): Promise<RestartableEngine> {
  let server: Server | undefined;

  async function listen(port: number): Promise<number> {
    const next = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        next.off('error', reject);
        resolve();
      });
    });
    server = next;
    return (next.address() as AddressInfo).port;
  }

  const port = await listen(0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get running() {
      return server !== undefined;
    },
    async stop() {
      const running = server;
      server = undefined;
      if (running === undefined) return;
      await new Promise<void>((resolve, reject) => {
        running.close((error) => (error ? reject(error) : resolve()));
        running.closeAllConnections();
      });
    },
    async start() {
      if (server === undefined) await listen(port);
    },
  };
}
