/**
 * The `IdempotencyStore` port on Powertools idempotency (`makeIdempotent`): the record of each
 * key is put "in progress" before the write (a conditional put, so of two requests with one key
 * only one proceeds), completed with the answer after it, and deleted when the write fails.
 * Loaded on the first request with an `Idempotency-Key` (`store.ts`): cold starts and requests
 * without the header never load it.
 *
 * What Powertools decides, as its docs describe it: the key's record holds a hash of the
 * request's fingerprint (`payloadValidationJmesPath`), so a reused key is told apart; a record
 * past `expiresAfterSeconds` counts as absent (DynamoDB's TTL deletes it later, within days);
 * a record left "in progress" counts as absent once the invocation that made it has ended
 * (`in_progress_expiration`, from the Lambda context's remaining time).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyInconsistentStateError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { isTransientAwsError } from '../aws/transient.js';
import {
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
  type IdempotencyStore,
  StoreUnavailableError,
} from '../core/ports.js';
import type { ApiResponse } from '../core/request.js';

export interface PowertoolsIdempotencyOptions {
  /** How long a success is remembered, in seconds (`IDEMPOTENCY_TTL_SECONDS`). */
  readonly ttlSeconds: number;
  /**
   * How long a first request may take where the request has no deadline (`npm start`), in ms:
   * after that, its key counts as abandoned (the process died) and is free again.
   */
  readonly inProgressMs: number;
  readonly logger: Logger;
}

/** Every record's key starts with this (then `#` and the SHA-256 of the client's key). */
export const RECORD_KEY_PREFIX = 'Idempotency-Key';

/**
 * An answer as a record holds it. A body over `GZIP_FROM` bytes is kept gzipped (`gzipped`):
 * an answer near DynamoDB's 400 KB item then fits in its record, and a large one costs fewer
 * write units; a small one is kept as text (`body`), sparing each request a zlib stream.
 */
interface RecordedAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly gzipped?: Uint8Array;
}

/** Bodies longer than this many bytes are kept gzipped. */
export const GZIP_FROM = 1024;

/**
 * Powertools' JMESPath functions (`PowertoolsFunctions`), made once and given to each request's
 * `IdempotencyConfig`, which otherwise makes its own, looking up its methods each time (about
 * 20 µs a request, measured).
 */
const JMESPATH_FUNCTIONS = new IdempotencyConfig({}).jmesPathOptions.customFunctions;

export function createPowertoolsIdempotency(
  persistenceStore: BasePersistenceLayer,
  { ttlSeconds, inProgressMs, logger }: PowertoolsIdempotencyOptions,
): IdempotencyStore {
  return {
    async once(request, answer) {
      const until = request.deadline ?? Date.now() + inProgressMs;
      // A configuration per request: the remaining time is this request's, and requests run
      // concurrently in one process (`npm start`). The persistence layer takes its settings
      // from the first, and these are the same for all.
      const config = new IdempotencyConfig({
        eventKeyJmesPath: 'key',
        payloadValidationJmesPath: 'fingerprint',
        throwOnNoIdempotencyKey: true,
        expiresAfterSeconds: ttlSeconds,
        hashFunction: 'sha256',
        ...(JMESPATH_FUNCTIONS === undefined ? {} : { jmesPathOptions: JMESPATH_FUNCTIONS }),
        // Only what it reads: how long this request may still run (at least 1 ms, which
        // Powertools tells from "unknown").
        lambdaContext: {
          getRemainingTimeInMillis: () => Math.max(1, until - Date.now()),
        } as Context,
      });
      let computed: ApiResponse | undefined;
      let failed: { readonly error: unknown } | undefined;
      const run = makeIdempotent(
        async (_request: { key: string; fingerprint: string }): Promise<RecordedAnswer> => {
          try {
            computed = await answer();
          } catch (error) {
            failed = { error };
            throw error;
          }
          return record(computed);
        },
        { persistenceStore, config, keyPrefix: RECORD_KEY_PREFIX },
      );
      try {
        const recorded = await run({ key: request.key, fingerprint: request.fingerprint });
        return computed === undefined
          ? { response: replay(recorded), replayed: true }
          : { response: computed, replayed: false };
      } catch (error) {
        if (failed !== undefined) {
          // The write failed, and so did releasing the key (it frees itself at `until`): the
          // client hears why the write failed.
          if (error !== failed.error) {
            logger.error('idempotency key not released after a failed request', { error });
          }
          throw failed.error;
        }
        if (computed !== undefined) {
          // The write is done and the client must hear so; the key stays "in progress" until
          // `until`, then counts as new.
          logger.error('idempotency record not completed after a successful request', { error });
          return { response: computed, replayed: false };
        }
        throw translate(error);
      }
    },
  };
}

function record({ statusCode, headers, body }: ApiResponse): RecordedAnswer {
  return Buffer.byteLength(body) > GZIP_FROM
    ? { statusCode, headers, gzipped: gzipSync(body) }
    : { statusCode, headers, body };
}

function replay(recorded: RecordedAnswer): ApiResponse {
  return {
    statusCode: Number(recorded.statusCode),
    headers: { ...recorded.headers },
    body:
      recorded.gzipped === undefined
        ? (recorded.body ?? '')
        : gunzipSync(recorded.gzipped).toString('utf8'),
  };
}

/** Powertools' errors in the port's terms. */
function translate(error: unknown): unknown {
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return new IdempotencyKeyInProgressError({ cause: error });
  }
  // The record changed while it was read, three times over: the first request is still busy.
  if (error instanceof IdempotencyInconsistentStateError) {
    return new IdempotencyKeyInProgressError({ cause: error });
  }
  if (error instanceof IdempotencyValidationError) {
    return new IdempotencyKeyReusedError({ cause: error });
  }
  // Powertools wraps what the table threw (`IdempotencyPersistenceLayerError`), or not.
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (isTransientAwsError(cause) || isTransientAwsError(error)) {
    return new StoreUnavailableError({ cause: error });
  }
  return error;
}
