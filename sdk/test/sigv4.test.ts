/**
 * `@dynamo-crud/sdk/sigv4` signs what the client sends. Each signature is checked independently,
 * by recomputing it with the AWS SDK's own signer (`@smithy/signature-v4`) over the request msw
 * received: same credentials, same date, the headers the signature names.
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/index.js';
import { type AwsCredentials, createSigV4Fetch } from '../src/sigv4.js';
import { useMswServer } from './support/msw.js';
import { type Received, signatureFor } from './support/sigv4.js';

const BASE_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';
const REGION = 'eu-west-1';
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const item = { user_id: 'ada', name: 'Ada' };

const server = useMswServer();

/** Answers `/prod/dynamo` with the next of `statuses` (the last repeats), recording requests. */
function answer(...statuses: number[]): Received[] {
  const seen: Received[] = [];
  server.use(
    http.all(`${BASE_URL}/dynamo`, async ({ request }) => {
      seen.push({
        method: request.method,
        url: new URL(request.url),
        headers: request.headers,
        body: await request.text(),
      });
      const status = statuses[Math.min(seen.length, statuses.length) - 1] ?? 200;
      if (status >= 400) {
        return HttpResponse.json(
          { type: 'about:blank', title: 'Unavailable', status, detail: 'later' },
          { status, headers: { 'retry-after': '1' } },
        );
      }
      return HttpResponse.json(item, { status, headers: { etag: '"1"', location: '/x' } });
    }),
  );
  return seen;
}

/** The Authorization header the AWS SDK's signer computes for `request`. */
const expectedAuthorization = (request: Received, credentials: AwsCredentials = CREDENTIALS) =>
  signatureFor(request, REGION, credentials);

const signedClient = (
  credentials: AwsCredentials | (() => Promise<AwsCredentials>) = CREDENTIALS,
  retry: false | { limit: number } = false,
) =>
  createClient({
    baseUrl: BASE_URL,
    timeout: false,
    retry,
    fetch: createSigV4Fetch({ region: REGION, credentials }),
  });

describe('createSigV4Fetch', () => {
  it('signs a read: AWS4-HMAC-SHA256 for execute-api in the region, with the session token', async () => {
    const seen = answer(200);

    await signedClient().getItem('ada');

    const [request] = seen;
    if (request === undefined) throw new Error('no request');
    const authorization = request.headers.get('authorization') ?? '';
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*x-amz-date[^,]*x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers.get('x-amz-security-token')).toBe(CREDENTIALS.sessionToken);
    expect(authorization).toBe(await expectedAuthorization(request));
  });

  it('signs a write over its body, and If-Match with it', async () => {
    const seen = answer(200);

    await signedClient().updateItem(
      { user_id: 'ada', updatedKey: 'name', updatedValue: 'Ada Lovelace' },
      { ifMatch: '"1"' },
    );

    const [request] = seen;
    if (request === undefined) throw new Error('no request');
    expect(request.body).toBe(
      '{"user_id":"ada","updatedKey":"name","updatedValue":"Ada Lovelace"}',
    );
    expect(request.headers.get('authorization')).toContain('if-match');
    expect(request.headers.get('authorization')).toBe(await expectedAuthorization(request));
  });

  it('produces a signature that a changed body no longer matches', async () => {
    const seen = answer(201);

    await signedClient().createItem(item);

    const [request] = seen;
    if (request === undefined) throw new Error('no request');
    const tampered = { ...request, body: request.body.replace('Ada', 'Eve') };
    expect(request.headers.get('authorization')).toBe(await expectedAuthorization(request));
    expect(request.headers.get('authorization')).not.toBe(await expectedAuthorization(tampered));
  });

  it('signs every attempt afresh when a call is retried', async () => {
    const seen = answer(503, 200);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(new Date('2030-06-01T12:00:00Z'));

    const pending = signedClient(CREDENTIALS, { limit: 1 }).getItem('ada');
    for (let turn = 0; turn < 10_000 && vi.getTimerCount() === 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await vi.advanceTimersToNextTimerAsync();
    await pending;

    expect(seen.map((request) => request.headers.get('x-amz-date'))).toEqual([
      '20300601T120000Z',
      '20300601T120001Z',
    ]);
    for (const request of seen) {
      expect(request.headers.get('authorization')).toBe(await expectedAuthorization(request));
    }
  });

  it('asks a credentials provider once, and again only when its credentials near expiry', async () => {
    const seen = answer(200);
    const provided: AwsCredentials[] = [
      { ...CREDENTIALS, accessKeyId: 'AKIDFIRST', expiration: new Date(Date.now() + 60_000) },
      { ...CREDENTIALS, accessKeyId: 'AKIDSECOND', expiration: new Date(Date.now() + 3_600_000) },
    ];
    const provider = vi.fn(async () => provided[provider.mock.calls.length - 1] ?? CREDENTIALS);
    const api = signedClient(provider);

    await Promise.all([api.getItem('ada'), api.getItem('ada')]);
    await api.getItem('ada');
    await api.getItem('ada');

    // The first credentials expire within 5 minutes: used by the two concurrent calls, then
    // replaced; the second are kept.
    expect(provider).toHaveBeenCalledTimes(2);
    expect(
      seen.map((r) => /Credential=(\w+)\//.exec(r.headers.get('authorization') ?? '')?.[1]),
    ).toEqual(['AKIDFIRST', 'AKIDFIRST', 'AKIDSECOND', 'AKIDSECOND']);
    for (const request of seen.slice(2)) {
      expect(request.headers.get('authorization')).toBe(
        await expectedAuthorization(request, { ...CREDENTIALS, accessKeyId: 'AKIDSECOND' }),
      );
    }
  });

  it('keeps the timeout working through the signing fetch', async () => {
    server.use(
      http.all(
        `${BASE_URL}/dynamo`,
        ({ request }) =>
          new Promise<Response>((resolve) => {
            request.signal.addEventListener('abort', () => resolve(HttpResponse.json(item)));
          }),
      ),
    );
    const api = createClient({
      baseUrl: BASE_URL,
      timeout: 50,
      fetch: createSigV4Fetch({ region: REGION, credentials: CREDENTIALS }),
    });

    await expect(api.getItem('ada')).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
