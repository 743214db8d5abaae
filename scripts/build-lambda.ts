/**
 * `npm run build:lambda`: bundles the Lambda entry (`server/src/lambda.ts`) with esbuild into an
 * ESM entry file (`index.mjs`) plus code-split chunks (`chunks/`), and zips them where Terraform's
 * `aws_lambda_function.filename` points (`dist/lambda/lambda.zip`).
 *
 * - Everything is bundled, the AWS SDK included: the function does not depend on the SDK version
 *   the Node.js 22 runtime happens to ship.
 * - The bundle is ESM, and some bundled CommonJS (the AWS SDK) calls `require("node:https")`;
 *   a `createRequire` banner gives it (every chunk) a real `require`.
 * - Code splitting: what is only reached through a dynamic `import()` is a chunk of its own,
 *   loaded when first imported, not at start. Chiefly the SQS client of the dead-letter queue
 *   (`server/src/events/dead-letter.ts`, loaded on the first dead letter), and also the SDK's
 *   own lazily imported credential providers. What the entry imports statically is split into
 *   shared chunks too, and those are loaded at start: the cold start loads the entry file plus
 *   its static chunks (`BuildResult.startFiles`), not the entry file alone.
 * - The function needs no openapi.yaml: its routing, request validators and `Allow` lists are
 *   compiled from it (`scripts/generate-server.ts`, regenerated first when stale), so the zip
 *   holds only the bundle, nothing is read from disk or parsed at start, and neither
 *   openapi-backend, Ajv nor a YAML parser is in it (docs/decisions/002-cold-start.md).
 * - The zip is reproducible (fixed timestamps, fixed permissions): the same code gives the same
 *   bytes, so Terraform's `source_code_hash` only changes when the code does.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions as EsbuildOptions, type Metafile } from 'esbuild';
import { zipSync } from 'fflate';
import { writeServerFiles } from './generate-server.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The handler's module inside the zip; Terraform's `handler` is `index.handler`. */
export const BUNDLE_FILE_NAME = 'index.mjs';
/** Where the code-split chunks go, beside the entry file and in the zip. */
export const CHUNK_DIR = 'chunks';
/** What `aws_lambda_function.handler` must say: the file above, export `handler`. */
export const LAMBDA_HANDLER = 'index.handler';
/** Where the zip goes by default, relative to the repository root (git-ignored `dist/`). */
export const LAMBDA_ZIP_PATH = 'dist/lambda/lambda.zip';
/** The Lambda runtime the bundle targets; Terraform deploys the same. */
export const LAMBDA_RUNTIME = 'nodejs22.x';

const ENTRY = join(REPO_ROOT, 'server/src/lambda.ts');
/** A fixed time for every zip entry (zip times start in 1980), so builds are reproducible. */
const ZIP_MTIME = new Date('1980-01-01T00:00:00Z');

/**
 * The esbuild options of the Lambda bundle, for `entry`: the entry file is `outdir/index.mjs`,
 * its chunks `outdir/chunks/*.mjs`. Exported so that the bench builds its floor bundle
 * (`bench/floor.ts`) exactly as the function is built.
 */
