import type { EventPublisher, WriteEventDetail } from '../../src/core/ports.js';

/** A publisher that keeps what it is given, for tests that look at the events of their writes. */
export interface RecordingPublisher extends EventPublisher {
  readonly published: WriteEventDetail[];
}

export function createRecordingPublisher(): RecordingPublisher {
  const published: WriteEventDetail[] = [];
  return {
    published,
    async publish(detail) {
      published.push(detail);
    },
  };
}
