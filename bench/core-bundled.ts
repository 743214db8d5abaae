/**
 * The core overhead (`core.ts`) as Lambda runs the core: bundled with the function's own esbuild
 * options (`lambdaBuildOptions`: minified, no `keepNames`) and measured in a process of its own,
 * on this Node.js or on another (Node.js 22, the Lambda runtime). Run from source through tsx,
 * the same requests cost 5 to 35% more (tsx keeps names: every function a request creates is
 * named as it is made), and on Node.js 20 a write costs up to twice what it does on 22.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE_FILE_NAME, lambdaBuildOptions } from '../scripts/build-lambda.js';
import type { CoreOverhead } from './core.js';

const CORE_ENTRY = fileURLToPath(new URL('./core.ts', import.meta.url));

/** Bundles `core.ts` into `outDir`; returns the file to run. */
export async function buildCoreOverhead(outDir: string): Promise<string> {
  await build(lambdaBuildOptions(CORE_ENTRY, outDir));
  return join(outDir, BUNDLE_FILE_NAME);
}

/**
 * @param bundle what `buildCoreOverhead` returned
 * @param node the `node` binary to run it on
 * @param iterations as `measureCoreOverhead` takes them
 */
export async function measureBundledCoreOverhead(
  bundle: string,
  node: string,
  iterations: number,
): Promise<CoreOverhead> {
  const { stdout } = await promisify(execFile)(node, [bundle, String(iterations)]);
  return JSON.parse(stdout) as CoreOverhead;
}
