/**
 * The conformance check the bench holds every variant to before measuring it, run here on each
 * one from source, in this process (the bench runs it on their bundles): the function and every
 * peer pass it, and the floor, which does less by design, fails it, so the check can tell.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useAwsFakes } from '../../server/test/support/aws-fakes.js';
import { useTable } from '../../server/test/support/engine.js';
import {
  lambdaContext,
  lambdaEnvironment,
  restApiEvent,
} from '../../server/test/support/lambda-events.js';
import { createFunctionHandler } from './baselines.js';
import { type ConformanceSetup, checkConformance } from './conformance.js';
import { lambdaDependencies } from './lambda-dependencies.js';
import type { CreateHandler, LambdaHandler } from './shared.js';
import { PEERS } from './variants.js';

/** openapi.yaml is at the repository's root, as it is beside each peer's bundle. */
const ROOT = new URL('../../', import.meta.url).href;
const BUS_NAME = 'items-bus';

const aws = useAwsFakes();
const table = useTable();

function setupFor(handler: LambdaHandler, name: string): ConformanceSetup {
  return {
    invoke: async (request) => {
      const event = restApiEvent(request);
      return {
        requestId: event.requestContext.requestId,
        result: await handler(event, lambdaContext()),
      };
    },
    db: table.documentClient,
    tableName: table.tableName,
    eventBridge: aws.eventBridge,
    busName: BUS_NAME,
    prefix: `${name}-${randomUUID()}`,
    maxBodyBytes: 400 * 1024,
  };
}

describe('the conformance check every variant passes before it is measured', () => {
  beforeAll(() => {
    const env = lambdaEnvironment({
      dynamodbEndpoint: table.endpoint,
      tableName: table.tableName,
      busName: BUS_NAME,
    });
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  const variants: Array<[string, () => Promise<CreateHandler>]> = [
    ['the function', async () => createFunctionHandler],
    ...PEERS.map((peer): [string, () => Promise<CreateHandler>] => [
      peer.label,
      async () =>
        ((await import(peer.module.href)) as Record<string, CreateHandler>)[
          peer.create
        ] as CreateHandler,
    ]),
  ];

  it.each(variants)('%s passes it', async (name, load) => {
    const handler = (await load())(lambdaDependencies(ROOT));
    expect(await checkConformance(setupFor(handler, name))).toEqual([]);
  });

  it('fails the floor, which only makes the DynamoDB and EventBridge calls', async () => {
    vi.resetModules();
    const { handler } = await import('../floor.js');
    const failures = await checkConformance(setupFor(handler as LambdaHandler, 'floor'));
    expect(failures).toEqual(
      expect.arrayContaining([
        // No ETag or Location, and an event that is not the contract's.
        'POST creates the item: the required header Location is missing',
        expect.stringMatching(/^POST creates the item: event ItemCreatedDetail must have/),
        // Nothing answers DynamoDB's refusals, nor checks what DynamoDB does not.
        expect.stringMatching(/^POST never overwrites: the handler threw/),
        expect.stringMatching(
          /^POST: names starting with @ are reserved: status 201, expected 400/,
        ),
        expect.stringMatching(/^GET: no such item: .* application\/problem\+json/),
        expect.stringMatching(/^DELETE with a stale If-Match: status 200, expected 412/),
      ]),
    );
  });
});
