/**
 * Conditional writes under contention, through the local HTTP server on a real engine: many
 * clients racing for one `user_id` or one version get exactly one winner.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectContractResponse } from './support/conformance.js';
import { useTable } from './support/engine.js';
import { useApi } from './support/transports.js';

const RACERS = 25;

describe('concurrent writes to one item', () => {
  const table = useTable();
  const api = useApi('local HTTP server', table);

  it(`${RACERS} simultaneous POSTs of one user_id: exactly one 201, the rest 409`, async () => {
    const userId = `race-${randomUUID()}`;

    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        api.send({ method: 'POST', json: { user_id: userId, writer: i } }),
      ),
    );

    for (const response of responses) expectContractResponse('createItem', response);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(RACERS - 1);
    const winner = JSON.parse(responses[statuses.indexOf(201)]?.body ?? '{}') as { writer: number };
    const stored = await api.send({ method: 'GET', query: { user_id: userId } });
    expect(JSON.parse(stored.body)).toEqual({ user_id: userId, writer: winner.writer });
  });

  it(`${RACERS} simultaneous PATCHes with the same If-Match: exactly one 200, the rest 412`, async () => {
    const userId = `race-${randomUUID()}`;
    const created = await api.send({ method: 'POST', json: { user_id: userId } });
    const etag = created.headers.etag ?? '';

    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        api.send({
          method: 'PATCH',
          headers: { 'if-match': etag },
          json: { user_id: userId, updatedKey: 'writer', updatedValue: i },
        }),
      ),
    );

    for (const response of responses) expectContractResponse('updateItem', response);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(RACERS - 1);
    const stored = await api.send({ method: 'GET', query: { user_id: userId } });
    expect(stored.headers.etag).toBe('"2"');
  });

  it(`${RACERS} simultaneous DELETEs: exactly one 200, the rest 404`, async () => {
    const userId = `race-${randomUUID()}`;
    await api.send({ method: 'POST', json: { user_id: userId } });

    const responses = await Promise.all(
      Array.from({ length: RACERS }, () =>
        api.send({ method: 'DELETE', query: { user_id: userId } }),
      ),
    );

    for (const response of responses) expectContractResponse('deleteItem', response);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 404)).toHaveLength(RACERS - 1);
  });

  it('unconditional PATCHes of different attributes all land: none is lost', async () => {
    const userId = `race-${randomUUID()}`;
    await api.send({ method: 'POST', json: { user_id: userId } });

    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        api.send({
          method: 'PATCH',
          json: { user_id: userId, updatedKey: `field${i}`, updatedValue: i },
        }),
      ),
    );

    expect(responses.every((r) => r.status === 200)).toBe(true);
    const stored = await api.send({ method: 'GET', query: { user_id: userId } });
    const item = JSON.parse(stored.body) as Record<string, unknown>;
    for (let i = 0; i < RACERS; i++) expect(item[`field${i}`]).toBe(i);
    expect(stored.headers.etag).toBe(`"${RACERS + 1}"`);
  });
});
