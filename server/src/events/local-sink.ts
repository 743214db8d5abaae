/**
 * Events for `npm start`: each one printed as a JSON line on stdout, shaped as EventBridge
 * delivers it (schema `WriteEvent`), and POSTed to `EVENTS_WEBHOOK_URL` when it matches the same
 * rule pattern that Terraform deploys: locally a webhook receives what the API destination sends.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { stringifyJson } from '../core/json.js';
import type { components } from '../core/openapi/types.gen.js';
import { type EventPublisher, eventDetailType } from '../core/ports.js';
import { type EventPattern, matchesPattern } from './rule-pattern.js';

/**
 * An event as EventBridge hands it to rules and targets (schema `WriteEvent` in openapi.yaml):
 * what the deployed webhooks receive unchanged, so what the local one receives too.
 */
export type EventEnvelope = components['schemas']['WriteEvent'];

export interface LocalPublisherOptions {
  readonly source: string;
  readonly region: string;
  readonly pattern: EventPattern;
  readonly webhookUrl: string | undefined;
  readonly logger: Logger;
  /** Where the JSON lines go; stdout by default. */
  readonly write?: (line: string) => void;
  /** Time limit of a webhook POST. */
  readonly webhookTimeoutMs?: number;
}

export function createLocalPublisher(options: LocalPublisherOptions): EventPublisher {
  const { source, region, pattern, webhookUrl, logger } = options;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  return {
    async publish(detail) {
      const envelope: EventEnvelope = {
        version: '0',
        id: randomUUID(),
        'detail-type': eventDetailType(detail.operation),
        source,
        account: '000000000000',
        time: detail.occurredAt,
        region,
        resources: [],
        detail,
      };
      const body = stringifyJson(envelope);
      write(body);
      if (webhookUrl === undefined || !matchesPattern(pattern, envelope)) return;
      try {
        const response = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(options.webhookTimeoutMs ?? 5_000),
        });
        await response.body?.cancel();
        if (!response.ok) {
          logger.warn('event webhook refused the event', {
            status: response.status,
            id: envelope.id,
          });
        }
      } catch (error) {
        logger.warn('event webhook unreachable', { error, id: envelope.id });
      }
    },
  };
}
