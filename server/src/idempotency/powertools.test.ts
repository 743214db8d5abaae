/**
 * The port on Powertools idempotency, with records in memory: what happens to the answer when
 * the record cannot be written, and what Powertools' errors become.
 */
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { describe, expect, it, vi } from 'vitest';
import {
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
  ItemNotFoundError,
  StoreUnavailableError,
} from '../core/ports.js';
import type { ApiResponse } from '../core/request.js';
import { createLogger } from '../logger.js';
import { MemoryPersistenceLayer } from './memory-persistence.js';
import { createPowertoolsIdempotency } from './powertools.js';

const created: ApiResponse = {
  statusCode: 201,
  headers: { 'content-type': 'application/json', etag: '"1"', location: '?user_id=ada' },
  body: '{"user_id":"ada"}',
};
const request = { key: 'k-1', fingerprint: 'f-1' };

function setup(persistence = new MemoryPersistenceLayer()) {
  const logger = createLogger({ logLevel: 'SILENT' });
  const logged = vi.spyOn(logger, 'error');
  const store = createPowertoolsIdempotency(persistence, {
    ttlSeconds: 60,
    inProgressMs: 1_000,
    logger,
  });
  return { store, persistence, logged };
}

/** A throttled DynamoDB call, as the SDK throws it. */
function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });
}

describe('createPowertoolsIdempotency', () => {
  it('runs the first request, then replays its answer without running again', async () => {
    const { store } = setup();
    const answer = vi.fn(async () => created);

    const first = await store.once(request, answer);
    const again = await store.once(request, answer);

    expect(first).toEqual({ response: created, replayed: false });
    expect(again).toEqual({ response: created, replayed: true });
    expect(answer).toHaveBeenCalledTimes(1);
  });

  it('refuses the key with another fingerprint', async () => {
    const { store } = setup();
    await store.once(request, async () => created);

    const reused = store.once({ ...request, fingerprint: 'f-2' }, async () => created);

    await expect(reused).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('refuses the key while its first request runs, until the first one ends', async () => {
    const { store } = setup();
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = store.once(request, async () => {
      await released;
      return created;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));

    const during = store.once(request, async () => created);
    await expect(during).rejects.toBeInstanceOf(IdempotencyKeyInProgressError);
    release();
    expect(await first).toEqual({ response: created, replayed: false });
    expect(await store.once(request, async () => created)).toMatchObject({ replayed: true });
  });

  it('remembers nothing of a failed request: the same key runs again', async () => {
    const { store } = setup();

    await expect(
      store.once(request, async () => {
        throw new ItemNotFoundError('ada');
      }),
    ).rejects.toBeInstanceOf(ItemNotFoundError);
    const retried = await store.once(request, async () => created);

    expect(retried).toEqual({ response: created, replayed: false });
  });

  it('answers a success whose record could not be completed, and logs it; the key waits for its time', async () => {
    class NoCompletion extends MemoryPersistenceLayer {
      protected override async _updateRecord(): Promise<void> {
        throw throttled();
      }
    }
    const { store, logged } = setup(new NoCompletion());

    const first = await store.once(request, async () => created);
    const again = store.once(request, async () => created);

    expect(first).toEqual({ response: created, replayed: false });
    expect(logged).toHaveBeenCalledWith(
      'idempotency record not completed after a successful request',
      expect.objectContaining({ error: expect.any(Error) }),
    );
    await expect(again).rejects.toBeInstanceOf(IdempotencyKeyInProgressError);
  });

  it('tells the client why its request failed even when the key cannot be released, and logs that', async () => {
    class NoDelete extends MemoryPersistenceLayer {
      protected override async _deleteRecord(): Promise<void> {
        throw throttled();
      }
    }
    const { store, logged } = setup(new NoDelete());
    const failure = new ItemNotFoundError('ada');

    const attempt = store.once(request, async () => {
      throw failure;
    });

    await expect(attempt).rejects.toBe(failure);
    expect(logged).toHaveBeenCalledWith(
      'idempotency key not released after a failed request',
      expect.objectContaining({ error: expect.any(Error) }),
    );
  });

  it('is unavailable, before running anything, when the record cannot be put', async () => {
    class Throttled extends MemoryPersistenceLayer {
      protected override async _putRecord(_record: IdempotencyRecord): Promise<void> {
        throw throttled();
      }
    }
    const { store } = setup(new Throttled());
    const answer = vi.fn(async () => created);

    await expect(store.once(request, answer)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(answer).not.toHaveBeenCalled();
  });

  it('holds a key in progress until the request deadline, then frees it', async () => {
    const { store } = setup();
    const deadline = Date.now() + 50;
    void store.once({ ...request, deadline }, () => new Promise<ApiResponse>(() => {}));
    await new Promise((resolve) => setTimeout(resolve, 10));

    await expect(store.once(request, async () => created)).rejects.toBeInstanceOf(
      IdempotencyKeyInProgressError,
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await store.once(request, async () => created)).toEqual({
      response: created,
      replayed: false,
    });
  });
});
