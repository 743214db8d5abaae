/**
 * The SDK's weight in an app: its main entry bundled and minified as an app's bundler would,
 * without ky (its one dependency, which the app installs anyway), then gzipped. The baseline is
 * what @hey-api/openapi-ts generates alone (`sdk/src/gen/sdk.gen.ts` and its client), measured
 * the same way: the hand-written front is the difference.
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface SdkSize {
  readonly bytes: number;
  readonly gzipBytes: number;
}

const SDK_ENTRY = fileURLToPath(new URL('../sdk/src/index.ts', import.meta.url));
const GENERATED_ENTRY = fileURLToPath(new URL('../sdk/src/gen/sdk.gen.ts', import.meta.url));

export async function measureSdkSize(): Promise<{ sdk: SdkSize; generated: SdkSize }> {
  return { sdk: await minified(SDK_ENTRY), generated: await minified(GENERATED_ENTRY) };
}

async function minified(entry: string): Promise<SdkSize> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['ky'],
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}
