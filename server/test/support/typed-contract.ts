/**
 * "Make it yours" as a test sees it: openapi.yaml with a team's own `Item` (and `Address`) from
 * `../fixtures/typed-item.yaml` in place of the shipped `Item`. The shipped contract stays as it
 * is.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { parseOpenApi, readOpenApiText } from '../../src/openapi.js';

/** The typed contract, as YAML text. */
export function typedItemContract(): string {
  const document = parseOpenApi(readOpenApiText());
  const schemas = parse(
    readFileSync(new URL('../fixtures/typed-item.yaml', import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
  Object.assign(document.components?.schemas ?? {}, schemas);
  return stringify(document);
}
