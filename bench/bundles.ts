/**
 * The two bundles the cold start runs: the function as `npm run build:lambda` makes it, and
 * the floor (`bench/floor.ts`) built with the very same esbuild options. Sizes raw and gzipped,
 * and what weighs most in the function's bundle (from esbuild's metafile).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { buildLambda, lambdaBuildOptions } from '../scripts/build-lambda.js';

export interface Bundle {
  readonly path: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export interface Bundles {
  readonly function: Bundle;
  readonly floor: Bundle;
  /** The function bundle's bytes by package (or source folder), largest first. */
  readonly composition: ReadonlyArray<{ readonly input: string; readonly bytes: number }>;
}

const FLOOR_ENTRY = fileURLToPath(new URL('./floor.ts', import.meta.url));

export async function buildBundles(outDir: string): Promise<Bundles> {
  const built = await buildLambda({ outDir: join(outDir, 'function'), metafile: true });
  const floorPath = join(outDir, 'floor', 'floor.mjs');
  await build(lambdaBuildOptions(FLOOR_ENTRY, floorPath));
  return {
    function: sizes(built.bundlePath),
    floor: sizes(floorPath),
    composition: built.metafile === undefined ? [] : composition(built.metafile),
  };
}

function sizes(path: string): Bundle {
  const bytes = readFileSync(path);
  return { path, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}

/** Output bytes grouped by npm package, or by folder for the project's own sources. */
export function composition(metafile: Metafile): Array<{ input: string; bytes: number }> {
  const byInput = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
      const key = pkg ?? file.split('/').slice(0, -1).join('/');
      byInput.set(key, (byInput.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...byInput].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes);
}
