/**
 * One Ajv instance per document, holding the whole document, so that a schema anywhere in it
 * (with its `$ref`s into `#/components/...`) can be checked against a value. Validators are
 * compiled once per schema and kept.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';

/** What is wrong with `value` as an instance of `schema` (empty when nothing), each message starting with `where`. */
export type SchemaCheck = (schema: object | string, value: unknown, where?: string) => string[];

const DOCUMENT_ID = 'openapi.json';

/**
 * @param document a parsed OpenAPI 3.0 document. A schema is given as an object (its local
 *   `$ref`s point into `document`) or as a reference string such as `#/components/schemas/Item`.
 */
export function createSchemaCheck(document: object): SchemaCheck {
  // `nullable` (OpenAPI 3.0) is one of Ajv's own keywords; strict mode would refuse `example`.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajvFormats.default(ajv);
  ajv.addSchema(document, DOCUMENT_ID);
  const validators = new Map<string, ValidateFunction>();

  return (schema, value, where = 'the value') => {
    const ref = typeof schema === 'string' ? { $ref: `${DOCUMENT_ID}${schema}` } : schema;
    const key = JSON.stringify(ref);
    let validate = validators.get(key);
    if (validate === undefined) {
      validate = ajv.compile(rebase(ref));
      validators.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${where}${e.instancePath === '' ? '' : ` at ${e.instancePath}`} ${e.message}`,
    );
  };
}

/** Points the local `#/...` references of an inline schema at the document. */
function rebase(schema: object): object {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"$ref":"#/', `"$ref":"${DOCUMENT_ID}#/`),
  ) as object;
}
