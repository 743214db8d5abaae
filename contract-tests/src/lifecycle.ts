/**
 * The stateful run: one item of this run's own, taken through its whole life (create, read,
 * conditional update, stale update 412, a JSON Merge Patch and its replay for its
 * Idempotency-Key, delete, 404 after, created again under ETags none of the first had), each
 * answer checked against what the steps before it said. Method and path come from openapi.yaml
 * by operation id; the steps say what to send and what must come back, and what they write is
 * the plan's (`./lifecycle-plan.ts`: made from the contract's `Item`, so a typed item is written
 * as it allows). A step that needs what the contract does not have (a media type, a header, a
 * merge patch `Item` allows) is left out.
 *
 * A step for a new operation is one more entry in `LIFECYCLE` (the listing's is one). A step
 * never lists more than one page: a deployment's table may be large, and a Scan costs what it
 * reads.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Operation } from './contract.js';
import { MERGE_PATCH } from './item.js';
import type { LifecyclePlan } from './lifecycle-plan.js';

/** What the steps know: the item's key and what earlier answers said. */
export interface LifecycleState {
  /** This run's own item key (namespaced, fresh). */
  readonly id: string;
  /** The item as created (the plan's). */
  readonly item: Readonly<Record<string, unknown>>;
  /** What the steps write. */
  readonly plan: LifecyclePlan;
  /** ETags by the name a step recorded them under. */
  readonly etags: Record<string, string>;
  /** Items (parsed bodies) by the name a step recorded them under. */
  readonly items: Record<string, unknown>;
}

/** What a step sends; method and path are the operation's. */
export interface StepRequest {
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Default `application/json` when there is a body. */
  readonly mediaType?: string;
}

/** An answer, its body parsed (`undefined` when empty or not JSON). */
export interface StepResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly json: unknown;
}

export interface Step {
  readonly name: string;
  readonly operationId: string;
  send(state: LifecycleState): StepRequest;
  /** The status that must come back. */
  readonly status: number;
  /** What else is wrong with the answer (empty: nothing); may record what later steps use. */
  check?(response: StepResponse, state: LifecycleState): string[];
  /** Whether the contract's operation has what the step sends, and the plan has it; default: yes. */
  applies?(operation: Operation, plan: LifecyclePlan): boolean;
}

