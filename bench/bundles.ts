/**
 * The bundles the cold start runs: the function as `npm run build:lambda` makes it, the floor
 * (`bench/floor.ts`) and each peer (`bench/peers/variants.ts`) built with the very same esbuild
 * options (code splitting included). Sizes raw and gzipped, and what weighs most in the
 * function's bundle (from esbuild's metafile).
 *
 * A bundle's size is what its cold start loads: the entry file and the chunks it imports
 * statically, not the entry file alone. The chunks loaded only by a dynamic `import()` (the SQS
 * dead-letter client, the SDK's lazy credential providers) are reported apart, by file.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import {
  buildLambda,
  bundleFiles,
  lambdaBuildOptions,
  REPO_ROOT,
} from '../scripts/build-lambda.js';
import { PEERS, type Peer } from './peers/variants.js';

export interface Bundle {
  /** The entry file, the module the cold start imports. */
  readonly path: string;
  /** What the cold start loads: the entry file and its static chunks, raw and gzipped. */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** The entry file alone, and how many files the cold start loads. */
  readonly entryBytes: number;
  readonly startFiles: number;
  /** Chunks loaded only on a dynamic `import()`, each with what it was split from. */
  readonly lazy: ReadonlyArray<{
    readonly file: string;
    readonly bytes: number;
    readonly from: string;
  }>;
}

export interface Bundles {
  readonly function: Bundle;
  readonly floor: Bundle;
  /** Each peer's, by its id. */
  readonly peers: Readonly<Record<string, Bundle>>;
  /** The function bundle's bytes by package (or source folder), largest first. */
  readonly composition: ReadonlyArray<{ readonly input: string; readonly bytes: number }>;
}

const FLOOR_ENTRY = fileURLToPath(new URL('./floor.ts', import.meta.url));
const LAMBDA_DEPENDENCIES = fileURLToPath(
  new URL('./peers/lambda-dependencies.ts', import.meta.url),
);

export async function buildBundles(outDir: string): Promise<Bundles> {
  const functionDir = join(outDir, 'function');
  const built = await buildLambda({ outDir: functionDir, metafile: true });
  const floorDir = join(outDir, 'floor');
  const { metafile: floorMetafile } = await build({
    ...lambdaBuildOptions(FLOOR_ENTRY, floorDir),
    metafile: true,
  });
  const functionMetafile = built.metafile as Metafile;
  const peers: Record<string, Bundle> = {};
  for (const peer of PEERS) peers[peer.id] = await buildPeer(peer, outDir);
  return {
    function: sizes(functionDir, functionMetafile),
    floor: sizes(floorDir, floorMetafile),
    peers,
    composition: composition(functionMetafile, startOutputs(functionDir, functionMetafile)),
  };
}

/**
 * A peer's bundle: its entry is the same two lines for every peer (its `CreateHandler` on the
 * function's clients, store and publisher), written here; the files it reads at start are
 * shipped beside it and counted in what its cold start loads.
 */
async function buildPeer(peer: Peer, outDir: string): Promise<Bundle> {
  const dir = join(outDir, 'peers', peer.id);
  const entry = join(outDir, 'entries', `${peer.id}.ts`);
  mkdirSync(join(outDir, 'entries'), { recursive: true });
  writeFileSync(
    entry,
    [
      `import { ${peer.create} as create } from ${JSON.stringify(fileURLToPath(peer.module))};`,
      `import { lambdaDependencies } from ${JSON.stringify(LAMBDA_DEPENDENCIES)};`,
      'export const handler = create(lambdaDependencies(import.meta.url));',
      '',
    ].join('\n'),
  );
  const { metafile } = await build({
    ...lambdaBuildOptions(entry, dir),
    metafile: true,
    plugins: peer.plugins?.() ?? [],
  });
  const files = (peer.files ?? []).map((file) => {
    copyFileSync(join(REPO_ROOT, file), join(dir, basename(file)));
    return basename(file);
  });
  return sizes(dir, metafile, files);
}

/** @param extraFiles files beside the bundle that its cold start reads too */
function sizes(dir: string, metafile: Metafile, extraFiles: readonly string[] = []): Bundle {
  const files = bundleFiles(metafile, dir);
  const startFiles = [...files.startFiles, ...extraFiles];
  const { lazyFiles } = files;
  const start = Buffer.concat(startFiles.map((file) => readFileSync(join(dir, file))));
  const entry = startFiles[0] as string;
  const outputs = byFile(dir, metafile);
  return {
    path: join(dir, entry),
    bytes: start.length,
    gzipBytes: gzipSync(start, { level: 9 }).length,
    entryBytes: readFileSync(join(dir, entry)).length,
    startFiles: startFiles.length,
    lazy: lazyFiles.map((file) => ({
      file,
      bytes: readFileSync(join(dir, file)).length,
      from: splitFrom(outputs.get(file)),
    })),
  };
}

/** The metafile's outputs by file name relative to `dir`. */
function byFile(dir: string, metafile: Metafile): Map<string, Metafile['outputs'][string]> {
  return new Map(
    Object.entries(metafile.outputs).map(([output, meta]) => [
      resolve(process.cwd(), output).slice(resolve(dir).length + 1),
      meta,
    ]),
  );
}

/** The metafile output keys of what the cold start loads. */
function startOutputs(dir: string, metafile: Metafile): Set<string> {
  const start = new Set(bundleFiles(metafile, dir).startFiles);
  return new Set(
    Object.keys(metafile.outputs).filter((output) =>
      start.has(resolve(process.cwd(), output).slice(resolve(dir).length + 1)),
    ),
  );
}

/** What a lazy chunk was split from: the npm package (or file) its dynamic import names. */
function splitFrom(output: Metafile['outputs'][string] | undefined): string {
  const entry = output?.entryPoint ?? '';
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(entry)?.[1] ?? (entry || 'shared');
}

/**
 * Output bytes grouped by npm package, or by folder for the project's own sources; of the
 * outputs in `only` when given (e.g. what the cold start loads).
 */
export function composition(
  metafile: Metafile,
  only?: ReadonlySet<string>,
): Array<{ input: string; bytes: number }> {
  const byInput = new Map<string, number>();
  for (const [name, output] of Object.entries(metafile.outputs)) {
    if (only !== undefined && !only.has(name)) continue;
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
      const key = pkg ?? file.split('/').slice(0, -1).join('/');
      byInput.set(key, (byInput.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...byInput].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes);
}
