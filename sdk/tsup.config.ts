/**
 * The package build: ESM (`.js`) and CommonJS (`.cjs`) for each entry, with bundled type
 * declarations for both (`.d.ts`, `.d.cts`). `aws4fetch`, the optional peer dependency of the
 * `sigv4` entry, stays an import, never bundled.
 */
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', sigv4: 'src/sigv4.ts' },
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  tsconfig: 'tsconfig.json',
  sourcemap: true,
  clean: true,
  splitting: false,
  treeshake: true,
  external: ['aws4fetch'],
});
