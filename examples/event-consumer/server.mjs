/**
 * A receiver for dynamo-crud's events, with no dependencies: it takes what `npm start` POSTs to
 * `EVENTS_WEBHOOK_URL` (or what an EventBridge API destination sends), checks the event's
 * minimal shape and prints it.
 *
 *   node examples/event-consumer/server.mjs          # http://127.0.0.1:4000/events
 *   EVENTS_WEBHOOK_URL=http://127.0.0.1:4000/events npm start
 *
 * stdout: one line saying where it listens, then each event as one JSON line, as received
 * (numbers past JS precision stay exact: the text is printed, not a re-serialised parse).
 * stderr: what it refused, and why. Delivery is at least once, so an event seen before (same
 * `user_id`, `operation` and `etag`) is answered 2xx but not printed again. Not `version`: an
 * item deleted and created again counts its versions from 1 again; its `etag` is new.
 */
import { createServer } from 'node:http';

const HOST = process.env.HOST || '127.0.0.1';
const PORT = Number(process.env.PORT || 4000);
const PATH = '/events';
const MAX_BODY_BYTES = 1024 * 1024;
const OPERATIONS = new Set(['POST', 'PATCH', 'DELETE']);
/** How many event keys to remember for de-duplication. */
const SEEN_LIMIT = 10_000;

if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65_535) {
  console.error(`event-consumer: PORT must be a whole number from 0 to 65535, got ${PORT}`);
  process.exit(1);
}

/**
 * Why `event` is not a dynamo-crud write event, or `undefined` when it is one. Only the fields a
 * consumer relies on are checked; openapi.yaml (`WriteEventDetail`) has the full schema.
 */
function problemWith(event) {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return 'the body is not a JSON object';
  }
  const { source, detail } = event;
  if (typeof source !== 'string' || source === '') return 'source is not a string';
  if (typeof detail !== 'object' || detail === null) return 'detail is not an object';
  if (!OPERATIONS.has(detail.operation)) return 'detail.operation is not POST, PATCH or DELETE';
  if (event['detail-type'] !== `dynamo_${detail.operation}`) {
    return `detail-type is not dynamo_${detail.operation}`;
  }
  if (detail.message !== 'success') return 'detail.message is not "success"';
  if (typeof detail.user_id !== 'string' || detail.user_id === '') {
    return 'detail.user_id is not a string';
  }
  if (!Number.isInteger(detail.version) || detail.version < 0) {
    return 'detail.version is not a whole number';
  }
  if (detail.etag !== undefined && typeof detail.etag !== 'string') {
    return 'detail.etag is not a string';
  }
  if (typeof detail.occurredAt !== 'string' || Number.isNaN(Date.parse(detail.occurredAt))) {
    return 'detail.occurredAt is not a time';
  }
  if (detail.item !== undefined && detail.item?.user_id !== detail.user_id) {
    return 'detail.item is not the item of detail.user_id';
  }
  return undefined;
}

const seen = new Set();

/**
 * True the first time an event's key is seen (the oldest keys are forgotten past the limit).
 * Events put before ETags were in them have their version instead.
 */
function firstTime({ detail }) {
  const key = JSON.stringify([detail.user_id, detail.operation, detail.etag ?? detail.version]);
  if (seen.has(key)) return false;
  seen.add(key);
  if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value);
  return true;
}

function answer(res, status, message, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(message === undefined ? undefined : `${message}\n`);
}

/** The body as text, or `undefined` when it is larger than `MAX_BODY_BYTES`. */
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function receive(req, res) {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (pathname !== PATH) return answer(res, 404, `Nothing here: POST events to ${PATH}.`);
  if (req.method !== 'POST') return answer(res, 405, 'POST events here.', { allow: 'POST' });
  const text = await readBody(req);
  if (text === undefined) {
    return answer(res, 413, `The body is larger than ${MAX_BODY_BYTES} bytes.`, {
      connection: 'close',
    });
  }
  let event;
  try {
    event = JSON.parse(text);
  } catch {
    console.error('event-consumer: refused a body that is not JSON');
    return answer(res, 400, 'The body is not JSON.');
  }
  const problem = problemWith(event);
  if (problem !== undefined) {
    console.error(`event-consumer: refused an event: ${problem}`);
    return answer(res, 400, `Not a dynamo-crud event: ${problem}.`);
  }
  if (firstTime(event)) {
    // JSON strings hold no raw line breaks, so dropping them (and the indent after) keeps the
    // text valid JSON on one line, its numbers exactly as sent.
    console.log(text.trim().replace(/[\r\n]+[ \t]*/g, ''));
  }
  return answer(res, 204);
}

const server = createServer((req, res) => {
  receive(req, res).catch((error) => {
    console.error('event-consumer: failed to receive an event:', error);
    if (!res.headersSent) answer(res, 500, 'The event could not be received.');
    else res.destroy();
  });
});

server.once('error', (error) => {
  console.error(`event-consumer: cannot listen on ${HOST}:${PORT}: ${error.message}`);
  process.exit(1);
});
server.listen(PORT, HOST, () => {
  const { port } = server.address();
  console.log(`event-consumer listening on http://${HOST}:${port}${PATH}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
