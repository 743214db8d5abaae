/**
 * The server's code generated from another openapi.yaml, as a team that changes the contract
 * gets it: a copy of `server/src` in a folder inside the repository (so that it resolves the
 * same `node_modules`), its `core/openapi/` generated from that document, the document beside
 * it where `server/src/openapi.ts` looks for it. Tests import the copy's modules, type-check it,
 * and remove it.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { generateServerFiles } from '../../../scripts/generate-server.js';
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
    typeCheck: () =>
      promisify(execFile)(
        process.execPath,
        [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root],
        { cwd: REPO_ROOT },
      ).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      ),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
