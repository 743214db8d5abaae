/**
 * The API reference page: Swagger UI (`swagger-ui-dist`, bundled from npm, nothing fetched from
 * a CDN, so it works offline) rendering openapi.yaml, with "Try it out" sending real requests.
 * `npm start` serves it at `/docs` (try it out goes to that same server); `npm run docs` writes
 * the same files to a folder for static hosting (try it out goes to the document's `servers`).
 * Never part of the Lambda: only `local/` and `scripts/` import it. See decision 006.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

/** A file of the page: its name (relative to the page's folder), media type and content. */
export interface DocsFile {
  readonly name: string;
  readonly contentType: string;
  readonly body: string | Uint8Array;
}

export interface DocsOptions {
  /**
   * `same-origin`: try it out calls the server the page came from (what `npm start` serves).
   * `servers` (default): it calls the document's `servers`, as a hosted page must.
   */
  readonly target?: 'same-origin' | 'servers';
  /** Where the page's own files are, as the page links them: `./` (default) or e.g. `/docs/`. */
  readonly base?: string;
}

const SWAGGER_UI = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** `index.html` and the renderer's files, for `openApiText` (YAML or JSON). */
export function docsFiles(openApiText: string, options: DocsOptions = {}): DocsFile[] {
  const document = parse(openApiText) as { info?: { title?: string } };
  const base = options.base ?? './';
  // JSON inside <script>: `<` escaped, so no string in the contract can close the element.
  const spec = JSON.stringify(document).replaceAll('<', '\\u003c');
  const title = escapeHtml(`${document.info?.title ?? 'API'} reference`);
  const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title}</title>
  <link rel="stylesheet" href="${base}swagger-ui.css">
  <style>body { margin: 0 } .swagger-ui .topbar { display: none }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script id="openapi" type="application/json">${spec}</script>
  <script src="${base}swagger-ui-bundle.js"></script>
  <script>
    const spec = JSON.parse(document.getElementById('openapi').textContent);
    ${
      options.target === 'same-origin'
        ? `spec.servers = [{ url: window.location.origin, description: 'This server' }];`
        : ''
    }
    window.ui = SwaggerUIBundle({
      spec,
      dom_id: '#swagger-ui',
      deepLinking: true,
      // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
      validatorUrl: null,
      displayOperationId: true,
      defaultModelsExpandDepth: 1,
      showExtensions: true,
    });
  </script>
</body>
</html>
`;
  return [
    { name: 'index.html', contentType: 'text/html; charset=utf-8', body: html },
    {
      name: 'swagger-ui.css',
      contentType: 'text/css; charset=utf-8',
      body: readFileSync(join(SWAGGER_UI, 'swagger-ui.css')),
    },
    {
      name: 'swagger-ui-bundle.js',
      contentType: 'text/javascript; charset=utf-8',
      body: readFileSync(join(SWAGGER_UI, 'swagger-ui-bundle.js')),
    },
  ];
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
