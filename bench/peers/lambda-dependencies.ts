/**
 * A peer's Lambda wiring: the function's own clients, store and publisher (`createAwsPorts`),
 * built from the environment once per container, at module scope, as `server/src/lambda.ts`
 * builds them. Every peer's bundle starts from here (`bench/bundles.ts` writes the entry).
 */
import { fileURLToPath } from 'node:url';
import { createAwsPorts } from '../../server/src/aws/ports.js';
import { readLambdaConfig } from '../../server/src/config.js';
import { logger } from '../../server/src/logger.js';
import type { PeerDependencies } from './shared.js';

/** @param bundleUrl the entry's `import.meta.url`: openapi.yaml ships beside it. */
export function lambdaDependencies(bundleUrl: string): PeerDependencies {
  const config = readLambdaConfig();
  const { store, events } = createAwsPorts(config);
  return {
    store,
    events,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    openApiPath: fileURLToPath(new URL('openapi.yaml', bundleUrl)),
  };
}
