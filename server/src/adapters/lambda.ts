/**
 * The Lambda screen over the core: API Gateway REST (v1) and HTTP API (v2) proxy events in,
 * the matching result shape out. No behaviour lives here.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { App } from '../core/app.js';
import type { ApiRequest, ApiResponse } from '../core/types.js';

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;
export type ApiGatewayResult = APIGatewayProxyResult | APIGatewayProxyStructuredResultV2;

export function createLambdaHandler(app: App | Promise<App>, logger: Logger) {
  return async function handler(
    event: ApiGatewayEvent,
    context: Context,
  ): Promise<ApiGatewayResult> {
    const request = isV2(event) ? fromV2(event, context) : fromV1(event, context);
    logger.addContext(context);
    logger.setCorrelationId(request.requestId);
    const response = await (await app).handle(request);
    logger.debug('handled', {
      method: request.method,
      path: request.path,
      status: response.statusCode,
    });
    return toResult(response);
  };
}

function isV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return 'version' in event && event.version === '2.0';
}

function fromV1(event: APIGatewayProxyEvent, context: Context): ApiRequest {
  const query: Record<string, string | string[]> = {};
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [name, values] of Object.entries(multi)) {
    if (values !== undefined) query[name] = values.length === 1 ? (values[0] ?? '') : values;
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (!(name in query) && value !== undefined) query[name] = value;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values !== undefined && values.length > 1) headers[name.toLowerCase()] = values.join(', ');
  }
  return {
    method: event.httpMethod,
    path: event.path,
    query,
    headers,
    body: decodeBody(event.body, event.isBase64Encoded),
    requestId: event.requestContext?.requestId ?? context.awsRequestId,
  };
}

function fromV2(event: APIGatewayProxyEventV2, context: Context): ApiRequest {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(event.rawQueryString ?? '')) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const { stage, http, requestId } = event.requestContext;
  // Named stages prefix the raw path (`/prod/dynamo`); `$default` does not.
  const prefix = stage !== undefined && stage !== '$default' ? `/${stage}` : '';
  const path =
    prefix !== '' && event.rawPath.startsWith(`${prefix}/`)
      ? event.rawPath.slice(prefix.length)
      : event.rawPath;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return {
    method: http.method,
    path,
    query,
    headers,
    body: decodeBody(event.body, event.isBase64Encoded),
    requestId: requestId ?? context.awsRequestId,
  };
}

function decodeBody(body: string | null | undefined, base64: boolean): string | undefined {
  if (body === null || body === undefined) return undefined;
  return base64 ? Buffer.from(body, 'base64').toString('utf8') : body;
}

function toResult(response: ApiResponse): ApiGatewayResult {
  return {
    statusCode: response.statusCode,
    headers: { ...response.headers },
    body: response.body,
    isBase64Encoded: false,
  };
}
