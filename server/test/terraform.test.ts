/**
 * terraform/ deploys what openapi.yaml and the server say, by construction: every `.tf` is parsed
 * (hcl2json, Terraform's own parser) and its expressions evaluated with the variables' defaults
 * (support/terraform.ts), then compared with the contract and with the names the server exports
 * (TABLE_KEY, CONFIG_ENV_NAMES, the IAM action lists, the rule pattern file, the build script's
 * zip path). No provider, no AWS account: `terraform validate`/`plan` cannot run here.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OpenAPIV3 } from 'openapi-types';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import {
  REPO_ROOT as BUILD_ROOT,
  LAMBDA_HANDLER,
  LAMBDA_RUNTIME,
  LAMBDA_ZIP_PATH,
} from '../../scripts/build-lambda.js';
import {
  API_BODY_PATH,
  generateApiBody,
  UNSUPPORTED_MODEL_KEYWORDS,
} from '../../scripts/generate-api-gateway.js';
import { invocationBudget } from '../src/aws/budget.js';
import { CONFIG_ENV_NAMES, readConfig, readLambdaConfig } from '../src/config.js';
import { EVENTBRIDGE_ACTIONS, SQS_ACTIONS } from '../src/events/eventbridge.js';
import { matchesPattern, postRulePatternFor } from '../src/events/rule-pattern.js';
import {
  IDEMPOTENCY_DYNAMODB_ACTIONS,
  IDEMPOTENCY_TABLE_KEY,
  IDEMPOTENCY_TTL_ATTRIBUTE,
} from '../src/idempotency/store.js';
import { parseOpenApi } from '../src/openapi.js';
import { DYNAMODB_ACTIONS, TABLE_KEY } from '../src/store/dynamodb.js';
import { expectValidSchema } from './support/conformance.js';
import {
  type Body,
  Evaluator,
  type EvaluatorOptions,
  loadModule,
  REPO_ROOT,
  TERRAFORM_DIR,
  type TerraformModule,
} from './support/terraform.js';

const contract = parseOpenApi() as OpenAPIV3.Document;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** What Powertools reads, besides the server's own configuration. */
const POWERTOOLS_ENV_NAMES = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_TRACE_ENABLED',
];
/** What Lambda documents the function needs to send traces (services-xray.html). */
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
/** What the function needs to write its own logs. */
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** One webhook, so that the resources made per destination exist in the evaluation. */
const WITH_A_DESTINATION: EvaluatorOptions['variables'] = {
  event_destinations: {
    hook: {
      endpoint: 'https://hooks.example.com/items',
      http_method: 'POST',
      invocation_rate_limit_per_second: 10,
      api_key_header: 'x-api-key',
    },
  },
  event_destination_api_keys: { hook: 'secret' },
};

let module: TerraformModule;
let tf: Evaluator;

beforeAll(async () => {
  module = await loadModule();
  tf = new Evaluator(module);
});

/** How the evaluation shows a value known only after apply, such as `aws_x.y.arn`. */
function ref(reference: string): string {
  return `\${${reference}}`;
}

/** The evaluated body of a resource (or `data.` source) that has exactly one instance. */
async function one(address: string, evaluator: Evaluator = tf): Promise<Body> {
  const instances = await evaluator.instances(address);
  expect(instances, `${address} has one instance`).toHaveLength(1);
  return (instances[0] as { body: Body }).body;
}

/** The single nested block `name` of `body`. */
function block(body: Body, name: string): Body {
  const blocks = body[name];
  expect(blocks, `one ${name} block`).toHaveLength(1);
  return (blocks as Body[])[0] as Body;
}

