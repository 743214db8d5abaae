/**
 * `npm run generate` (after the SDK's and the server's): openapi.yaml made importable by API
 * Gateway, written to `terraform/api-body.gen.json` (committed), which Terraform imports as the
 * REST API's body after adding the Lambda integration and authorization to each path.
 *
 * openapi.yaml keeps everything a reader and the other generators need (examples included);
 * this file carries only what API Gateway accepts, so that the import, with
 * `fail_on_warnings = true`, neither fails nor drops a route or model with a warning:
 *
 * - Schemas (every `components.schemas` entry becomes a model, JSON Schema draft 4) keep only the
 *   keywords in `MODEL_KEYWORDS`. API Gateway refuses some (`example`: "Unable to create model
 *   ... Unsupported keyword(s): ["example"]") and documents others as unsupported
 *   (`UNSUPPORTED_MODEL_KEYWORDS`, from "Amazon API Gateway important notes for REST APIs").
 *   Nothing is lost that is enforced: the function validates every request against the full
 *   contract; API Gateway validates nothing (no request validator, AWS_PROXY integration).
 * - `$ref`s to responses, parameters and headers are inlined (API Gateway resolves only schema
 *   references, into models); `default` responses and `servers` (the local URL) are left out.
 * - API Gateway's own answers (`x-amazon-apigateway-gateway-responses`) are problems (RFC 9457)
 *   like the function's: `GATEWAY_RESPONSES`. They belong in the body: an overwrite import
 *   (`put_rest_api_mode = "overwrite"`) wipes gateway responses managed beside it.
 *
 * `--check` writes nothing and fails when the file is not what openapi.yaml yields.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { problemType } from '../server/src/core/problems.js';
import { type OpenApiDocument, parseOpenApi, readOpenApiText } from '../server/src/openapi.js';

export const API_BODY_PATH = fileURLToPath(
  new URL('../terraform/api-body.gen.json', import.meta.url),
);

/**
 * Schema keywords API Gateway documents as unsupported in models, or that are not JSON Schema
 * draft 4 at all (OpenAPI's own: `nullable`, `discriminator`, `xml`, ...). Source: "Amazon API
 * Gateway important notes for REST APIs" (developerguide/api-gateway-known-issues.html), and the
 * import error for `example` reported in awslabs/aws-api-gateway-developer-portal#571.
 */
export const UNSUPPORTED_MODEL_KEYWORDS = [
  'example',
  'examples',
  'discriminator',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'readOnly',
  'writeOnly',
  'nullable',
  'deprecated',
  'xml',
  'externalDocs',
  'oneOf',
] as const;

/**
 * The draft-4 keywords a model keeps: structure and the constraints API Gateway documents
 * support for. Anything else (vendor `x-` keys included) is left out rather than risk a warning.
 * `additionalProperties` goes too: it is reported to warn on import, and the function enforces it.
 */
const MODEL_KEYWORDS = new Set([
  '$ref',
  'type',
  'title',
  'description',
  'properties',
  'required',
  'items',
  'allOf',
  'enum',
  'format',
  'minimum',
  'maximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
]);

/** Formats API Gateway refuses ("Numbers of the Int32 or Int64 type", "decimal"). */
const UNSUPPORTED_FORMATS = new Set(['int32', 'int64', 'decimal']);

interface GatewayProblem {
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  /** What to do about it; API Gateway's own message follows. */
  readonly detail: string;
}

/**
 * Every gateway response type API Gateway documents, with its status ("Gateway response types
 * for API Gateway", developerguide/supported-gateway-response-types.html). `DEFAULT_4XX` and
 * `DEFAULT_5XX` are not set: no template variable gives the status code, and setting theirs
 * would change the status of every other response of the class.
 */
