/**
 * The embedded DynamoDB engine for `npm start` and the tests: dynalite, in-process, pure npm
 * (no Java, no Docker), on a free loopback port.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ConfigError } from '../config.js';
import { TABLE_KEY } from '../store/dynamodb.js';

/** Credentials the local engine accepts (it checks none). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface Engine {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite; `dataDir` `:memory:` keeps nothing, any other path persists there.
 *
 * @throws ConfigError naming `DATA_DIR` when another running process holds `dataDir`
 */
export async function startEngine(dataDir: string): Promise<Engine> {
  const inMemory = dataDir === ':memory:';
  let release = () => {};
  if (!inMemory) {
    mkdirSync(dataDir, { recursive: true });
    release = lockDataDir(dataDir);
  }
  const server = dynalite({
    ...(inMemory ? {} : { path: dataDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  // Idle connections stay open until the client closes them. With Node's default (5 s) the
  // engine closes a pooled connection the AWS SDK may be sending on at that moment, and the
  // request fails with ECONNRESET; the SDK's agent keeps idle connections without a limit of
  // its own. Node: "A value of 0 will disable the keep-alive timeout behavior on incoming
  // connections" (http `server.keepAliveTimeout`).
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  }).catch((error: unknown) => {
    release();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          release();
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections?.();
      }),
  };
}

/**
 * Claims `dataDir` for this process with a lock file holding its pid, so that a second
 * `npm start` on the same folder says so instead of failing inside the engine (its database
 * allows one process). A lock left by a process that no longer runs (killed) is taken over.
 *
 * @returns what releases the claim
 * @throws ConfigError naming `DATA_DIR` and the process that holds it
 */
function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'dynamo-crud.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, String(process.pid));
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isSafeInteger(holder) && holder > 0 && isRunning(holder)) {
        throw new ConfigError(
          `DATA_DIR ${JSON.stringify(dataDir)} is in use by another dynamo-crud (process ${holder}); stop it, or set DATA_DIR to another folder (or :memory:)`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new ConfigError(`DATA_DIR ${JSON.stringify(dataDir)}: cannot claim ${path}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates a table (on demand) unless it exists: by default the items table (key `user_id`);
 * with `key`, another (the idempotency records' `id`).
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  key: { readonly name: string; readonly type: 'S' } = TABLE_KEY,
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: key.name, AttributeType: key.type }],
      KeySchema: [{ AttributeName: key.name, KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
}