/** The operations of an OpenAPI document, as `METHOD /path`. */
function operationsOf(document: OpenAPIV3.Document): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, item]) =>
      Object.keys(item ?? {})
        .filter((key) => HTTP_METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

function addressesOfType(type: string): string[] {
  return [...module.resources.keys()].filter((address) => address.startsWith(`${type}.`));
}

describe('the files', () => {
  it('are the ones the issue names, and more for the API, the function, IAM and the queues', () => {
    const files = readdirSync(TERRAFORM_DIR).filter((f) => f.endsWith('.tf'));

    expect(files).toEqual(
      expect.arrayContaining([
        'dynamo.tf',
        'eventbridge.tf',
        'dynamo_eventbridge_rules.tf',
        'variables.tf',
        'versions.tf',
        'outputs.tf',
        'api_gateway.tf',
        'lambda.tf',
        'iam.tf',
        'sqs.tf',
      ]),
    );
    expect([...module.files.keys()].sort()).toEqual(files.sort());
  });

  it('are formatted as `terraform fmt` wants when terraform is on PATH, and otherwise every .tf parses into blocks', () => {
    const version = spawnSync('terraform', ['version'], { encoding: 'utf8' });
    if (version.status === 0) {
      const fmt = spawnSync('terraform', ['fmt', '-check', '-recursive', '-diff', TERRAFORM_DIR], {
        encoding: 'utf8',
      });
      expect(fmt.stdout, 'terraform fmt -check -recursive terraform').toBe('');
      expect(fmt.status).toBe(0);
    } else {
      for (const [file, parsed] of module.files) {
        expect(Object.keys(parsed).length, `${file} declares something`).toBeGreaterThan(0);
      }
    }
  });

  it("use no community modules, only HashiCorp's AWS provider and random for one key", async () => {
    for (const [file, parsed] of module.files) {
      expect(parsed.module, `${file} calls no module`).toBeUndefined();
    }
    const terraform = block(module.files.get('versions.tf') as Body, 'terraform');
    const providers = block(terraform, 'required_providers') as Record<string, { source: string }>;
    expect(Object.keys(providers)).toEqual(['aws', 'random']);
    expect(providers.random?.source).toBe('hashicorp/random');
    for (const address of [...module.resources.keys(), ...module.data.keys()]) {
      expect(address === 'random_password.cursor_key' || address.startsWith('aws_'), address).toBe(
        true,
      );
    }
  });
});

describe('the variables', () => {
  it('each have a type and a description', () => {
    expect(module.variables.size).toBeGreaterThan(0);
    for (const [name, variable] of module.variables) {
      expect(variable.type, `variable ${name} has a type`).toMatch(/^\$\{[\s\S]+\}$/);
      expect(variable.description, `variable ${name} has a description`).toMatch(/\w{3,}/);
    }
  });

  it("each default passes the variable's own validations", async () => {
    for (const [name, variable] of module.variables) {
      for (const validation of (variable.validation ?? []) as Body[]) {
        const passes = await tf.value(validation.condition);
        expect(passes, `default of ${name}: ${String(validation.error_message)}`).toBe(true);
      }
    }
  });

  it('are all used, and nothing uses an undeclared one', () => {
    const used = new Set<string>();
    for (const parsed of module.files.values()) {
      for (const match of JSON.stringify(parsed).matchAll(/\bvar\.([A-Za-z_][\w-]*)/g)) {
        used.add(match[1] as string);
      }
    }
    expect([...used].sort()).toEqual([...module.variables.keys()].sort());
  });
});

describe('the API', () => {
  async function deployedBody(evaluator: Evaluator = tf): Promise<OpenAPIV3.Document> {
    const api = await one('aws_api_gateway_rest_api.api', evaluator);
    expect(typeof api.body, 'the body is a JSON document').toBe('string');
    return JSON.parse(api.body as string) as OpenAPIV3.Document;
  }

  it('is openapi.yaml made importable (what `npm run generate` yields), with only the integration and its authorization added', async () => {
    const body = await deployedBody();

    const stripped = structuredClone(body) as unknown as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { securitySchemes?: Record<string, unknown> };
    };
    for (const item of Object.values(stripped.paths)) {
      delete item['x-amazon-apigateway-any-method'];
      for (const [key, operation] of Object.entries(item)) {
        if (!HTTP_METHODS.includes(key)) continue;
        delete operation['x-amazon-apigateway-integration'];
        delete operation.security;
      }
    }
    delete stripped.components.securitySchemes?.sigv4;
    if (Object.keys(stripped.components.securitySchemes ?? {}).length === 0) {
      delete stripped.components.securitySchemes;
    }

    expect(readFileSync(API_BODY_PATH, 'utf8')).toBe(generateApiBody());
    expect(stripped).toEqual(JSON.parse(generateApiBody()));
    expect(tf.filesRead).toContain(API_BODY_PATH);
  });

  it('holds none of the schema keywords API Gateway documents as unsupported, though openapi.yaml uses them', async () => {
    const body = await deployedBody();
    // From "Amazon API Gateway important notes for REST APIs": models are JSON Schema draft 4,
    // and these are not supported (example fails the import: "Unsupported keyword(s)").
    const documentedUnsupported = [
      'example',
      'discriminator',
      'exclusiveMinimum',
      'readOnly',
      'nullable',
      'oneOf',
    ];
    const keysOf = (value: unknown, found = new Set<string>()): Set<string> => {
      if (Array.isArray(value)) for (const v of value) keysOf(v, found);
      else if (typeof value === 'object' && value !== null) {
        for (const [key, v] of Object.entries(value)) {
          found.add(key);
          keysOf(v, found);
        }
      }
      return found;
    };
    const schemas = [
      ...Object.values(body.components?.schemas ?? {}),
      ...JSON.stringify(body.paths).matchAll(/"schema":/g),
    ];

    expect(keysOf(contract).has('example'), 'openapi.yaml keeps its examples').toBe(true);
    expect(schemas.length).toBeGreaterThan(0);
    const keys = keysOf(body.components?.schemas);
    const inPaths = keysOf(body.paths);
    for (const keyword of new Set([...documentedUnsupported, ...UNSUPPORTED_MODEL_KEYWORDS])) {
      expect(keys.has(keyword), `components.schemas hold ${keyword}`).toBe(false);
      expect(inPaths.has(keyword), `paths hold ${keyword}`).toBe(false);
    }
    expect(JSON.stringify(body)).not.toMatch(/"format":"(int32|int64|decimal)"/);
    // Every schema the contract declares is still a model.
    expect(Object.keys(body.components?.schemas ?? {}).sort()).toEqual(
      Object.keys(contract.components?.schemas ?? {}).sort(),
    );
  });

  it('fails the apply on an import warning, and replaces the whole API on each import', async () => {
    const api = await one('aws_api_gateway_rest_api.api');

    expect(api.fail_on_warnings).toBe(true);
    expect(api.put_rest_api_mode).toBe('overwrite');
  });

  it('answers every gateway response AWS documents as a problem, with the request id as instance', async () => {
    const body = (await deployedBody()) as unknown as Record<string, unknown>;
    const responses = body['x-amazon-apigateway-gateway-responses'] as Record<
      string,
      {
        statusCode: string;
        responseParameters: Record<string, string>;
        responseTemplates: Record<string, string>;
      }
    >;
    // "Gateway response types for API Gateway", with their default status codes.
    const documented: Record<string, number> = {
      ACCESS_DENIED: 403,
      API_CONFIGURATION_ERROR: 500,
      AUTHORIZER_CONFIGURATION_ERROR: 500,
      AUTHORIZER_FAILURE: 500,
      BAD_REQUEST_PARAMETERS: 400,
      BAD_REQUEST_BODY: 400,
      EXPIRED_TOKEN: 403,
      INTEGRATION_FAILURE: 504,
      INTEGRATION_TIMEOUT: 504,
      INVALID_API_KEY: 403,
      INVALID_SIGNATURE: 403,
      MISSING_AUTHENTICATION_TOKEN: 403,
      QUOTA_EXCEEDED: 429,
      REQUEST_TOO_LARGE: 413,
      RESOURCE_NOT_FOUND: 404,
      THROTTLED: 429,
      UNAUTHORIZED: 401,
      UNSUPPORTED_MEDIA_TYPE: 415,
      WAF_FILTERED: 403,
    };

    expect(Object.keys(responses).sort()).toEqual(Object.keys(documented).sort());
    for (const [type, status] of Object.entries(documented)) {
      const response = responses[type];
      expect(response?.statusCode, type).toBe(String(status));
      expect(response?.responseParameters).toEqual({
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
        'gatewayresponse.header.Cache-Control': "'no-cache'",
      });
      // API Gateway substitutes the variables: the message as a JSON string, the request id.
      const template = response?.responseTemplates['application/json'] ?? '';
      const problem = JSON.parse(
        template
          .replace('$context.error.messageString', JSON.stringify('Missing "Authentication" Token'))
          .replace('$context.requestId', 'c0ffee00-0000-4000-8000-000000000001'),
      ) as Record<string, unknown>;
      expectValidSchema('Problem', problem);
      expect(problem, type).toMatchObject({
        type: expect.stringMatching(/^urn:problem-type:dynamo-crud:[a-z-]+$/),
        status,
        instance: 'c0ffee00-0000-4000-8000-000000000001',
      });
      expect(problem.detail, type).toMatch(/^[A-Z][^"\\\n]+\.$/);
    }
    // The statuses the contract declares for every operation because API Gateway answers them.
    for (const item of Object.values(contract.paths)) {
      for (const [method, operation] of Object.entries(item ?? {})) {
        if (!HTTP_METHODS.includes(method)) continue;
        const declared = Object.keys((operation as OpenAPIV3.OperationObject).responses);
        expect(declared, method).toEqual(expect.arrayContaining(['403', '429']));
      }
    }
  });

  it('deploys each operation of the contract, through the function, and nothing else', async () => {
    const body = await deployedBody();
    const permissions = await tf.instances('aws_lambda_permission.api');
    const integration = {
      type: 'aws_proxy',
      httpMethod: 'POST',
      uri: ref('aws_lambda_function.api.invoke_arn'),
      passthroughBehavior: 'when_no_match',
    };

    expect(operationsOf(body)).toEqual(operationsOf(contract));
    for (const [path, item] of Object.entries(body.paths)) {
      for (const [method, operation] of Object.entries(item ?? {})) {
        if (!HTTP_METHODS.includes(method)) continue;
        expect(
          (operation as Record<string, unknown>)['x-amazon-apigateway-integration'],
          `${method} ${path} goes to the function`,
        ).toEqual(integration);
      }
      // Any other method goes to the function too, which answers 405 with Allow.
      const any = (item as Record<string, Record<string, unknown>>)[
        'x-amazon-apigateway-any-method'
      ];
      expect(any?.['x-amazon-apigateway-integration'], `ANY ${path}`).toEqual(integration);
      expect(any?.security).toEqual([{ sigv4: [] }]);
    }
    // API Gateway may invoke the function for the contract's paths (any method), on this stage.
    expect(permissions.map((p) => p.key).sort()).toEqual(Object.keys(contract.paths).sort());
    for (const { key, body: permission } of permissions) {
      expect(permission.principal).toBe('apigateway.amazonaws.com');
      expect(permission.source_arn).toBe(
        `\${aws_api_gateway_rest_api.api.execution_arn}/prod/*${key}`,
      );
    }
    // Routes can only come from the body: no resources, methods or integrations beside it.
    const routeTypes = [
      'aws_api_gateway_resource',
      'aws_api_gateway_method',
      'aws_api_gateway_integration',
      'aws_api_gateway_gateway_response',
      'aws_apigatewayv2_api',
      'aws_apigatewayv2_route',
      'aws_lambda_function_url',
    ];
    for (const type of routeTypes) expect(addressesOfType(type), type).toEqual([]);
    expect(addressesOfType('aws_api_gateway_rest_api')).toEqual(['aws_api_gateway_rest_api.api']);
  });

  it('follows a change of openapi.yaml: a new operation is deployed and the stage redeployed', async () => {
    const changed = structuredClone(contract);
    changed.paths['/dynamo/health'] = {
      get: { operationId: 'health', responses: { '204': { description: 'Up.' } } },
    };
    const evaluator = new Evaluator(module, {
      files: { [API_BODY_PATH]: generateApiBody(stringifyYaml(changed)) },
    });

    const body = await deployedBody(evaluator);
    const permissions = await evaluator.instances('aws_lambda_permission.api');
    const before = await one('aws_api_gateway_deployment.api');
    const after = await one('aws_api_gateway_deployment.api', evaluator);

    expect(operationsOf(body)).toEqual(operationsOf(changed));
    expect(operationsOf(body)).toContain('GET /dynamo/health');
    expect(permissions.map((p) => p.key)).toContain('/dynamo/health');
    expect(before.triggers).toEqual({ redeployment: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(after.triggers).not.toEqual(before.triggers);
  });

  it('requires SigV4 (IAM) on every operation by default, and nothing when set to NONE', async () => {
    const open = new Evaluator(module, { variables: { api_authorization: 'NONE' } });

    const signed = await deployedBody();
    const unsigned = await deployedBody(open);

    expect(signed.components?.securitySchemes?.sigv4).toEqual({
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
    for (const [document, security] of [
      [signed, [{ sigv4: [] }]],
      [unsigned, []],
    ] as const) {
      for (const item of Object.values(document.paths)) {
        for (const [method, operation] of Object.entries(item ?? {})) {
          if (HTTP_METHODS.includes(method)) {
            expect((operation as OpenAPIV3.OperationObject).security).toEqual(security);
          }
        }
      }
    }
  });

  it('throttles the stage and writes JSON access logs, kept for a while', async () => {
    const stage = await one('aws_api_gateway_stage.api');
    const settings = block(await one('aws_api_gateway_method_settings.all'), 'settings');
    const accessLogs = block(stage, 'access_log_settings');
    const logGroup = await one('aws_cloudwatch_log_group.api_access');

    expect(settings.throttling_rate_limit).toBeGreaterThan(0);
    expect(settings.throttling_burst_limit).toBeGreaterThan(0);
    expect(accessLogs.destination_arn).toBe(ref('aws_cloudwatch_log_group.api_access.arn'));
    const format = JSON.parse(accessLogs.format as string) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      httpMethod: '$context.httpMethod',
    });
    expect(logGroup.retention_in_days).toBeGreaterThan(0);
  });
});

describe('the table', () => {
  it("has the store's key, which is the contract's user_id (a string)", async () => {
    const table = await one('aws_dynamodb_table.items');
    const userId = contract.components?.schemas?.UserId as OpenAPIV3.SchemaObject;
    const item = contract.components?.schemas?.Item as OpenAPIV3.SchemaObject;
    const query = contract.components?.parameters?.UserIdQuery as OpenAPIV3.ParameterObject;

    expect(table.hash_key).toBe(TABLE_KEY.name);
    expect(table.range_key).toBeUndefined();
    expect(table.attribute).toEqual([{ name: TABLE_KEY.name, type: TABLE_KEY.type }]);
    expect(item.required).toContain(TABLE_KEY.name);
    expect(query.name).toBe(TABLE_KEY.name);
    expect({ string: 'S', number: 'N' }[userId.type as string]).toBe(TABLE_KEY.type);
  });

  it('is on demand, recoverable to a point in time, encrypted and protected from deletion by default', async () => {
    const table = await one('aws_dynamodb_table.items');

    expect(table.billing_mode).toBe('PAY_PER_REQUEST');
    expect(table.read_capacity).toBeNull();
    expect(block(table, 'point_in_time_recovery').enabled).toBe(true);
    expect(block(table, 'server_side_encryption').enabled).toBe(true);
    expect(table.deletion_protection_enabled).toBe(true);
  });
});

describe('the idempotency table', () => {
  it("has Powertools' key and its expiry as the TTL attribute, so expired records are deleted", async () => {
    const table = await one('aws_dynamodb_table.idempotency');

    expect(table.name).toBe('dynamo-crud-idempotency');
    expect(table.hash_key).toBe(IDEMPOTENCY_TABLE_KEY.name);
    expect(table.range_key).toBeUndefined();
    expect(table.attribute).toEqual([
      { name: IDEMPOTENCY_TABLE_KEY.name, type: IDEMPOTENCY_TABLE_KEY.type },
    ]);
    expect(block(table, 'ttl')).toEqual({
      attribute_name: IDEMPOTENCY_TTL_ATTRIBUTE,
      enabled: true,
    });
  });

  it('is billed as the items table, recoverable to a point in time and encrypted', async () => {
    const table = await one('aws_dynamodb_table.idempotency');
    const provisioned = await one(
      'aws_dynamodb_table.idempotency',
      new Evaluator(module, { variables: { billing_mode: 'PROVISIONED' } }),
    );

    expect(table.billing_mode).toBe('PAY_PER_REQUEST');
    expect(table.read_capacity).toBeNull();
    expect(provisioned.billing_mode).toBe('PROVISIONED');
    expect(provisioned.read_capacity).toBe(5);
    expect(block(table, 'point_in_time_recovery').enabled).toBe(true);
    expect(block(table, 'server_side_encryption').enabled).toBe(true);
  });

  it('keeps records for idempotency_ttl_seconds, a value the server accepts', async () => {
    const ttl = (await tf.variable('idempotency_ttl_seconds')) as number;
    const config = readConfig({
      TABLE_NAME: 'items',
      AWS_REGION: 'us-east-1',
      IDEMPOTENCY_TTL_SECONDS: String(ttl),
    });

    expect(ttl).toBe(86_400);
    expect(config.idempotency.ttlSeconds).toBe(ttl);
  });
});

describe('the POST rule', () => {
  it('deploys the pattern of server/src/events/post-rule-pattern.json, with the event source set as the server sets it', async () => {
    const custom = new Evaluator(module, { variables: { event_source: 'my.app' } });

    const rule = await one('aws_cloudwatch_event_rule.post');
    const customRule = await one('aws_cloudwatch_event_rule.post', custom);

    expect(JSON.parse(rule.event_pattern as string)).toEqual(postRulePatternFor('dynamo'));
    expect(JSON.parse(customRule.event_pattern as string)).toEqual(postRulePatternFor('my.app'));
    expect(tf.filesRead).toContain(join(REPO_ROOT, 'server/src/events/post-rule-pattern.json'));
    expect(rule.event_bus_name).toBe((await one('aws_cloudwatch_event_bus.events')).name);
  });

  it('reads the pattern from that file: a change there is a change in the deployed rule', async () => {
    const file = join(REPO_ROOT, 'server/src/events/post-rule-pattern.json');
    const changed = { source: ['dynamo'], detail: { operation: ['POST', 'PATCH'] } };
    const evaluator = new Evaluator(module, { files: { [file]: JSON.stringify(changed) } });

    const rule = await one('aws_cloudwatch_event_rule.post', evaluator);

    expect(JSON.parse(rule.event_pattern as string)).toEqual(changed);
  });

  it("matches the function's POST events and no others", async () => {
    const pattern = JSON.parse(
      (await one('aws_cloudwatch_event_rule.post')).event_pattern as string,
    );
    const envelope = (operation: string) => eventEnvelope(writeDetail({ operation }));

    expect(matchesPattern(pattern, envelope('POST'))).toBe(true);
    expect(matchesPattern(pattern, envelope('PATCH'))).toBe(false);
    expect(matchesPattern(pattern, envelope('DELETE'))).toBe(false);
    expect(matchesPattern(pattern, { ...envelope('POST'), source: 'other' })).toBe(false);
  });

  it('delivers to each API destination with retries and a dead-letter queue EventBridge may write to', async () => {
    const evaluator = new Evaluator(module, { variables: WITH_A_DESTINATION });
    const targets = await evaluator.instances('aws_cloudwatch_event_target.post_to_destination');
    const queuePolicy = await one(
      'data.aws_iam_policy_document.destination_dead_letter',
      evaluator,
    );
    const none = await tf.instances('aws_cloudwatch_event_target.post_to_destination');

    expect(none).toEqual([]);
    expect(targets.map((t) => t.key)).toEqual(['hook']);
    const target = (targets[0] as { body: Body }).body;
    expect(target.arn).toBe(ref('aws_cloudwatch_event_api_destination.destination["hook"].arn'));
    expect(target.rule).toBe((await one('aws_cloudwatch_event_rule.post')).name);
    expect(block(target, 'retry_policy').maximum_retry_attempts).toBeGreaterThan(0);
    expect(block(target, 'dead_letter_config').arn).toBe(
      ref('aws_sqs_queue.destination_dead_letter.arn'),
    );
    expect(queuePolicy.statement).toEqual([
      expect.objectContaining({
        actions: ['sqs:SendMessage'],
        resources: [ref('aws_sqs_queue.destination_dead_letter.arn')],
        principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }],
        condition: [
          {
            test: 'ArnEquals',
            variable: 'aws:SourceArn',
            values: [ref('aws_cloudwatch_event_rule.post.arn')],
          },
        ],
      }),
    ]);
  });

  it('delivers each event unchanged, the one shape (WriteEvent) npm start delivers too', async () => {
    const evaluator = new Evaluator(module, { variables: WITH_A_DESTINATION });
    const [target] = await evaluator.instances('aws_cloudwatch_event_target.post_to_destination');

    // With no input, input_path or input_transformer, EventBridge sends the event itself.
    for (const reshaping of ['input', 'input_path', 'input_transformer']) {
      expect(target?.body[reshaping], reshaping).toBeUndefined();
    }
    for (const detail of [
      writeDetail({ item: { user_id: 'ada', name: 'Ada "<b>"' } }),
      writeDetail({ item: undefined, truncated: true }),
    ]) {
      expectValidSchema('WriteEvent', eventEnvelope(detail));
    }
  });
});

describe("the function's role", () => {
  it.each([
    { tracing: false, xray: [] },
    { tracing: true, xray: XRAY_ACTIONS },
  ])(
    'may do exactly what the store and the publisher call, and write its logs, each on its one resource (tracing: $tracing)',
    async ({ tracing, xray }) => {
      const statements = await statementsOfRole(
        'aws_iam_role.lambda',
        new Evaluator(module, { variables: { tracing } }),
      );
      const granted = new Map<string, string[]>();
      for (const statement of statements) {
        expect(statement.effect ?? 'Allow').toBe('Allow');
        for (const action of statement.actions as string[]) {
          granted.set(action, [
            ...(granted.get(action) ?? []),
            ...(statement.resources as string[]),
          ]);
        }
      }

      expect([...granted.keys()].sort()).toEqual(
        [
          ...new Set([...DYNAMODB_ACTIONS, ...IDEMPOTENCY_DYNAMODB_ACTIONS]),
          ...EVENTBRIDGE_ACTIONS,
          ...SQS_ACTIONS,
          ...LOG_ACTIONS,
          ...xray,
        ].sort(),
      );
      // X-Ray has no resource-level permissions: exactly its two write actions, on "*".
      for (const action of xray) expect(granted.get(action)).toEqual(['*']);
      // Each table's actions on that table alone: the items', and the idempotency records'.
      for (const action of new Set([...DYNAMODB_ACTIONS, ...IDEMPOTENCY_DYNAMODB_ACTIONS])) {
        expect(granted.get(action)?.sort()).toEqual(
          [
            ...((DYNAMODB_ACTIONS as readonly string[]).includes(action)
              ? [ref('aws_dynamodb_table.items.arn')]
              : []),
            ...((IDEMPOTENCY_DYNAMODB_ACTIONS as readonly string[]).includes(action)
              ? [ref('aws_dynamodb_table.idempotency.arn')]
              : []),
          ].sort(),
        );
      }
      for (const action of EVENTBRIDGE_ACTIONS) {
        expect(granted.get(action)).toEqual([ref('aws_cloudwatch_event_bus.events.arn')]);
      }
      for (const action of SQS_ACTIONS) {
        expect(granted.get(action)).toEqual([ref('aws_sqs_queue.undelivered_events.arn')]);
      }
      for (const action of LOG_ACTIONS) {
        expect(granted.get(action)).toEqual([
          `${ref('aws_cloudwatch_log_group.lambda.arn')}:log-stream:*`,
        ]);
      }
    },
  );

  it('has no managed or attached policies, and puts events through PutLambdaEventBridge', async () => {
    const role = await one('aws_iam_role.lambda');
    const putEvents = await one('aws_iam_role_policy.put_lambda_eventbridge');

    expect(role.managed_policy_arns).toBeUndefined();
    expect(role.inline_policy).toBeUndefined();
    for (const type of [
      'aws_iam_role_policy_attachment',
      'aws_iam_policy_attachment',
      'aws_iam_role_policies_exclusive',
      'aws_iam_role_policy_attachments_exclusive',
      'aws_iam_policy',
    ]) {
      expect(addressesOfType(type), type).toEqual([]);
    }
    expect(putEvents.name).toBe('PutLambdaEventBridge');
    expect(putEvents.role).toBe(ref('aws_iam_role.lambda.id'));
  });

  it("and every role are named apart per region (IAM is global), within IAM's 64 characters", async () => {
    const longest = {
      name: `a${'b'.repeat(39)}`,
      aws_region: 'ap-southeast-2',
      ...WITH_A_DESTINATION,
    };
    const names = async (variables: Record<string, unknown>) => {
      const evaluator = new Evaluator(module, {
        variables: { ...WITH_A_DESTINATION, ...variables },
      });
      const found: string[] = [];
      for (const address of addressesOfType('aws_iam_role')) {
        for (const { body } of await evaluator.instances(address)) found.push(String(body.name));
      }
      return found;
    };

    const east = await names({ aws_region: 'us-east-1' });
    const west = await names({ aws_region: 'eu-west-1' });
    expect(east).toHaveLength(2);
    for (const name of east) expect(west).not.toContain(name);
    for (const name of await names(longest)) expect(name.length, name).toBeLessThanOrEqual(64);
  });

  it('is assumed by Lambda only', async () => {
    const trust = await one('data.aws_iam_policy_document.lambda_assume');

    expect(trust.statement).toEqual([
      {
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: ['lambda.amazonaws.com'] }],
      },
    ]);
  });
});

