/**
 * `npm run build:lambda`: bundles the Lambda entry (`server/src/lambda.ts`) with esbuild into one
 * ESM file and zips it where Terraform's `aws_lambda_function.filename` points
 * (`dist/lambda/lambda.zip`).
 *
 * - Everything is bundled, the AWS SDK included: the function does not depend on the SDK version
 *   the Node.js 22 runtime happens to ship.
 * - The bundle is ESM, and some bundled CommonJS (the AWS SDK) calls `require("node:https")`;
 *   a `createRequire` banner gives it a real `require`.
 * - openapi.yaml is parsed here, at build time, and inlined as JSON (the `__CONTRACT_JSON__`
 *   define read by `server/src/contract.ts`): the zip holds one file and the function reads
 *   nothing from disk and parses no YAML at start. Its routing and request validators are
 *   compiled from it too (`scripts/generate-contract.ts`, regenerated first when stale), so
 *   neither openapi-backend nor Ajv is in the bundle (docs/decisions/002-cold-start.md).
 * - The zip is reproducible (fixed timestamps, fixed permissions): the same code gives the same
 *   bytes, so Terraform's `source_code_hash` only changes when the code does.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions as EsbuildOptions, type Metafile, type Plugin } from 'esbuild';
import { zipSync } from 'fflate';
import { loadContract } from '../server/src/contract.js';
import { writeContractModule } from './generate-contract.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The handler's module inside the zip; Terraform's `handler` is `index.handler`. */
export const BUNDLE_FILE_NAME = 'index.mjs';
/** What `aws_lambda_function.handler` must say: the file above, export `handler`. */
export const LAMBDA_HANDLER = 'index.handler';
/** Where the zip goes by default, relative to the repository root (git-ignored `dist/`). */
export const LAMBDA_ZIP_PATH = 'dist/lambda/lambda.zip';
/** The Lambda runtime the bundle targets; Terraform deploys the same. */
export const LAMBDA_RUNTIME = 'nodejs22.x';

const ENTRY = join(REPO_ROOT, 'server/src/lambda.ts');
const CONTRACT_MODULE = join(REPO_ROOT, 'server/src/contract.ts');
/** A fixed time for every zip entry (zip times start in 1980), so builds are reproducible. */
const ZIP_MTIME = new Date('1980-01-01T00:00:00Z');

/**
 * In the bundle the contract is always inlined, so `server/src/contract.ts` never parses YAML
 * there: its `yaml` import becomes a stub that throws, keeping the YAML parser (~110 KiB) out.
 */
const noYamlParser: Plugin = {
  name: 'no-yaml-parser',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^yaml$/ }, (args) =>
      args.importer === CONTRACT_MODULE ? { path: 'yaml', namespace: 'no-yaml-parser' } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'no-yaml-parser' }, () => ({
      contents:
        "export function parse() { throw new Error('the Lambda bundle parses no YAML: the contract is inlined'); }",
      loader: 'js',
    }));
  },
};

/**
 * The esbuild options of the Lambda bundle, for `entry`. Exported so that the bench builds its
 * floor bundle (`bench/floor.ts`) exactly as the function is built.
 */
export function lambdaBuildOptions(
  entry: string,
  outfile: string,
  plugins: Plugin[] = [],
): EsbuildOptions & { entryPoints: string[]; outfile: string } {
  return {
    entryPoints: [entry],
    outfile,
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
    define: { __CONTRACT_JSON__: JSON.stringify(JSON.stringify(loadContract())) },
    plugins,
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
  readonly bundlePath: string;
  readonly zipPath: string;
  /** Size of the bundle as deployed (unzipped), and gzipped, in bytes. */
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
  readonly zipBytes: number;
  readonly metafile?: Metafile;
}

export async function buildLambda(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? join(REPO_ROOT, dirname(LAMBDA_ZIP_PATH));
  const bundlePath = join(outDir, BUNDLE_FILE_NAME);
  const zipPath = join(outDir, 'lambda.zip');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const { metafile } = await build({
    ...lambdaBuildOptions(ENTRY, bundlePath, [noYamlParser]),
    metafile: options.metafile === true,
  });

  const bundle = readFileSync(bundlePath);
  const zip = zipSync(
    { [BUNDLE_FILE_NAME]: [bundle, { mtime: ZIP_MTIME, os: 3, attrs: 0o644 << 16 }] },
    { level: 9 },
  );
  writeFileSync(zipPath, zip);
  return {
    bundlePath,
    zipPath,
    bundleBytes: bundle.length,
    bundleGzipBytes: gzipSync(bundle, { level: 9 }).length,
    zipBytes: zip.length,
    ...(metafile === undefined ? {} : { metafile }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The routing and validators the core runs are compiled from openapi.yaml: never bundle
  // ones compiled from an older contract.
  if (await writeContractModule()) console.log('regenerated server/src/core/contract.gen.ts');
  const result = await buildLambda();
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log(
    `${relative(REPO_ROOT, result.zipPath)}: ${kib(result.zipBytes)} ` +
      `(bundle ${kib(result.bundleBytes)}, gzip ${kib(result.bundleGzipBytes)})`,
  );
}
