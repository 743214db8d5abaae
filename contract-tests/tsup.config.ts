/**
 * The package build: the command (`dist/cli.js`, with its shebang) and the library
 * (`dist/index.js` and its types), ES modules for Node 20.19+. Dependencies stay imports. The
 * openapi.yaml the package was built from is copied beside them: the command's default contract.
 */
import { copyFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { cli: 'src/cli.ts', index: 'src/index.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  tsconfig: 'tsconfig.json',
  sourcemap: true,
  clean: true,
  splitting: true,
  async onSuccess() {
    copyFileSync('../openapi.yaml', 'dist/openapi.yaml');
  },
});
