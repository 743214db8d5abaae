import { readFileSync } from 'node:fs';
import type { Document } from 'openapi-backend';
import { parse } from 'yaml';

/** openapi.yaml at the repository root: the single source of truth. */
export const CONTRACT_PATH = new URL('../../openapi.yaml', import.meta.url);

export function readContractText(): string {
  return readFileSync(CONTRACT_PATH, 'utf8');
}

export function loadContract(text: string = readContractText()): Document {
  return parse(text) as Document;
}
