/**
 * The peers the bench measures beside the function and the floor: the frameworks users would
 * pick instead for the same API, each written as its docs show (`bench/peers/*.ts`). Each one's
 * Lambda bundle is its `CreateHandler` on `lambdaDependencies` (see `bundles.ts`), built with
 * the function's esbuild options.
 */
import type { Plugin } from 'esbuild';
import { middyCompiledValidators } from './middy-compiled.js';

export interface Peer {
  /** Stable key in `bench/results.json`. */
  readonly id: string;
  /** Its column in the table (the README says what each one is). */
  readonly label: string;
  /** Its source, and the name of the `CreateHandler` it exports. */
  readonly module: URL;
  readonly create: string;
  /** What its build adds to the function's esbuild options. */
  readonly plugins?: () => Plugin[];
  /** Files shipped beside the bundle that its cold start reads (relative to the repository). */
  readonly files?: readonly string[];
}

export const PEERS: readonly Peer[] = [
  {
    id: 'powertools',
    label: 'Powertools+zod',
    module: new URL('./powertools.ts', import.meta.url),
    create: 'createPowertoolsHandler',
  },
  {
    id: 'hono',
    label: 'hono+zod',
    module: new URL('./hono.ts', import.meta.url),
    create: 'createHonoHandler',
  },
  {
    id: 'middy',
    label: 'middy',
    module: new URL('./middy.ts', import.meta.url),
    create: 'createMiddyHandler',
  },
  {
    id: 'middyCompiled',
    label: 'middy, built',
    module: new URL('./middy.ts', import.meta.url),
    create: 'createMiddyHandler',
    plugins: () => [middyCompiledValidators()],
  },
  {
    id: 'openapiBackend',
    label: 'openapi-backend',
    module: new URL('./openapi-backend.ts', import.meta.url),
    create: 'createOpenApiBackendHandler',
    files: ['openapi.yaml'],
  },
];
