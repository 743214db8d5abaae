import { readFileSync } from 'node:fs';
import type { Document } from 'openapi-backend';
import { parse } from 'yaml';

/** openapi.yaml at the repository root: the single source of truth. */
export const CONTRACT_PATH = new URL('../../openapi.yaml', import.meta.url);

/**
 * The contract as JSON text, inlined by `scripts/build-lambda.ts` (an esbuild `define`) so the
 * Lambda bundle needs no openapi.yaml beside it and parses no YAML at start. Not defined when
 * running from source: then openapi.yaml is read and parsed.
 */
declare const __CONTRACT_JSON__: string | undefined;

export function readContractText(): string {
  return readFileSync(CONTRACT_PATH, 'utf8');
}

export function loadContract(text?: string): Document {
  if (text === undefined && typeof __CONTRACT_JSON__ === 'string') {
    return JSON.parse(__CONTRACT_JSON__) as Document;
  }
  return parse(text ?? readContractText()) as Document;
}