export const GATEWAY_RESPONSES: Readonly<Record<string, GatewayProblem>> = {
  ACCESS_DENIED: {
    status: 403,
    slug: 'forbidden',
    title: 'Forbidden',
    detail: 'The caller may not call this operation.',
  },
  API_CONFIGURATION_ERROR: {
    status: 500,
    slug: 'gateway-configuration',
    title: 'API configuration error',
    detail: 'The API is misconfigured; quote the instance when reporting it.',
  },
  AUTHORIZER_CONFIGURATION_ERROR: {
    status: 500,
    slug: 'gateway-configuration',
    title: 'API configuration error',
    detail: 'The authorizer could not be reached; quote the instance when reporting it.',
  },
  AUTHORIZER_FAILURE: {
    status: 500,
    slug: 'gateway-configuration',
    title: 'API configuration error',
    detail: 'The authorizer failed; quote the instance when reporting it.',
  },
  BAD_REQUEST_PARAMETERS: {
    status: 400,
    slug: 'validation',
    title: 'Invalid request',
    detail: 'A request parameter is invalid.',
  },
  BAD_REQUEST_BODY: {
    status: 400,
    slug: 'validation',
    title: 'Invalid request',
    detail: 'The body is invalid.',
  },
  EXPIRED_TOKEN: {
    status: 403,
    slug: 'unauthenticated',
    title: 'Not authenticated',
    detail: 'The credentials the request was signed with have expired; sign it with fresh ones.',
  },
  INTEGRATION_FAILURE: {
    status: 504,
    slug: 'gateway-timeout',
    title: 'Gateway timeout',
    detail: 'The function failed or could not be invoked; retry later.',
  },
  INTEGRATION_TIMEOUT: {
    status: 504,
    slug: 'gateway-timeout',
    title: 'Gateway timeout',
    detail: 'The function did not answer in time; retry later (a write may have happened).',
  },
  INVALID_API_KEY: {
    status: 403,
    slug: 'unauthenticated',
    title: 'Not authenticated',
    detail: 'The API key is not valid.',
  },
  INVALID_SIGNATURE: {
    status: 403,
    slug: 'unauthenticated',
    title: 'Not authenticated',
    detail: 'The SigV4 signature does not match; sign the request as sent (service execute-api).',
  },
  MISSING_AUTHENTICATION_TOKEN: {
    status: 403,
    slug: 'unauthenticated',
    title: 'Not authenticated',
    detail:
      'The request is not signed (sign it with SigV4, service execute-api), or nothing is served at this path.',
  },
  QUOTA_EXCEEDED: {
    status: 429,
    slug: 'too-many-requests',
    title: 'Too many requests',
    detail: 'The usage plan quota is used up; retry in the next period.',
  },
  REQUEST_TOO_LARGE: {
    status: 413,
    slug: 'payload-too-large',
    title: 'Payload too large',
    detail: 'The request is larger than API Gateway accepts (10 MB).',
  },
  RESOURCE_NOT_FOUND: {
    status: 404,
    slug: 'not-found',
    title: 'Not found',
    detail: 'Nothing is served at this path.',
  },
  THROTTLED: {
    status: 429,
    slug: 'too-many-requests',
    title: 'Too many requests',
    detail: 'The API is throttling requests; retry with backoff.',
  },
  UNAUTHORIZED: {
    status: 401,
    slug: 'unauthenticated',
    title: 'Not authenticated',
    detail: 'The caller is not authenticated.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    slug: 'unsupported-media-type',
    title: 'Unsupported media type',
    detail: 'The body is of a media type the API does not take.',
  },
  WAF_FILTERED: {
    status: 403,
    slug: 'forbidden',
    title: 'Forbidden',
    detail: 'The request was blocked by the web application firewall.',
  },
};

/**
 * One gateway response: the status, `Content-Type: application/problem+json` (a header mapping
 * overrides the template's media type), and a body template. Gateway response templates only
 * substitute variables (no VTL): `$context.error.messageString` is API Gateway's message as a
 * quoted JSON string, `$context.requestId` the request id the function's problems carry as
 * `instance`. Details are written without characters JSON or the template would need escaped.
 */