export const LIFECYCLE: readonly Step[] = [
  {
    name: 'create the item: 201 with Location and ETag',
    operationId: 'createItem',
    send: (s) => ({ body: s.item }),
    status: 201,
    check: (r, s) => [
      ...sameBody(r, s.item),
      ...locationOf(r, s.id),
      ...recordEtag(r, s, 'created'),
    ],
  },
  {
    name: 'read it: 200, the same item and ETag',
    operationId: 'getItem',
    send: (s) => ({ query: { user_id: s.id } }),
    status: 200,
    check: (r, s) => [...sameBody(r, s.item), ...sameEtag(r, s, 'created')],
  },
  {
    name: 'read it with its ETag in If-None-Match: 304, no body',
    operationId: 'getItem',
    send: (s) => ({
      query: { user_id: s.id },
      headers: { 'if-none-match': s.etags.created ?? '' },
    }),
    status: 304,
    check: (r, s) => [
      ...(r.json === undefined ? [] : ['a 304 has a body']),
      ...sameEtag(r, s, 'created'),
    ],
  },
  {
    name: 'list one page: 200, at most the limit, a cursor only when there is more',
    operationId: 'listItems',
    send: () => ({ query: { limit: '1' } }),
    status: 200,
    check: (r) => {
      const page = r.json as { items?: unknown[]; cursor?: unknown } | undefined;
      const problems: string[] = [];
      if ((page?.items?.length ?? 0) > 1) problems.push('more items than the limit');
      if ((page?.cursor === undefined) !== (r.headers.link === undefined)) {
        problems.push('a cursor without a Link header, or a Link without a cursor');
      }
      return problems;
    },
  },
  {
    name: 'create it again: 409, nothing overwritten',
    operationId: 'createItem',
    send: (s) => ({ body: s.plan.rival }),
    status: 409,
  },
  {
    name: 'update it with If-Match: 200 and a new ETag',
    operationId: 'updateItem',
    send: (s) => ({
      headers: { 'if-match': s.etags.created ?? '' },
      body: updateBody(s, s.plan.update.value),
    }),
    status: 200,
    check: (r, s) => {
      s.items.updated = { ...s.item, [s.plan.update.key]: s.plan.update.value };
      const problems = [...sameBody(r, s.items.updated), ...recordEtag(r, s, 'updated')];
      if (s.etags.updated !== undefined && s.etags.updated === s.etags.created) {
        problems.push(`the ETag did not change on update (${s.etags.created})`);
      }
      return problems;
    },
  },
  {
    name: 'update it with the stale ETag: 412, nothing written',
    operationId: 'updateItem',
    send: updateAtFirstEtag,
    status: 412,
  },
  {
    name: 'read it: 200, the update and its ETag',
    operationId: 'getItem',
    send: (s) => ({ query: { user_id: s.id } }),
    status: 200,
    check: (r, s) => [...sameBody(r, s.items.updated), ...sameEtag(r, s, 'updated')],
  },
  {
    name: 'merge a patch with If-Match and an Idempotency-Key: 200, set, removed and merged in one version',
    operationId: 'updateItem',
    applies: mergesWithKey,
    send: mergeStep,
    status: 200,
    check: (r, s) => {
      s.items.merged = s.plan.merge?.result;
      const problems = [...sameBody(r, s.items.merged), ...recordEtag(r, s, 'merged')];
      if (s.etags.merged === s.etags.updated) problems.push('the ETag did not change');
      if (r.headers['idempotent-replayed'] !== undefined)
        problems.push('a first answer is replayed');
      return problems;
    },
  },
  {
    name: 'send that patch again with its Idempotency-Key: the first answer, replayed, nothing written',
    operationId: 'updateItem',
    applies: mergesWithKey,
    send: mergeStep,
    status: 200,
    check: (r, s) => [
      ...sameBody(r, s.items.merged),
      ...sameEtag(r, s, 'merged'),
      ...(r.headers['idempotent-replayed'] === 'true' ? [] : ['no Idempotent-Replayed: true']),
    ],
  },
  {
    name: 'send another patch with the same Idempotency-Key: 422, nothing written',
    operationId: 'updateItem',
    applies: mergesWithKey,
    // Another patch: one that changes nothing, so that only the key's reuse can refuse it.
    send: (s) => ({ ...mergeStep(s), body: { user_id: s.id } }),
    status: 422,
  },
  {
    name: 'read it: 200, the merge, once',
    operationId: 'getItem',
    send: (s) => ({ query: { user_id: s.id } }),
    status: 200,
    check: (r, s) => [...sameBody(r, latest(s)), ...sameEtag(r, s, latestEtag(s))],
  },
  {
    name: 'delete it with the stale ETag: 412',
    operationId: 'deleteItem',
    send: (s) => ({ query: { user_id: s.id }, headers: { 'if-match': s.etags.created ?? '' } }),
    status: 412,
  },
  {
    name: 'delete it with its ETag: 200, the item as it was',
    operationId: 'deleteItem',
    send: (s) => ({
      query: { user_id: s.id },
      headers: { 'if-match': s.etags[latestEtag(s)] ?? '' },
    }),
    status: 200,
    check: (r, s) => sameBody(r, latest(s)),
  },
  {
    name: 'read it after the delete: 404',
    operationId: 'getItem',
    send: (s) => ({ query: { user_id: s.id } }),
    status: 404,
  },
  {
    name: 'update it after the delete: 404 (PATCH never creates)',
    operationId: 'updateItem',
    send: (s) => ({ body: updateBody(s, s.plan.update.value) }),
    status: 404,
  },
  {
    name: 'delete it again: 404',
    operationId: 'deleteItem',
    send: (s) => ({ query: { user_id: s.id } }),
    status: 404,
  },
  // An ETag names one state over the item's whole history (RFC 9110 §8.8.1): one from before
  // the delete names nothing after it, however the versions of the new item count.
  {
    name: 'create it again: 201 with an ETag none of its earlier states had',
    operationId: 'createItem',
    send: (s) => ({ body: s.item }),
    status: 201,
    check: (r, s) => {
      const earlier = Object.values(s.etags);
      const problems = recordEtag(r, s, 'recreated');
      if (earlier.includes(s.etags.recreated ?? '')) {
        problems.push(`the ETag ${s.etags.recreated} was sent for the item before its delete`);
      }
      return problems;
    },
  },
  {
    name: 'read it with its first ETag in If-None-Match: 200, not 304 (that was the old item)',
    operationId: 'getItem',
    send: (s) => ({
      query: { user_id: s.id },
      headers: { 'if-none-match': s.etags.created ?? '' },
    }),
    status: 200,
    check: (r, s) => [...sameBody(r, s.item), ...sameEtag(r, s, 'recreated')],
  },
  {
    name: 'update it with its first ETag: 412, nothing written (that was the old item)',
    operationId: 'updateItem',
    send: updateAtFirstEtag,
    status: 412,
  },
  {
    name: 'delete it with its new ETag: 200, the item as created again',
    operationId: 'deleteItem',
    send: (s) => ({ query: { user_id: s.id }, headers: { 'if-match': s.etags.recreated ?? '' } }),
    status: 200,
    check: (r, s) => sameBody(r, s.item),
  },
];

