/**
 * openapi.yaml, the single source of truth, as a file: `npm start` serves it and checks that the
 * code generated from it is current; the generators and the tests read it. The Lambda never
 * does: everything it needs was generated from it at build time.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { OpenAPIV3 } from 'openapi-types';
import { parse } from 'yaml';

/** openapi.yaml at the repository root. */
export const OPENAPI_PATH = new URL('../../openapi.yaml', import.meta.url);

export type OpenApiDocument = OpenAPIV3.Document;

export function readOpenApiText(path: URL | string = OPENAPI_PATH): string {
  return readFileSync(path, 'utf8');
}

/** @throws when `text` is not YAML (or JSON). The document itself is not checked here. */
export function parseOpenApi(text: string = readOpenApiText()): OpenApiDocument {
  return parse(text) as OpenApiDocument;
}

/**
 * SHA-256 of the parsed document, as hex: the same for any two texts that say the same thing,
 * whatever their layout. `operations.gen.ts` records the fingerprint it was generated from.
 */
export function openApiFingerprint(document: OpenApiDocument): string {
  return createHash('sha256').update(JSON.stringify(document)).digest('hex');
}
