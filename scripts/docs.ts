/**
 * `npm run docs [-- --out DIR]`: writes the API reference page for openapi.yaml (the same page
 * `npm start` serves at `/docs`) to `dist/docs/` for static hosting. Its try it out calls the
 * document's `servers`; a browser reaches an API on another origin only if that API allows the
 * page's origin (`CORS_ALLOW_ORIGINS`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { docsFiles } from '../server/src/local/docs.js';
import { readOpenApiText } from '../server/src/openapi.js';

/** Writes the page's files into `dir`; returns their paths. */
export function writeDocs(dir: string, openApiText = readOpenApiText()): string[] {
  mkdirSync(dir, { recursive: true });
  return docsFiles(openApiText).map((file) => {
    const path = join(dir, file.name);
    writeFileSync(path, file.body);
    return path;
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'dist/docs' } } });
  const written = writeDocs(values.out);
  console.log(`wrote ${written.join(', ')}`);
}
