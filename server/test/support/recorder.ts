import type { EventPublisher, PublishOptions, WriteEventDetail } from '../../src/core/ports.js';

/** A publisher that keeps what it is given, for tests that look at the events of their writes. */
export interface RecordingPublisher extends EventPublisher {
  readonly published: WriteEventDetail[];
  /** The options each `publish` was given, in the same order as `published`. */
  readonly options: PublishOptions[];
}

export function createRecordingPublisher(): RecordingPublisher {
  const published: WriteEventDetail[] = [];
  const options: PublishOptions[] = [];
  return {
    published,
    options,
    async publish(detail, given = {}) {
      published.push(detail);
      options.push(given);
    },
  };
}
