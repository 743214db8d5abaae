import { defineConfig } from 'vitest/config';

/**
 * Projects, from fast to thorough:
 * - `unit`: the pure modules, beside them (`server/src/**\/*.test.ts`): no engine, no network;
 * - `core`: the contract through the core and its adapters on a real engine (dynalite);
 * - `server`: everything else about the server: processes, faults, load, fuzz, Terraform;
 * - `sdk`: the SDK against the real local server and msw, and its inferred types;
 * - `bench`: `npm run bench -- --quick`, so no measure can rot.
 * `npm run test:quick` runs `unit` and `core`; `npm test` runs them all.
 */
const env = {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const CORE = ['server/test/api.test.ts', 'server/test/concurrency.test.ts'];
/** Workspace packages resolve to their sources here (see tsconfig.json `customConditions`). */
const conditions = ['@dynamo-crud/source', 'node', 'development|production'];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['server/src/**/*.test.ts', 'contract-tests/src/**/*.test.ts'],
        },
      },
      { extends: true, test: { name: 'core', include: CORE } },
      {
        extends: true,
        test: { name: 'server', include: ['server/test/**/*.test.ts'], exclude: CORE },
      },
      {
        extends: true,
        test: {
          name: 'sdk',
          include: ['sdk/test/**/*.test.ts'],
          // The SDK's inferred types, checked by tsc (`*.test-d.ts`); its own tsconfig keeps the
          // check to the SDK and its type tests.
          typecheck: {
            enabled: true,
            include: ['sdk/test/**/*.test-d.ts'],
            tsconfig: 'sdk/tsconfig.test-d.json',
          },
        },
      },
      {
        extends: true,
        test: { name: 'contract-tests', include: ['contract-tests/test/**/*.test.ts'] },
      },
      { extends: true, test: { name: 'bench', include: ['bench/**/*.test.ts'] } },
    ],
  },
});