describe('every IAM policy', () => {
  it("names no `*` action or resource but X-Ray's write actions: each resource is one this configuration makes", async () => {
    const everything = new Evaluator(module, {
      variables: { ...WITH_A_DESTINATION, tracing: true },
    });
    // Every policy is an aws_iam_policy_document, so checking those checks them all.
    for (const [address, resource] of module.resources) {
      for (const attribute of ['policy', 'assume_role_policy']) {
        if (resource[attribute] === undefined) continue;
        expect(resource[attribute], `${address}.${attribute}`).toMatch(POLICY_DOCUMENT_REF);
      }
    }
    let checked = 0;
    for (const address of module.data.keys()) {
      if (!address.startsWith('aws_iam_policy_document.')) continue;
      for (const { body } of await everything.instances(`data.${address}`)) {
        for (const statement of body.statement as Body[]) {
          checked++;
          const where = `${address} ${String(statement.sid ?? '')}`;
          for (const forbidden of ['not_actions', 'not_resources', 'not_principals']) {
            expect(statement[forbidden], `${where}: ${forbidden}`).toBeUndefined();
          }
          for (const action of statement.actions as string[]) {
            expect(action, where).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
          }
          const resources = (statement.resources ?? []) as string[];
          if (resources.includes('*')) {
            // X-Ray has no resource ARNs: its two write actions are the only ones on "*".
            expect(resources, where).toEqual(['*']);
            expect([...(statement.actions as string[])].sort(), where).toEqual(
              [...XRAY_ACTIONS].sort(),
            );
            continue;
          }
          for (const resource of resources) expect(resource, where).toMatch(SPECIFIC_RESOURCE);
          for (const principal of (statement.principals ?? []) as Body[]) {
            for (const id of principal.identifiers as string[]) {
              expect(id, where).toMatch(/^[a-z-]+\.amazonaws\.com$/);
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});

describe('the function', () => {
  const ZIP = resolve(BUILD_ROOT, LAMBDA_ZIP_PATH);

  it('runs the zip `npm run build:lambda` makes, on Node.js 22', async () => {
    const built = new Evaluator(module, { files: { [ZIP]: 'PK' } });
    const lambda = await one('aws_lambda_function.api', built);

    expect(lambda.runtime).toBe(LAMBDA_RUNTIME);
    expect(lambda.runtime).toBe('nodejs22.x');
    expect(lambda.handler).toBe(LAMBDA_HANDLER);
    expect(resolve(lambda.filename as string)).toBe(ZIP);
    expect(lambda.source_code_hash).toBe(
      `\${filebase64sha256(${JSON.stringify(lambda.filename)})}`,
    );
    expect(lambda.role).toBe(ref('aws_iam_role.lambda.arn'));
  });

  it('can be planned for destroy on a fresh clone, with no zip built, and refuses an apply without one', async () => {
    const fresh = new Evaluator(module, { missingFiles: [ZIP] });
    const built = new Evaluator(module, { files: { [ZIP]: 'PK' } });
    const precondition = async (evaluator: Evaluator) => {
      const lifecycle = module.resources.get('aws_lambda_function.api')?.lifecycle as Body[];
      const [precondition] = (lifecycle[0] as Body).precondition as Body[];
      return evaluator.value(precondition?.condition);
    };

    // Terraform's pre-destroy refresh plans every resource: each must evaluate without the zip.
    for (const address of module.resources.keys()) await fresh.instances(address);
    expect((await one('aws_lambda_function.api', fresh)).source_code_hash).toBeNull();
    expect(await precondition(fresh)).toBe(false);
    expect(await precondition(built)).toBe(true);
  });

  it('times out only after every retry budget of the default configuration is spent', async () => {
    const lambda = await one('aws_lambda_function.api');
    const budget = invocationBudget(readConfig({ TABLE_NAME: 'items', AWS_REGION: 'us-east-1' }));

    // DynamoDB attempts × their limit and the SDK's backoff, PutEvents likewise, then SQS.
    expect(budget.dynamodbMs).toBe(3 * 3_000 + 3_000);
    expect(budget.putEventsMs).toBe(3 * 2_000 + 150);
    expect(budget.deadLetterMs).toBe(2 * 2_000 + 1_000);
    expect(budget.totalMs).toBeLessThanOrEqual((lambda.timeout as number) * 1000);
    expect(lambda.timeout).toBeLessThan(29);
  });

  it('traces with X-Ray only when asked, and reserves concurrency only when given', async () => {
    const traced = new Evaluator(module, {
      variables: { tracing: true, lambda_reserved_concurrency: 20 },
    });
    const env = async (evaluator: Evaluator) =>
      block(await one('aws_lambda_function.api', evaluator), 'environment').variables as Body;

    const plain = await one('aws_lambda_function.api');
    const tracedLambda = await one('aws_lambda_function.api', traced);

    expect(block(plain, 'tracing_config').mode).toBe('PassThrough');
    expect((await env(tf)).POWERTOOLS_TRACE_ENABLED).toBe('false');
    expect((await one('aws_api_gateway_stage.api')).xray_tracing_enabled).toBe(false);
    expect(plain.reserved_concurrent_executions).toBeNull();
    expect(block(tracedLambda, 'tracing_config').mode).toBe('Active');
    expect((await env(traced)).POWERTOOLS_TRACE_ENABLED).toBe('true');
    expect((await one('aws_api_gateway_stage.api', traced)).xray_tracing_enabled).toBe(true);
    expect(tracedLambda.reserved_concurrent_executions).toBe(20);
  });

  it("is configured with the server's variable names, and values the server accepts", async () => {
    const lambda = await one('aws_lambda_function.api');
    const env = block(lambda, 'environment').variables as Record<string, unknown>;
    const names = Object.keys(env);

    expect([...CONFIG_ENV_NAMES, ...POWERTOOLS_ENV_NAMES]).toEqual(expect.arrayContaining(names));
    expect(names).toEqual(expect.arrayContaining(['TABLE_NAME', 'EVENT_BUS_NAME', 'DLQ_URL']));
    expect(names, 'Lambda sets AWS_REGION itself').not.toContain('AWS_REGION');
    expect(env.TABLE_NAME).toBe((await one('aws_dynamodb_table.items')).name);
    expect(env.EVENT_BUS_NAME).toBe((await one('aws_cloudwatch_event_bus.events')).name);
    expect(env.DLQ_URL).toBe(ref('aws_sqs_queue.undelivered_events.url'));
    expect(env.EVENT_SOURCE).toBe(await tf.variable('event_source'));
    expect(env.IDEMPOTENCY_TABLE_NAME).toBe((await one('aws_dynamodb_table.idempotency')).name);
    expect(env.IDEMPOTENCY_TTL_SECONDS).toBe(String(await tf.variable('idempotency_ttl_seconds')));

    // With what AWS fills in (the region, the queue's URL), the server starts on this.
    const config = readLambdaConfig({
      ...(env as Record<string, string>),
      AWS_REGION: 'us-east-1',
      DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/dynamo-crud-undelivered-events',
    });
    expect(config.tableName).toBe(env.TABLE_NAME);
    expect(config.events.busName).toBe(env.EVENT_BUS_NAME);
    expect(config.idempotency).toEqual({
      tableName: env.IDEMPOTENCY_TABLE_NAME,
      ttlSeconds: 86_400,
    });
  });

  it('logs to a group with a retention period, and answers within the API Gateway limit', async () => {
    const lambda = await one('aws_lambda_function.api');
    const group = await one('aws_cloudwatch_log_group.lambda');

    expect(block(lambda, 'logging_config').log_group).toBe(group.name);
    expect(group.retention_in_days).toBeGreaterThan(0);
    expect(lambda.timeout).toBeLessThan(29);
  });
});

describe('operations', () => {
  it('alarm on both dead-letter queues, function errors and throttles, API 5xx and DynamoDB throttling', async () => {
    const notified = new Evaluator(module, {
      variables: { alarm_topic_arn: 'arn:aws:sns:us-east-1:123456789012:oncall' },
    });
    const alarms = async (evaluator: Evaluator) => {
      const found: Body[] = [];
      for (const address of addressesOfType('aws_cloudwatch_metric_alarm')) {
        for (const { body } of await evaluator.instances(address)) found.push(body);
      }
      return found;
    };
    const watched = (await alarms(tf)).map(
      (a) => `${a.namespace} ${a.metric_name} ${JSON.stringify(a.dimensions)}`,
    );

    expect(watched.sort()).toEqual(
      [
        `AWS/SQS ApproximateNumberOfMessagesVisible {"QueueName":"dynamo-crud-undelivered-events"}`,
        `AWS/SQS ApproximateNumberOfMessagesVisible {"QueueName":"dynamo-crud-destination-dead-letter"}`,
        'AWS/Lambda Errors {"FunctionName":"dynamo-crud"}',
        'AWS/Lambda Throttles {"FunctionName":"dynamo-crud"}',
        'AWS/ApiGateway 5XXError {"ApiName":"dynamo-crud","Stage":"prod"}',
        ...DYNAMODB_ACTIONS.map(
          (action) =>
            `AWS/DynamoDB ThrottledRequests {"Operation":"${action.replace('dynamodb:', '')}","TableName":"dynamo-crud"}`,
        ),
        ...IDEMPOTENCY_DYNAMODB_ACTIONS.map(
          (action) =>
            `AWS/DynamoDB ThrottledRequests {"Operation":"${action.replace('dynamodb:', '')}","TableName":"dynamo-crud-idempotency"}`,
        ),
      ].sort(),
    );
    for (const alarm of await alarms(tf)) {
      expect(alarm.threshold).toBe(0);
      expect(alarm.comparison_operator).toBe('GreaterThanThreshold');
      expect(alarm.alarm_actions).toEqual([]);
    }
    for (const alarm of await alarms(notified)) {
      expect(alarm.alarm_actions).toEqual(['arn:aws:sns:us-east-1:123456789012:oncall']);
      expect(alarm.ok_actions).toEqual(alarm.alarm_actions);
    }
  });

  it('calls each webhook as fast as the API takes writes unless told otherwise, and warns when slower', async () => {
    const checks = module.files.get('eventbridge.tf')?.check as Record<string, Body[]>;
    const [check] = checks.webhooks_keep_up_with_the_api as Body[];
    const [assertion] = (check as Body).assert as Body[];
    const condition = assertion?.condition;
    const hook = { endpoint: 'https://hooks.example.com/items', http_method: 'POST' };
    const slow = {
      event_destinations: { hook: { ...hook, invocation_rate_limit_per_second: 10 } },
      event_destination_api_keys: { hook: 'secret' },
    };
    const unset = {
      ...slow,
      event_destinations: { hook: { ...hook, invocation_rate_limit_per_second: null } },
    };
    const rate = async (variables: Record<string, unknown>) =>
      (
        await one(
          'aws_cloudwatch_event_api_destination.destination',
          new Evaluator(module, { variables }),
        )
      ).invocation_rate_limit_per_second;

    expect(await rate(unset)).toBe(await tf.variable('api_throttling_rate_limit'));
    expect(await rate({ ...unset, api_throttling_rate_limit: 1_000 })).toBe(300);
    expect(await rate(slow)).toBe(10);
    expect(await new Evaluator(module, { variables: unset }).value(condition)).toBe(true);
    expect(await new Evaluator(module, { variables: slow }).value(condition)).toBe(false);
  });

  it('pins the AWS provider to major version 6, the one this configuration is written for', () => {
    for (const dir of [TERRAFORM_DIR, join(TERRAFORM_DIR, 'account')]) {
      const versions = readFileSync(join(dir, 'versions.tf'), 'utf8');
      expect(versions, dir).toMatch(/version = ">= 6\.0\.0, < 7\.0\.0"/);
    }
  });
});

describe("the region's API Gateway account setting (terraform/account)", () => {
  it('is a stack of its own, so that destroying the API never resets it', async () => {
    const account = await loadModule(join(TERRAFORM_DIR, 'account'));

    expect([...account.resources.keys()].sort()).toEqual([
      'aws_api_gateway_account.this',
      'aws_iam_role.api_gateway_cloudwatch',
      'aws_iam_role_policy_attachment.api_gateway_cloudwatch',
    ]);
    expect(addressesOfType('aws_api_gateway_account')).toEqual([]);
    expect(module.variables.has('manage_api_gateway_account')).toBe(false);
  });

  it('gives API Gateway the role AWS documents for it, named for the region', async () => {
    const account = await loadModule(join(TERRAFORM_DIR, 'account'));
    const evaluator = new Evaluator(account, { variables: { aws_region: 'eu-west-1' } });
    const role = await one('aws_iam_role.api_gateway_cloudwatch', evaluator);
    const attachment = await one(
      'aws_iam_role_policy_attachment.api_gateway_cloudwatch',
      evaluator,
    );
    const setting = await one('aws_api_gateway_account.this', evaluator);
    const trust = await one('data.aws_iam_policy_document.api_gateway_assume', evaluator);

    expect(role.name).toBe('apigateway-cloudwatch-eu-west-1');
    expect(attachment.policy_arn).toBe(
      `arn:${ref('data.aws_partition.current.partition')}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    );
    expect(setting.cloudwatch_role_arn).toBe(ref('aws_iam_role.api_gateway_cloudwatch.arn'));
    expect(trust.statement).toEqual([
      {
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: ['apigateway.amazonaws.com'] }],
      },
    ]);
  });
});

describe("the README's deploy guide", () => {
  it('describes every variable', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const guide = readme.slice(readme.indexOf('## Deploy to AWS'));

    expect(readme).toContain('## Deploy to AWS');
    for (const name of module.variables.keys()) {
      expect(guide, `variable ${name}`).toContain(`\`${name}\``);
    }
  });
});

describe('the outputs', () => {
  it('give the API URL, the table and the bus', async () => {
    expect(await tf.value(module.outputs.get('api_url')?.value)).toBe(
      ref('aws_api_gateway_stage.api.invoke_url'),
    );
    expect(await tf.value(module.outputs.get('table_name')?.value)).toBe(
      (await one('aws_dynamodb_table.items')).name,
    );
    expect(await tf.value(module.outputs.get('event_bus_name')?.value)).toBe(
      (await one('aws_cloudwatch_event_bus.events')).name,
    );
    for (const [name, output] of module.outputs) {
      expect(output.description, `output ${name} has a description`).toMatch(/\w{3,}/);
    }
  });
});

/** `${data.aws_iam_policy_document.NAME.json}`, possibly of a counted instance. */
const POLICY_DOCUMENT_REF = /^\$\{data\.aws_iam_policy_document\.[a-z0-9_]+(\[0\])?\.json\}$/;
/**
 * The ARN of a resource made here; for a log group, also "any stream of that group" (Lambda and
 * API Gateway name the streams as they go).
 */
const SPECIFIC_RESOURCE =
  /^\$\{aws_[a-z0-9_]+\.[a-z0-9_]+(\[("[\w-]+"|\d+)\])?\.arn\}$|^\$\{aws_cloudwatch_log_group\.[a-z0-9_]+\.arn\}:log-stream:\*$/;

/** The statements of every inline policy of `role`, evaluated. */
async function statementsOfRole(role: string, evaluator: Evaluator): Promise<Body[]> {
  const statements: Body[] = [];
  for (const address of addressesOfType('aws_iam_role_policy')) {
    for (const { body } of await evaluator.instances(address)) {
      if (!String(body.role).startsWith(`\${${role}.`)) continue;
      const policy = String(body.policy);
      expect(policy, `${address}.policy`).toMatch(POLICY_DOCUMENT_REF);
      const document = policy.slice('${data.'.length, -'.json}'.length);
      const [instance] = await evaluator.instances(`data.${document.replace(/\[0\]$/, '')}`);
      statements.push(...((instance?.body.statement ?? []) as Body[]));
    }
  }
  return statements;
}

interface WriteDetail {
  operation: string;
  message: 'success';
  user_id: string;
  item?: Record<string, unknown> | undefined;
  version: number;
  occurredAt: string;
  requestId: string;
  truncated?: true;
}

function writeDetail(overrides: Partial<WriteDetail> = {}): WriteDetail {
  const detail: WriteDetail = {
    operation: 'POST',
    message: 'success',
    user_id: 'ada',
    item: { user_id: 'ada', name: 'Ada' },
    version: 1,
    occurredAt: '2025-01-02T03:04:05.678Z',
    requestId: 'c0ffee00-0000-4000-8000-000000000001',
    ...overrides,
  };
  if (detail.item === undefined) delete detail.item;
  return detail;
}

/** An event as EventBridge hands it to a rule's targets. */
function eventEnvelope(detail: WriteDetail) {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': `dynamo_${detail.operation}`,
    source: 'dynamo',
    account: '123456789012',
    time: '2025-01-02T03:04:05Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}
