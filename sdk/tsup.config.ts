/**
 * The package build: ESM (`.js`) and CommonJS (`.cjs`) for each entry, with bundled type
 * declarations for both (`.d.ts`, `.d.cts`). `ky` and `aws4fetch` stay imports: they are the
 * dependency and the optional peer dependency of the `sigv4` entry, never bundled. ky is ESM
 * only; the CommonJS build requires it as Node 20.19+ allows (`require` of an ES module).
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
  external: ['ky', 'aws4fetch'],
});
