import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/test/**/*.test.ts', 'sdk/test/**/*.test.ts', 'bench/**/*.test.ts'],
    // The SDK's inferred types, checked by tsc (`*.test-d.ts`); its own tsconfig keeps the
    // check to the SDK and its type tests.
    typecheck: {
      enabled: true,
      include: ['sdk/test/**/*.test-d.ts'],
      tsconfig: 'sdk/tsconfig.test-d.json',
    },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
