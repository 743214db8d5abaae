/** Factories for the API Gateway events and Lambda context a real invocation carries. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';

export interface EventInput {
  readonly method: string;
  readonly path: string;
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** Send the body base64-encoded, as API Gateway does for binary media types. */
  readonly base64?: boolean;
}

export function restApiEvent(input: EventInput): APIGatewayProxyEvent {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of input.query) {
    single[name] = value; // REST APIs keep the last value here, all of them in the multi map
    multi[name] = [...(multi[name] ?? []), value];
  }
  const requestId = randomUUID();
  return {
    resource: input.path,
    path: input.path,
    httpMethod: input.method,
    headers: { ...input.headers },
    multiValueHeaders: Object.fromEntries(
      Object.entries(input.headers).map(([name, value]) => [name, [value]]),
    ),
    queryStringParameters: input.query.length === 0 ? null : single,
    multiValueQueryStringParameters: input.query.length === 0 ? null : multi,
    pathParameters: null,
    stageVariables: null,
    body: encode(input),
    isBase64Encoded: input.base64 === true,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: input.method,
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/prod${input.path}`,
      stage: 'prod',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'resource',
      resourcePath: input.path,
    },
  };
}

export function httpApiEvent(input: EventInput, stage = 'prod'): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(
    input.query.map(([k, v]): [string, string] => [k, v]),
  ).toString();
  const rawPath = stage === '$default' ? input.path : `/${stage}${input.path}`;
  const body = encode(input);
  return {
    version: '2.0',
    routeKey: `${input.method} ${input.path}`,
    rawPath,
    rawQueryString,
    headers: Object.fromEntries(
      Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]),
    ),
    isBase64Encoded: input.base64 === true,
    ...(body === null ? {} : { body }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: input.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      },
      requestId: randomUUID(),
      routeKey: `${input.method} ${input.path}`,
      stage,
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'dynamo-crud',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dynamo-crud',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/dynamo-crud',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function encode(input: EventInput): string | null {
  if (input.body === undefined) return null;
  return input.base64 === true ? Buffer.from(input.body).toString('base64') : input.body;
}
