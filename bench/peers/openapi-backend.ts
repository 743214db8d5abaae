/**
 * The API on openapi-backend at run time, as its AWS examples show: `new OpenAPIBackend({
 * definition, quick: true })` reading openapi.yaml when the container starts (`quick` skips
 * validating the document and compiles each operation's validators on its first request), one
 * handler per operation id, `validationFail` and `notFound` answering the function's problems,
 * and a `postRoutingHandler` for what it does not check: the body's size and media type. It is
 * how the function itself worked before its validators were compiled at build time
 * (docs/decisions/002-cold-start.md).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { OpenAPIBackend, type Context as RequestContext } from 'openapi-backend';
import type { Item } from '../../server/src/core/ports.js';
import { ValidationError } from '../../server/src/core/problems.js';
import {
  type CreateHandler,
  fieldErrorsFromAjv,
  isJsonBody,
  peerOperations,
  problemFor,
  proxyResult,
  refusals,
  requestIdOf,
  type UpdateRequest,
} from './shared.js';

const PARTS = { query: 'parameter', header: 'header', requestBody: 'pointer' } as const;

export const createOpenApiBackendHandler: CreateHandler = ({
  store,
  events,
  logger,
  maxBodyBytes,
  openApiPath,
}) => {
  const operations = peerOperations({ store, events, logger });
  const api = new OpenAPIBackend({ definition: openApiPath, quick: true });
  const requestId = (event: APIGatewayProxyEvent, context: Context) => ({
    requestId: requestIdOf(event, context),
  });
  const ifMatchOf = (c: RequestContext) => {
    const ifMatch = c.request.headers['if-match'];
    return typeof ifMatch === 'string' ? { 'if-match': ifMatch } : {};
  };

  api.register({
    getItem: (c: RequestContext, event: APIGatewayProxyEvent, context: Context) =>
      operations.getItem(
        { query: { user_id: String(c.request.query.user_id) }, headers: {}, body: undefined },
        requestId(event, context),
      ),
    createItem: (c: RequestContext, event: APIGatewayProxyEvent, context: Context) =>
      operations.createItem(
        {
          query: {},
          headers: {},
          body: { mediaType: 'application/json', value: c.request.requestBody as Item },
        },
        requestId(event, context),
      ),
    updateItem: (c: RequestContext, event: APIGatewayProxyEvent, context: Context) =>
      operations.updateItem(
        {
          query: {},
          headers: ifMatchOf(c),
          body: { mediaType: 'application/json', value: c.request.requestBody as UpdateRequest },
        },
        requestId(event, context),
      ),
    deleteItem: (c: RequestContext, event: APIGatewayProxyEvent, context: Context) =>
      operations.deleteItem(
        {
          query: { user_id: String(c.request.query.user_id) },
          headers: ifMatchOf(c),
          body: undefined,
        },
        requestId(event, context),
      ),
    postRoutingHandler: (c: RequestContext, event: APIGatewayProxyEvent) => {
      if (c.operation?.requestBody === undefined || event.body === null) return;
      if (Buffer.byteLength(event.body) > maxBodyBytes) {
        throw refusals.tooLarge(maxBodyBytes);
      }
      if (!isJsonBody(c.request.headers['content-type'] as string | undefined)) {
        throw refusals.notJson();
      }
    },
    validationFail: (c: RequestContext) => {
      const errors = c.validation.errors ?? [];
      // Its `parse` error: a JSON body that does not parse.
      throw errors.some((e) => e.keyword === 'parse')
        ? refusals.malformed()
        : new ValidationError(fieldErrorsFromAjv(errors, PARTS));
    },
    notFound: () => {
      throw refusals.noRoute();
    },
  });
  // Started at init; the first request waits for it (openapi-backend's AWS CDK example).
  const ready = api.init();

  return async (event, context): Promise<APIGatewayProxyResult> => {
    logger.addContext(context);
    logger.setCorrelationId(requestIdOf(event, context));
    try {
      await ready;
      const result = await api.handleRequest(
        {
          method: event.httpMethod,
          path: event.path,
          query: (event.queryStringParameters ?? {}) as Record<string, string>,
          body: event.body ?? undefined,
          headers: event.headers as Record<string, string>,
        },
        event,
        context,
      );
      return proxyResult(result);
    } catch (error) {
      const problem = problemFor(error, requestIdOf(event, context), logger);
      return { statusCode: problem.status, headers: problem.headers, body: problem.body };
    }
  };
};
