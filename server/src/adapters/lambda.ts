/**
 * The Lambda screen over the core: API Gateway REST (v1) and HTTP API (v2) proxy events in, the
 * matching result shape out. No behaviour lives here: bytes and text are handed to the core as
 * they came, and the core decodes and checks them.
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
import type { ApiRequest, ApiResponse } from '../core/request.js';

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;
export type ApiGatewayResult = APIGatewayProxyResult | APIGatewayProxyStructuredResultV2;

export function createLambdaHandler(app: App, logger: Logger) {
  return async function handler(
    event: ApiGatewayEvent,
    context: Context,
  ): Promise<ApiGatewayResult> {
    // Lambda stops the invocation at its timeout: publishing must be done (or on record) by then.
    const deadline = Date.now() + context.getRemainingTimeInMillis();
    const request = {
      ...(isV2(event) ? fromV2(event, context) : fromV1(event, context)),
      deadline,
    };
    logger.addContext(context);
    logger.setCorrelationId(request.requestId);
    return toResult(await app.handle(request));
  };
}

function isV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return 'version' in event && event.version === '2.0';
}

function fromV1(event: APIGatewayProxyEvent, context: Context): ApiRequest {
  // REST APIs hand over the query decoded; it goes back to the core as a query string.
  const pairs: string[] = [];
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [name, values] of Object.entries(multi)) {
    for (const value of values ?? []) pairs.push(`${encode(name)}=${encode(value)}`);
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (!(name in multi) && value !== undefined) pairs.push(`${encode(name)}=${encode(value)}`);
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
    // As the client sent it, percent-encoding included: the core compares it (RFC 3986 §6.2.2).
    path: event.path,
    query: pairs.join('&'),
    headers,
    body: body(event.body, event.isBase64Encoded),
    requestId: event.requestContext?.requestId ?? context.awsRequestId,
  };
}

function fromV2(event: APIGatewayProxyEventV2, context: Context): ApiRequest {
  const { stage, requestId } = event.requestContext;
  // Named stages prefix the raw path (`/prod/dynamo`); `$default` does not. HTTP APIs are
  // reported to decode `rawPath` (and to route on the decoded path) before the function sees
  // it, unlike REST APIs, whose `path` is as sent: by then a `%2F` is a `/`, which no function
  // can tell apart. AWS documents neither.
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
    method: event.requestContext.http.method,
    path,
    query: event.rawQueryString ?? '',
    headers,
    body: body(event.body, event.isBase64Encoded),
    requestId: requestId ?? context.awsRequestId,
  };
}

/** A binary body arrives base64-encoded, for the core to decode; text stays text. */
function body(value: string | null | undefined, base64: boolean): ApiRequest['body'] {
  if (value === null || value === undefined) return undefined;
  return base64 ? { base64: value } : value;
}

/**
 * A decoded query value, percent-encoded again. Text with a lone surrogate has no UTF-8 form:
 * it becomes a byte the core's strict decoding refuses, so the client hears which parameter.
 */
function encode(text: string): string {
  return text.isWellFormed() ? encodeURIComponent(text) : '%FF';
}

function toResult(response: ApiResponse): ApiGatewayResult {
  return {
    statusCode: response.statusCode,
    headers: { ...response.headers },
    body: response.body,
    isBase64Encoded: false,
  };
}
