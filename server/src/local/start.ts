/**
 * The API on this machine, as `npm start` runs it: the same core as the Lambda, on the embedded
 * DynamoDB engine (or the one `DYNAMODB_ENDPOINT` names), behind the `node:http` adapter, with
 * events going to the local sink. Also what other packages' tests start (`@dynamo-crud/server/local`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Asset, type NodeHttpServer, startNodeHttpServer } from '../adapters/node-http.js';
import { invocationBudget } from '../aws/budget.js';
import { createDynamoDbClient } from '../aws/clients.js';
import { isTransientAwsError } from '../aws/transient.js';
import { ConfigError, type LocalConfig, readLocalConfig } from '../config.js';
import { createApp } from '../core/app.js';
import { OPENAPI_FINGERPRINT } from '../core/openapi/operations.gen.js';
import { createLocalPublisher } from '../events/local-sink.js';
import { postRulePatternFor } from '../events/rule-pattern.js';
import { createDynamoDbIdempotency, IDEMPOTENCY_TABLE_KEY } from '../idempotency/store.js';
import { logger } from '../logger.js';
import { openApiFingerprint, parseOpenApi, readOpenApiText } from '../openapi.js';
import { createDocumentClient, createDynamoDbStore } from '../store/dynamodb.js';
import { docsFiles } from './docs.js';
import { type Engine, ensureTable, LOCAL_CREDENTIALS, startEngine } from './dynalite.js';

export interface LocalApi {
  /**
   * e.g. `http://127.0.0.1:3000`; the API is at `/dynamo`, the contract at `/openapi.yaml`, its
   * reference page at `/docs`.
   */
  readonly url: string;
  readonly config: LocalConfig;
  /** Where the items are: the data folder of the embedded engine, or the endpoint used. */
  readonly storage: string;
  /** Stops the server, then the engine it started. */
  close(): Promise<void>;
}

export interface LocalOptions {
  /** Where the local sink writes each event as a JSON line; stdout by default. */
  readonly writeEvent?: (line: string) => void;
  /** Create the table when it is missing (default); `false` serves whatever is there. */
  readonly createTable?: boolean;
}

/**
 * Starts the API with the configuration in `env` (see the README's table; `PORT=0` picks a
 * free port).
 *
 * @throws ConfigError naming a variable with a bad value, or when openapi.yaml changed since
 *   the code was generated from it.
 */
export async function startLocal(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: LocalOptions = {},
): Promise<LocalApi> {
  const config = readLocalConfig(env);
  // Served from disk here, so it may have been edited since `npm run generate` compiled the
  // routing and validators: refuse to serve one contract while checking another.
  const openApiText = readOpenApiText();
  if (openApiFingerprint(parseOpenApi(openApiText)) !== OPENAPI_FINGERPRINT) {
    throw new ConfigError(
      'openapi.yaml changed since the server code was generated from it: run `npm run generate`',
    );
  }

  const engine: Engine | undefined =
    config.dynamodbEndpoint === undefined ? await startEngine(config.dataDir) : undefined;
  const endpoint = config.dynamodbEndpoint ?? (engine as Engine).endpoint;
  const client = createDynamoDbClient(
    { ...config, dynamodbEndpoint: endpoint },
    env.AWS_ACCESS_KEY_ID === undefined ? LOCAL_CREDENTIALS : undefined,
  );
  let server: NodeHttpServer | undefined;
  try {
    if (options.createTable !== false) {
      await ensureTable(client, config.tableName).catch((error: unknown) => {
        if (config.dynamodbEndpoint === undefined || !isTransientAwsError(error)) throw error;
        const reason = (error as { code?: string }).code ?? (error as Error).name;
        throw new ConfigError(
          `DYNAMODB_ENDPOINT ${config.dynamodbEndpoint} cannot be reached (${reason}); start the engine there, or unset DYNAMODB_ENDPOINT to use the embedded one`,
        );
      });
      // Expired records are told apart by their `expiration`; locally nothing deletes them.
      await ensureTable(client, config.idempotency.tableName, IDEMPOTENCY_TABLE_KEY);
    }
    const app = createApp({
      store: createDynamoDbStore(createDocumentClient(client), config.tableName),
      // Nothing stops a request here: a key is held "in progress" for as long as a request
      // can take on Lambda with these settings, then taken as abandoned (the process died).
      idempotency: createDynamoDbIdempotency({
        client,
        tableName: config.idempotency.tableName,
        ttlSeconds: config.idempotency.ttlSeconds,
        inProgressMs: invocationBudget(config).totalMs,
        logger,
      }),
      events: createLocalPublisher({
        source: config.events.source,
        region: config.region,
        pattern: postRulePatternFor(config.events.source),
        webhookUrl: config.eventsWebhookUrl,
        logger,
        ...(options.writeEvent === undefined ? {} : { write: options.writeEvent }),
      }),
      logger,
      maxBodyBytes: config.maxBodyBytes,
      corsAllowOrigins: config.corsAllowOrigins,
      cursorKey:
        config.cursorKey ?? localCursorKey(engine === undefined ? undefined : config.dataDir),
      corsAllowHeaders: config.corsAllowHeaders,
    });
    server = await startNodeHttpServer({
      app,
      host: config.host,
      port: config.port,
      assets: new Map([
        ['/openapi.yaml', { contentType: 'application/yaml; charset=utf-8', body: openApiText }],
        ...docsAssets(openApiText),
      ]),
    });
  } catch (error) {
    client.destroy();
    await engine?.close();
    throw error;
  }
  const started = server;
  return {
    url: started.url,
    config,
    storage: engine === undefined ? endpoint : config.dataDir,
    async close() {
      await started.close();
      client.destroy();
      await engine?.close();
    },
  };
}

/** The reference page at `/docs` (and `/docs/`), its try it out aimed at this server. */
function docsAssets(openApiText: string): Array<[string, Asset]> {
  const files = docsFiles(openApiText, { target: 'same-origin', base: '/docs/' });
  const assets: Array<[string, Asset]> = files.map((f) => [`/docs/${f.name}`, f]);
  const page = files.find((f) => f.name === 'index.html');
  if (page !== undefined) assets.push(['/docs', page], ['/docs/', page]);
  return assets;
}

/**
 * The listing cursors' key when `CURSOR_KEY` is not set: kept beside the embedded engine's data
 * (so cursors outlive a restart as the items do), or made up for this process (`:memory:`, or
 * another engine's data this process does not own).
 */
function localCursorKey(dataDir: string | undefined): string {
  if (dataDir === undefined || dataDir === ':memory:') return randomBytes(32).toString('hex');
  const path = join(dataDir, 'cursor.key');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}