export function lambdaBuildOptions(
  entry: string,
  outdir: string,
): EsbuildOptions & { outdir: string } {
  return {
    entryPoints: [{ in: entry, out: BUNDLE_FILE_NAME.replace(/\.mjs$/, '') }],
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
    splitting: true,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // ESM builds of the AWS SDK tree-shake better than their CommonJS ones.
    mainFields: ['module', 'main'],
    minify: true,
    treeShaking: true,
    legalComments: 'none',
    // For reading stack traces from the logs; kept beside the zip, not in it.
    sourcemap: 'external',
    sourcesContent: false,
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}

export interface BuildOptions {
  /** Where the bundle and the zip go; `dirname(LAMBDA_ZIP_PATH)` under the root by default. */
  readonly outDir?: string;
  /** Also return esbuild's metafile (what each input adds to the bundle), for the bench. */
  readonly metafile?: boolean;
}

export interface BuildResult {
  /** The entry file (`index.mjs`), the module Lambda imports. */
  readonly bundlePath: string;
  readonly zipPath: string;
  /** Every file in the zip, relative to the bundle's folder: the entry file first. */
  readonly files: readonly string[];
  /** What a cold start loads: the entry file and the chunks it imports statically. */
  readonly startFiles: readonly string[];
  /** Chunks loaded only by a dynamic `import()` (e.g. the SQS client), if ever. */
  readonly lazyFiles: readonly string[];
  /** Size of what a cold start loads (`startFiles`, unzipped), and gzipped, in bytes. */
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
  readonly zipBytes: number;
  readonly metafile?: Metafile;
}

/**
 * The files of a split build, relative to `outDir`: the entry file, what it loads at start (its
 * static imports, transitively), and the rest (reached only through a dynamic `import()`).
 */
export function bundleFiles(
  metafile: Metafile,
  outDir: string,
): { files: string[]; startFiles: string[]; lazyFiles: string[] } {
  // esbuild names its outputs relative to its working directory, the process's by default.
  const rel = (output: string) =>
    relative(outDir, resolve(process.cwd(), output)).split('\\').join('/');
  const outputs = Object.keys(metafile.outputs).filter((o) => o.endsWith('.mjs'));
  const entry = outputs.find((o) => rel(o) === BUNDLE_FILE_NAME);
  if (entry === undefined) throw new Error(`esbuild wrote no ${BUNDLE_FILE_NAME}`);
  const start = new Set<string>();
  const pending = [entry];
  for (let output = pending.pop(); output !== undefined; output = pending.pop()) {
    if (start.has(output)) continue;
    start.add(output);
    for (const { path, kind, external } of metafile.outputs[output]?.imports ?? []) {
      if (kind === 'import-statement' && external !== true) pending.push(path);
    }
  }
  const chunks = (list: string[]) =>
    list
      .filter((o) => o !== entry)
      .map(rel)
      .sort();
  const startFiles = [BUNDLE_FILE_NAME, ...chunks([...start])];
  const lazyFiles = chunks(outputs.filter((o) => !start.has(o)));
  return { files: [...startFiles, ...lazyFiles], startFiles, lazyFiles };
}

export async function buildLambda(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? join(REPO_ROOT, dirname(LAMBDA_ZIP_PATH));
  const bundlePath = join(outDir, BUNDLE_FILE_NAME);
  const zipPath = join(outDir, 'lambda.zip');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const { metafile } = await build({
    ...lambdaBuildOptions(ENTRY, outDir),
    metafile: true,
  });

  const { files, startFiles, lazyFiles } = bundleFiles(metafile, outDir);
  const zip = zipSync(
    Object.fromEntries(
      files.map((file) => [
        file,
        [readFileSync(join(outDir, file)), { mtime: ZIP_MTIME, os: 3, attrs: 0o644 << 16 }],
      ]),
    ),
    { level: 9 },
  );
  writeFileSync(zipPath, zip);
  const start = Buffer.concat(startFiles.map((file) => readFileSync(join(outDir, file))));
  return {
    bundlePath,
    zipPath,
    files,
    startFiles,
    lazyFiles,
    bundleBytes: start.length,
    bundleGzipBytes: gzipSync(start, { level: 9 }).length,
    zipBytes: zip.length,
    ...(options.metafile === true ? { metafile } : {}),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The routing and validators the core runs are compiled from openapi.yaml: never bundle
  // ones compiled from an older contract.
  const regenerated = await writeServerFiles();
  if (regenerated.length > 0) console.log(`regenerated ${regenerated.join(', ')}`);
  const result = await buildLambda();
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log(
    `${relative(REPO_ROOT, result.zipPath)}: ${kib(result.zipBytes)} ` +
      `(at start: ${result.startFiles.length} files, ${kib(result.bundleBytes)}, gzip ${kib(result.bundleGzipBytes)}; ` +
      `${result.lazyFiles.length} lazy chunks)`,
  );
}
