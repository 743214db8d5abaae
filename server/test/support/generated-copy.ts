/**
 * The code generated from another openapi.yaml, as a team that changes the contract gets it: a
 * copy of `server/src` (or of `sdk/src`) in a folder inside the repository (so that it resolves
 * the same `node_modules`), its generated files generated from that document, the document
 * beside it where `server/src/openapi.ts` looks for it. Tests import the copy's modules,
 * type-check it, and remove it.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createClient as generateSdk } from '@hey-api/openapi-ts';
import { generateServerFiles } from '../../../scripts/generate-server.js';
import { generatorConfig as sdkGeneratorConfig } from '../../../sdk/openapi-ts.config.js';
import { REPO_ROOT } from './local-process.js';

export interface GeneratedCopy {
  /** The copy's folder: `openapi.yaml` and `server/src` in it. */
  readonly root: string;
  /** Imports a module of the copy's `server/src`, e.g. `core/app.ts`. */
  import<T>(path: string): Promise<T>;
  /** `tsc --noEmit` over the copy's `server/src`: its output, empty when it passes. */
  typeCheck(): Promise<string>;
  remove(): void;
}

export async function generateServerCopy(openApiText: string): Promise<GeneratedCopy> {
  const root = mkdtempSync(join(REPO_ROOT, '.generated-'));
  try {
    writeFileSync(join(root, 'openapi.yaml'), openApiText);
    cpSync(join(REPO_ROOT, 'server/src'), join(root, 'server/src'), {
      recursive: true,
      filter: (source) => !source.endsWith('.test.ts'),
    });
    for (const [name, text] of Object.entries(await generateServerFiles(openApiText))) {
      writeFileSync(join(root, 'server/src/core/openapi', name), text);
    }
    writeFileSync(
      join(root, 'tsconfig.json'),
      JSON.stringify({ extends: '../tsconfig.json', include: ['server/src'] }),
    );
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    root,
    import: <T>(path: string) =>
      import(pathToFileURL(join(root, 'server/src', path)).href) as Promise<T>,
    typeCheck: () => typeCheck(root),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface GeneratedSdkCopy {
  /** The copy's folder: `openapi.yaml` and `sdk/src` in it. */
  readonly root: string;
  /**
   * `tsc --noEmit` with the SDK's settings over the copy's `sdk/src` and `files` (name →
   * TypeScript, written beside `src`, importing it as `./src/index.js`): its output, empty when
   * it passes.
   */
  typeCheck(files: Readonly<Record<string, string>>): Promise<string>;
  remove(): void;
}

/** The SDK as `npm run generate` makes it from `openApiText`: its types are that contract's. */
export async function generateSdkCopy(openApiText: string): Promise<GeneratedSdkCopy> {
  const root = mkdtempSync(join(REPO_ROOT, '.generated-'));
  try {
    writeFileSync(join(root, 'openapi.yaml'), openApiText);
    cpSync(join(REPO_ROOT, 'sdk/src'), join(root, 'sdk/src'), {
      recursive: true,
      filter: (source) => !source.includes('/src/gen'),
    });
    await generateSdk(sdkGeneratorConfig(join(root, 'sdk/src/gen'), join(root, 'openapi.yaml')));
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    root,
    typeCheck: (files) => {
      for (const [name, text] of Object.entries(files))
        writeFileSync(join(root, 'sdk', name), text);
      writeFileSync(
        join(root, 'sdk/tsconfig.json'),
        JSON.stringify({
          extends: join(REPO_ROOT, 'sdk/tsconfig.json'),
          include: ['src', ...Object.keys(files)],
        }),
      );
      return typeCheck(join(root, 'sdk'));
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** `tsc --noEmit -p project`: its output, empty when it passes. */
function typeCheck(project: string): Promise<string> {
  return promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', project],
    { cwd: REPO_ROOT },
  ).then(
    () => '',
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
}
