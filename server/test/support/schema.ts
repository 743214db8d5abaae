/**
 * Checks a value against a schema of openapi.yaml's components, for what is not a response (the
 * events' detail). Formats the contract uses are checked too.
 */
import { Ajv } from 'ajv';
import { expect } from 'vitest';
import { contract } from './contract.js';

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat(
  'date-time',
  (value: string) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) &&
    !Number.isNaN(Date.parse(value)),
);
ajv.addSchema(contract as object, 'openapi.yaml');

/** Asserts that `value` matches `#/components/schemas/<name>` of openapi.yaml. */
export function expectSchema(name: string, value: unknown): void {
  const validate =
    ajv.getSchema(`openapi.yaml#/components/schemas/${name}`) ??
    ajv.compile({ $ref: `openapi.yaml#/components/schemas/${name}` });
  validate(value);
  expect(validate.errors ?? [], `${name}: ${JSON.stringify(value).slice(0, 300)}`).toEqual([]);
}
