/**
 * The SDK's weight in an app: its main entry bundled and minified as an app's bundler would,
 * without ky (its one dependency, which the app installs anyway), then gzipped. The baseline is
 * what @hey-api/openapi-ts generates for the same contract with its own ky client (client, SDK
 * functions and types, as its docs show), generated afresh and measured the same way: what the
 * generator alone would ship on ky, before any error handling, time limit over the body or exact
 * numbers are added.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createClient } from '@hey-api/openapi-ts';
import { build } from 'esbuild';

export interface SdkSize {
  readonly bytes: number;
  readonly gzipBytes: number;
}

const SDK_ENTRY = fileURLToPath(new URL('../sdk/src/index.ts', import.meta.url));
const CONTRACT = fileURLToPath(new URL('../openapi.yaml', import.meta.url));

export async function measureSdkSize(): Promise<{ sdk: SdkSize; generated: SdkSize }> {
  const dir = mkdtempSync(join(tmpdir(), 'dynamo-crud-generated-client-'));
  try {
    await createClient({
      input: CONTRACT,
      output: { path: dir, entryFile: false, module: { extension: '.js' } },
      logs: { file: false, level: 'silent' },
      interactive: false,
      plugins: ['@hey-api/client-ky', '@hey-api/typescript', '@hey-api/sdk'],
    });
    return { sdk: await minified(SDK_ENTRY), generated: await minified(join(dir, 'sdk.gen.ts')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
