/**
 * Factories for what a real invocation carries: API Gateway REST (v1) and HTTP API (v2) proxy
 * events made from a test request, the Lambda context, and the function's environment.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { ApiGatewayResult } from '../../src/adapters/lambda.js';
import { type SeenResponse, type TestRequest, toWire, type WireRequest } from './request.js';

export function restApiEvent(request: TestRequest): APIGatewayProxyEvent {
  const wire = toWire(request);
  // REST APIs hand the query over decoded: the last value of each name here, all in the multi map.
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(wire.query)) {
    single[name] = value;
    multi[name] = [...(multi[name] ?? []), value];
  }
  const headers: Record<string, string> = {};
  const multiHeaders: Record<string, string[]> = {};
  for (const [name, value] of wire.headers) {
    headers[name] = value;
    multiHeaders[name] = [...(multiHeaders[name] ?? []), value];
  }
  const hasQuery = Object.keys(single).length > 0;
  return {
    resource: wire.path,
    path: wire.path,
    httpMethod: wire.method,
    headers,
    multiValueHeaders: multiHeaders,
    queryStringParameters: hasQuery ? single : null,
    multiValueQueryStringParameters: hasQuery ? multi : null,
    pathParameters: null,
    stageVariables: null,
    ...body(wire),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: wire.method,
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/prod${wire.path}`,
      stage: 'prod',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'resource',
      resourcePath: wire.path,
    },
  };
}

export function httpApiEvent(request: TestRequest, stage = 'prod'): APIGatewayProxyEventV2 {
  const wire = toWire(request);
  const rawPath = stage === '$default' ? wire.path : `/${stage}${wire.path}`;
  // HTTP APIs join a repeated header's values with commas.
  const headers: Record<string, string> = {};
  for (const [name, value] of wire.headers) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]},${value}`;
  }
  const { body: text, isBase64Encoded } = body(wire);
  return {
    version: '2.0',
    routeKey: `${wire.method} ${wire.path}`,
    rawPath,
    rawQueryString: wire.query,
    headers,
    isBase64Encoded,
    ...(text === null ? {} : { body: text }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: wire.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      },
      requestId: randomUUID(),
      routeKey: `${wire.method} ${wire.path}`,
      stage,
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
}

/** Text as text; bytes base64-encoded, as API Gateway sends binary media types. */
function body(wire: WireRequest): { body: string | null; isBase64Encoded: boolean } {
  if (wire.body === undefined) return { body: null, isBase64Encoded: false };
  if (typeof wire.body === 'string') return { body: wire.body, isBase64Encoded: false };
  return { body: Buffer.from(wire.body).toString('base64'), isBase64Encoded: true };
}

export function lambdaContext(remainingMs = 10_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'dynamo-crud',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dynamo-crud',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/dynamo-crud',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** What the Lambda handler returned, as a response seen on the wire (lower-case header names). */
export function seenFromLambda(result: ApiGatewayResult | string): SeenResponse {
  if (typeof result === 'string') throw new Error('the handler returned a bare string');
  return {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    ),
    body: result.body ?? '',
  };
}

export interface LambdaEnvironment {
  /** The DynamoDB engine the function's table lives on. */
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  /** The table of idempotency records; default `<tableName>-idempotency`, as `useTable` makes. */
  readonly idempotencyTableName?: string;
  readonly busName?: string;
  /** Where EventBridge and SQS calls go, for a function in another process (a stub server). */
  readonly awsEndpoint?: string;
  readonly deadLetterQueueUrl?: string;
}

/**
 * The environment Lambda and Terraform's `environment` block give the function, pointed at a
 * local engine, with credentials the local engine accepts. One definition for every test that
 * runs the real entry (in this process or a fresh one).
 */
export function lambdaEnvironment(options: LambdaEnvironment): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'local-test-secret',
    AWS_LAMBDA_FUNCTION_NAME: 'dynamo-crud',
    TABLE_NAME: options.tableName,
    DYNAMODB_ENDPOINT: options.dynamodbEndpoint,
    EVENT_BUS_NAME: options.busName ?? 'items-bus',
    CURSOR_KEY: 'a-cursor-key-of-the-function-under-test',
    IDEMPOTENCY_TABLE_NAME: options.idempotencyTableName ?? `${options.tableName}-idempotency`,
    ...(options.awsEndpoint === undefined
      ? {}
      : {
          AWS_ENDPOINT_URL_EVENTBRIDGE: options.awsEndpoint,
          AWS_ENDPOINT_URL_SQS: options.awsEndpoint,
        }),
    ...(options.deadLetterQueueUrl === undefined ? {} : { DLQ_URL: options.deadLetterQueueUrl }),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
