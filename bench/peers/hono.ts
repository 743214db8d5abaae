/**
 * The API on hono, as its docs show: a `Hono` app behind its AWS Lambda adapter
 * (`hono/aws-lambda`'s `handle`), the zod validator middleware (`@hono/zod-validator`) on each
 * route's query, headers and JSON body (`c.req.valid`), the `bodyLimit` middleware, and
 * `onError` / `notFound` answering the function's problems. Hono has no media-type check of
 * its own (its JSON validator reads any other body as `{}`): one small middleware is the 415.
 */
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { ValidationError } from '../../server/src/core/problems.js';
import {
  type CreateHandler,
  fieldErrorsFromIssues,
  isJsonBody,
  type LambdaHandler,
  peerOperations,
  problemFor,
  refusals,
  requestIdOf,
} from './shared.js';
import { ifMatchHeader, item, updateRequest, userIdQuery } from './zod-schemas.js';

type Bindings = { event: LambdaEvent; lambdaContext: LambdaContext };

const PARTS = { query: 'parameter', header: 'header', json: 'pointer' } as const;

/** zod's verdict, hono's way: a failure is thrown, and `onError` answers it. */
const valid = <Target extends keyof typeof PARTS, Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
) =>
  zValidator(target, schema, (result) => {
    if (!result.success) {
      throw new ValidationError(fieldErrorsFromIssues(result.error.issues, PARTS, target));
    }
  });

export const createHonoHandler: CreateHandler = ({ store, events, logger, maxBodyBytes }) => {
  const operations = peerOperations({ store, events, logger });
  const app = new Hono<{ Bindings: Bindings }>();
  const requestId = (env: Bindings) => requestIdOf(env.event, env.lambdaContext);

  const jsonBody = [
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw refusals.tooLarge(maxBodyBytes);
      },
    }),
    createMiddleware(async (c, next) => {
      if (!isJsonBody(c.req.header('content-type'))) {
        throw refusals.notJson();
      }
      await next();
    }),
  ] as const;

  app.get('/dynamo', valid('query', userIdQuery), async (c) => {
    const result = await operations.getItem(
      { query: c.req.valid('query'), headers: {}, body: undefined },
      { requestId: requestId(c.env) },
    );
    // 304 has no content (RFC 9110 §15.4.5); hono's `json` takes only statuses that do.
    return result.status === 304
      ? c.body(null, result.status, result.headers)
      : c.json(result.body, result.status, result.headers);
  });

  app.post('/dynamo', ...jsonBody, valid('json', item), async (c) => {
    const result = await operations.createItem(
      {
        query: {},
        headers: {},
        body: { mediaType: 'application/json', value: c.req.valid('json') },
      },
      { requestId: requestId(c.env) },
    );
    return c.json(result.body, result.status, result.headers);
  });

  app.patch(
    '/dynamo',
    ...jsonBody,
    valid('header', ifMatchHeader),
    valid('json', updateRequest),
    async (c) => {
      const result = await operations.updateItem(
        {
          query: {},
          headers: c.req.valid('header'),
          body: { mediaType: 'application/json', value: c.req.valid('json') },
        },
        { requestId: requestId(c.env) },
      );
      return c.json(result.body, result.status, result.headers);
    },
  );

  app.delete('/dynamo', valid('query', userIdQuery), valid('header', ifMatchHeader), async (c) => {
    const result = await operations.deleteItem(
      { query: c.req.valid('query'), headers: c.req.valid('header'), body: undefined },
      { requestId: requestId(c.env) },
    );
    return c.json(result.body, result.status, result.headers);
  });

  app.notFound(() => {
    throw refusals.noRoute();
  });

  app.onError((error, c) => {
    // Hono's own: its JSON validator's answer to a body that does not parse.
    const cause =
      error instanceof HTTPException && error.status === 400 ? refusals.malformed() : error;
    const problem = problemFor(cause, requestId(c.env), logger);
    return c.body(problem.body, problem.status as ContentfulStatusCode, problem.headers);
  });

  const handler = handle(app);
  return (async (event, context) => {
    logger.addContext(context);
    logger.setCorrelationId(requestIdOf(event, context));
    // Hono's event types are its own; an API Gateway REST event is one it handles.
    return handler(event as unknown as LambdaEvent, context);
  }) as LambdaHandler;
};
