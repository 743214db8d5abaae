/**
 * A Powertools persistence layer in a `Map`, for the core's unit tests and for measuring the
 * layer's own cost (`npm run bench`): the same rules as `DynamoDBPersistenceLayer`'s conditional
 * put (a record may be replaced only when it is past its expiry, or still in progress past the
 * time its request could run), without I/O. One process only.
 */
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import {
  BasePersistenceLayer,
  IdempotencyRecord,
} from '@aws-lambda-powertools/idempotency/persistence';

export class MemoryPersistenceLayer extends BasePersistenceLayer {
  /** The records, by their key (`Idempotency-Key#…`), for tests to look at. */
  readonly records = new Map<string, IdempotencyRecord>();

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    const now = Date.now();
    const free =
      existing === undefined ||
      (existing.expiryTimestamp !== undefined && existing.expiryTimestamp < now / 1000) ||
      (existing.getStatus() === IdempotencyRecordStatus.INPROGRESS &&
        existing.inProgressExpiryTimestamp !== undefined &&
        existing.inProgressExpiryTimestamp < now);
    if (!free) {
      throw new IdempotencyItemAlreadyExistsError(
        `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
        copy(existing),
      );
    }
    this.records.set(record.idempotencyKey, copy(record));
  }

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const found = this.records.get(idempotencyKey);
    if (found === undefined) throw new IdempotencyItemNotFoundError();
    return copy(found);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    this.records.set(record.idempotencyKey, copy(record, existing?.inProgressExpiryTimestamp));
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

/** A record as another read of the store would give it: not the instance Powertools holds. */
function copy(record: IdempotencyRecord, inProgressExpiryTimestamp?: number): IdempotencyRecord {
  const until = record.inProgressExpiryTimestamp ?? inProgressExpiryTimestamp;
  return new IdempotencyRecord({
    idempotencyKey: record.idempotencyKey,
    status: record.getStatus(),
    responseData: record.responseData,
    ...(record.expiryTimestamp === undefined ? {} : { expiryTimestamp: record.expiryTimestamp }),
    ...(until === undefined ? {} : { inProgressExpiryTimestamp: until }),
    ...(record.payloadHash === undefined ? {} : { payloadHash: record.payloadHash }),
  });
}