/** An update conditional on the ETag the item was created with. */
function updateAtFirstEtag(s: LifecycleState): StepRequest {
  return {
    headers: { 'if-match': s.etags.created ?? '' },
    body: updateBody(s, s.plan.update.stale),
  };
}

/** The seed's PATCH of the plan's attribute to `value`. */
function updateBody(s: LifecycleState, value: unknown): Record<string, unknown> {
  return { user_id: s.id, updatedKey: s.plan.update.key, updatedValue: value };
}

/** The plan's merge patch of the item: one attribute removed, one set, one map merged into. */
function mergeStep(s: LifecycleState): StepRequest {
  return {
    mediaType: MERGE_PATCH,
    headers: {
      'if-match': s.etags.updated ?? '',
      // The run's own: a token no other run, and no client, sends.
      'idempotency-key': createHash('sha256').update(`${s.id}:merge`).digest('hex'),
    },
    body: s.plan.merge?.patch,
  };
}

/** The merge steps need a merge patch with an Idempotency-Key, and a patch `Item` allows. */
function mergesWithKey(operation: Operation, plan: LifecyclePlan): boolean {
  return (
    (operation.body?.content.has(MERGE_PATCH) ?? false) &&
    takesIdempotencyKey(operation) &&
    plan.merge !== undefined
  );
}

function takesIdempotencyKey(operation: Operation): boolean {
  return operation.parameters.some(
    (p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key',
  );
}

/** The item as the last write left it: merged when the merge steps ran, else updated. */
function latest(s: LifecycleState): unknown {
  return s.items.merged ?? s.items.updated;
}

function latestEtag(s: LifecycleState): string {
  return s.etags.merged === undefined ? 'updated' : 'merged';
}

/** Whether the body is `expected` as JSON carries it (what was sent, not its JavaScript form). */
function sameBody(r: StepResponse, expected: unknown): string[] {
  return isDeepStrictEqual(r.json, JSON.parse(JSON.stringify(expected ?? null)))
    ? []
    : [`the body is ${JSON.stringify(r.json)}, expected ${JSON.stringify(expected)}`];
}

function recordEtag(r: StepResponse, s: LifecycleState, as: string): string[] {
  const etag = r.headers.etag;
  if (etag === undefined) return ['no ETag'];
  s.etags[as] = etag;
  return [];
}

function sameEtag(r: StepResponse, s: LifecycleState, as: string): string[] {
  const expected = s.etags[as];
  return r.headers.etag === expected
    ? []
    : [`the ETag is ${r.headers.etag ?? '(none)'}, expected ${expected ?? '(none recorded)'}`];
}

/** `Location` must lead back to the item: a GET of its path with the item's key. */
function locationOf(r: StepResponse, id: string): string[] {
  const location = r.headers.location;
  if (location === undefined) return ['no Location'];
  const target = new URL(location, 'http://base.invalid/');
  return target.searchParams.get('user_id') === id
    ? []
    : [`Location ${location} does not name user_id ${id}`];
}