function gatewayResponse({ status, slug, title, detail }: GatewayProblem) {
  const body = [
    `"type":"${problemType(slug)}"`,
    `"title":"${title}"`,
    `"status":${status}`,
    `"detail":"${detail}"`,
    `"message":$context.error.messageString`,
    `"instance":"$context.requestId"`,
  ].join(',');
  return {
    statusCode: String(status),
    responseParameters: {
      'gatewayresponse.header.Content-Type': "'application/problem+json'",
      // As the function's problems: a cache checks before reusing one (RFC 9111 §5.2.2.4).
      'gatewayresponse.header.Cache-Control': "'no-cache'",
    },
    responseTemplates: { 'application/json': `{${body}}` },
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `schema` with only the keywords an API Gateway model accepts, recursively. */
export function importableSchema(schema: Json): Json {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!MODEL_KEYWORDS.has(key)) continue;
    if (key === 'format' && UNSUPPORTED_FORMATS.has(String(value))) continue;
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [name, importableSchema(property)]),
      );
    } else if (key === 'items') {
      out[key] = importableSchema(value);
    } else if (key === 'allOf' && Array.isArray(value)) {
      out[key] = value.map(importableSchema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** openapi.yaml as API Gateway imports it (see the file's comment). */
export function importableDocument(document: OpenApiDocument): Record<string, Json> {
  const source = structuredClone(document) as unknown as Record<string, Json>;
  const components = (source.components ?? {}) as Record<string, Record<string, Json>>;
  const inline = (value: Json, kind: 'responses' | 'parameters' | 'headers'): Json => {
    const ref = (value as { $ref?: string } | null)?.$ref;
    if (ref === undefined) return value;
    const name = ref.replace(`#/components/${kind}/`, '');
    const target = components[kind]?.[name];
    if (target === undefined) throw new Error(`${ref} points at nothing`);
    return structuredClone(target);
  };
  const content = (value: Json): Json => {
    const media = value as Record<string, { schema?: Json }>;
    return Object.fromEntries(
      Object.entries(media).map(([type, { schema, ...rest }]) => [
        type,
        {
          ...(rest as Record<string, Json>),
          ...(schema === undefined ? {} : { schema: importableSchema(schema) }),
        },
      ]),
    );
  };
  const parameter = (value: Json): Json => {
    const {
      schema,
      example: _example,
      examples: _examples,
      ...rest
    } = inline(value, 'parameters') as Record<string, Json>;
    return { ...rest, ...(schema === undefined ? {} : { schema: importableSchema(schema) }) };
  };
  const response = (value: Json): Json => {
    const { headers, content: body, ...rest } = inline(value, 'responses') as Record<string, Json>;
    return {
      ...rest,
      ...(headers === undefined
        ? {}
        : {
            headers: Object.fromEntries(
              Object.entries(headers as Record<string, Json>).map(([name, header]) => {
                const { schema, ...h } = inline(header, 'headers') as Record<string, Json>;
                return [
                  name,
                  { ...h, ...(schema === undefined ? {} : { schema: importableSchema(schema) }) },
                ];
              }),
            ),
          }),
      ...(body === undefined ? {} : { content: content(body) }),
    };
  };

  const paths: Record<string, Json> = {};
  for (const [path, item] of Object.entries(
    (source.paths ?? {}) as Record<string, Record<string, Json>>,
  )) {
    const out: Record<string, Json> = {};
    for (const [key, value] of Object.entries(item)) {
      if (key === 'parameters') {
        out[key] = (value as Json[]).map(parameter);
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        out[key] = value;
        continue;
      }
      const operation = { ...value } as Record<string, Json>;
      if (operation.parameters !== undefined) {
        operation.parameters = (operation.parameters as Json[]).map(parameter);
      }
      if (operation.requestBody !== undefined) {
        const body = operation.requestBody as Record<string, Json>;
        operation.requestBody = { ...body, content: content(body.content as Json) };
      }
      operation.responses = Object.fromEntries(
        Object.entries(operation.responses as Record<string, Json>)
          .filter(([status]) => status !== 'default')
          .map(([status, r]) => [status, response(r)]),
      );
      out[key] = operation;
    }
    paths[path] = out;
  }

  const { servers: _servers, ...rest } = source;
  return {
    ...rest,
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.entries(components.schemas ?? {}).map(([name, schema]) => [
          name,
          importableSchema(schema),
        ]),
      ),
      ...(components.securitySchemes === undefined
        ? {}
        : { securitySchemes: components.securitySchemes }),
    },
    'x-amazon-apigateway-gateway-responses': Object.fromEntries(
      Object.entries(GATEWAY_RESPONSES).map(([type, problem]) => [type, gatewayResponse(problem)]),
    ),
  };
}

/** The file's text for the contract in `text`. */
export function generateApiBody(text: string = readOpenApiText()): string {
  return `${JSON.stringify(importableDocument(parseOpenApi(text)), null, 2)}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const expected = generateApiBody();
  const current = readFileSync(API_BODY_PATH, { encoding: 'utf8', flag: 'a+' });
  if (process.argv.includes('--check')) {
    if (current !== expected) {
      console.error(
        'terraform/api-body.gen.json is not what openapi.yaml yields: run `npm run generate`',
      );
      process.exit(1);
    }
    console.log('terraform/api-body.gen.json matches openapi.yaml');
  } else if (current === expected) {
    console.log('terraform/api-body.gen.json is up to date');
  } else {
    writeFileSync(API_BODY_PATH, expected);
    console.log('wrote terraform/api-body.gen.json');
  }
}
