/**
 * Middy's validators as its docs show them first: each event schema compiled by
 * `transpileSchema` when the module loads, that is, during the cold start (its source says
 * that costs 50-100 ms of cold start and recommends compiling in a build step). The bench also
 * builds middy with this module replaced by the same schemas compiled at build time
 * (`middy-compiled.ts`).
 */
import { transpileSchema } from '@middy/validator/transpile';
import type { ValidateFunction } from 'ajv';
import { AJV_OPTIONS, eventSchemas } from './middy-schemas.js';
import type { PeerOperationId } from './shared.js';

const compile = (id: PeerOperationId) =>
  transpileSchema(eventSchemas[id], AJV_OPTIONS) as unknown as ValidateFunction;

export const validators: Readonly<Record<PeerOperationId, ValidateFunction>> = {
  getItem: compile('getItem'),
  createItem: compile('createItem'),
  updateItem: compile('updateItem'),
  deleteItem: compile('deleteItem'),
};
