import crypto from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import { LIMITS } from '../../src/http/request-schemas';
import { MAX_JSON_DEPTH } from '../../src/http/json';
import { isEventItem } from '../../src/store/event-item';
import { eventBody, startTestApi, type TestApi, type TestResponse } from '../../../tooling/test-api';

/**
 * Properties of the whole HTTP surface against the real app on the embedded engine, over generated
 * hostile input: never a 5xx, every error in the envelope, nothing stored unless valid, and a stored
 * event always reads back exactly. `npm test` runs a seeded, bounded number of cases; `npm run fuzz`
 * runs many more with a fresh seed (FUZZ_RUNS, FUZZ_SEED).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
const SEED = Number(process.env.FUZZ_SEED ?? (process.env.FUZZ_RUNS ? Date.now() % 2 ** 31 : 20_261_127));
const settings = { numRuns: RUNS, seed: SEED, endOnFailure: true };
// A property's requests run one after another: about 5-20 ms each.
jest.setTimeout(30_000 + RUNS * 100);

const tally = { requests: 0, serverErrors: 0, created: 0, rejected: 0 };

function expectNoServerError(res: TestResponse): void {
  tally.requests++;
  if (res.status >= 500) tally.serverErrors++;
  expect(res.status).toBeLessThan(500);
}

/** The one error shape: `{error: {code, message, details, request_id}}`, the id echoed in `X-Request-ID`. */
function expectEnvelope(res: TestResponse): void {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(res.body ?? {})).toEqual(['error']);
  const { error } = res.body;
  expect(Object.keys(error)).toEqual(['code', 'message', 'details', 'request_id']);
  expect(typeof error.code).toBe('string');
  expect(typeof error.message).toBe('string');
  expect(error.request_id).toBe(res.headers.get('x-request-id'));
}

function expectAnswered(res: TestResponse, ok: number[]): void {
  expectNoServerError(res);
  if (ok.includes(res.status)) return;
  tally.rejected++;
  expectEnvelope(res);
}

// ---- generators ---------------------------------------------------------------------------------------

const text = (maxLength: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength });
const KNOWN_METADATA = ['priority', 'idempotency_key', 'correlation_id'];
/** Label names, biased towards the names of object internals. */
const label = fc.oneof(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,20}$/).filter((name) => !KNOWN_METADATA.includes(name)),
  fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'prototype'),
);
const payload = fc.dictionary(text(20), fc.jsonValue({ maxDepth: 5, stringUnit: 'grapheme' }), {
  minKeys: 1,
  maxKeys: 6,
});
const metadata = fc.record(
  {
    labels: fc.dictionary(label, fc.string({ unit: 'grapheme', maxLength: 40 }), { maxKeys: 5 }),
    priority: fc.constantFrom('low', 'normal', 'high'),
    correlation_id: text(40),
    idempotency_key: fc.uuid(),
  },
  { requiredKeys: ['labels'] },
);

/** A body valid by construction. */
const validBody = fc.record({ source: text(30), event_type: text(30), payload, metadata }).map((body) => {
  const { labels, ...known } = body.metadata;
  return { source: body.source, event_type: body.event_type, payload: body.payload, metadata: { ...labels, ...known } };
});

const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.object());

/** A valid body with exactly one rule broken: invalid by construction. */
const invalidBody = fc.oneof(
  validBody.chain((b) => fc.constantFrom('source', 'event_type', 'payload').map((k) => omit(b, k))),
  validBody.chain((b) => notAString.map((v) => ({ ...b, source: v }))),
  validBody.chain((b) => notAString.map((v) => ({ ...b, event_type: v }))),
  validBody.map((b) => ({ ...b, source: 'x'.repeat(LIMITS.nameLength + 1) })),
  validBody.map((b) => ({ ...b, event_type: '' })),
  validBody.chain((b) => fc.constantFrom({}, [], 'text', 7, null).map((p) => ({ ...b, payload: p }))),
  validBody.chain((b) =>
    fc
      .string({ minLength: 1 })
      .filter(notKnownField)
      .map((k) => ({ ...b, [k]: 1 })),
  ),
  validBody.chain((b) => fc.constantFrom('1x', '_a', 'a b', 'é', '').map((k) => withMetadata(b, { [k]: 'v' }))),
  validBody.chain((b) => fc.oneof(fc.integer(), fc.boolean()).map((v) => withMetadata(b, { team: v }))),
  validBody.map((b) => withMetadata(b, { team: 'v'.repeat(LIMITS.metadataValueLength + 1) })),
  validBody.chain((b) =>
    fc
      .string()
      .filter((p) => !['low', 'normal', 'high'].includes(p))
      .map((p) => withMetadata(b, { priority: p })),
  ),
  validBody.map((b) => withMetadata(b, { idempotency_key: 'has space' })),
  validBody.chain((b) => fc.constantFrom('\ud800', '\udfff', 'a\udc00b').map((s) => ({ ...b, source: s }))),
  validBody.map((b) => ({ ...b, payload: nestedObject(MAX_JSON_DEPTH) })),
);

function omit(body: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([name]) => name !== key));
}
function notKnownField(key: string): boolean {
  return !['source', 'event_type', 'payload', 'metadata', '__proto__'].includes(key);
}
function withMetadata(body: { metadata: object }, extra: Record<string, unknown>): Record<string, unknown> {
  return { ...body, metadata: { ...body.metadata, ...extra } };
}
function nestedObject(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/json; charset=latin1',
  'application/json;;',
  'application/x-www-form-urlencoded',
  '',
];

/** Bytes anywhere from valid to garbage: valid bodies with bytes spliced in, JSON of any shape, random bytes. */
const hostileBytes = fc.oneof(
  validBody.chain((b) => {
    const bytes = Buffer.from(JSON.stringify(b));
    return fc
      .tuple(fc.nat(bytes.length), fc.uint8Array({ minLength: 1, maxLength: 4 }))
      .map(([at, junk]) => Buffer.concat([bytes.subarray(0, at), Buffer.from(junk), bytes.subarray(at)]));
  }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.integer({ min: 1, max: 5000 }).map((d) => Buffer.from('['.repeat(d) + ']'.repeat(d))),
  fc
    .constantFrom('\ufeff{}', '{"source":"a","event_type":"b","payload":{"a":1}}\u0000', 'null', '{}')
    .map((s) => Buffer.from(s)),
);

/**
 * Writes bytes on a fresh connection and resolves with all the server wrote until it closed. A request
 * still waiting for body bytes gets an end of stream after `halfCloseAfterMs` (half-closing at once would
 * make Node drop the answers of requests still being served), and the connection is given up 3 s later.
 */
function exchange(port: number, bytes: Buffer, halfCloseAfterMs = 300): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const halfClose = setTimeout(() => socket.end(), halfCloseAfterMs);
    const giveUp = setTimeout(() => socket.destroy(), halfCloseAfterMs + 3000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(halfClose);
      clearTimeout(giveUp);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes);
  });
}

// ---- an independent oracle of what may be stored -----------------------------------------------------

/** True when `bytes` sent with `contentType` is a body the API's contract says it must accept. */
function acceptable(bytes: Buffer, contentType: string): boolean {
  if (!['application/json', 'application/json; charset=utf-8'].includes(contentType)) return false;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return false;
  let body: unknown;
  try {
    const decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (!decoded.isWellFormed()) return false;
    body = JSON.parse(decoded);
  } catch {
    return false;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { source, event_type, payload: p, metadata: m, ...extra } = body as Record<string, unknown>;
  const isName = (v: unknown) => typeof v === 'string' && v.length > 0 && [...v].length <= LIMITS.nameLength;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  return (
    Object.keys(extra).length === 0 &&
    isName(source) &&
    isName(event_type) &&
    isObject(p) &&
    Object.keys(p as object).length > 0 &&
    (m === undefined || m === null || isObject(m))
  );
}

// ---- the properties -----------------------------------------------------------------------------------

describe('properties of the HTTP surface under generated input', () => {
  let api: TestApi;
  let storedBefore: number;
  /** Events in the table (idempotency reservations are items too, but not events). */
  const countEvents = async (): Promise<number> => (await api.scanEvents()).filter(isEventItem).length;
  beforeAll(async () => {
    // The server as shipped: new events are written together (WRITE_COALESCING=on).
    api = await startTestApi({ env: { WRITE_COALESCING: 'on' } });
    storedBefore = await countEvents();
  });
  afterAll(async () => {
    await api?.close();
    process.stdout.write(
      `fuzz (seed ${SEED}, ${RUNS} runs per property): ${tally.requests} requests, ${tally.serverErrors} 5xx, ` +
        `${tally.created} created, ${tally.rejected} rejected\n`,
    );
  });

  it('a valid event is stored and reads back exactly: fields, labels and payload text', async () => {
    await fc.assert(
      fc.asyncProperty(validBody, async (body) => {
        const created = await api.request('/v1/events', { method: 'POST', json: body });
        expectAnswered(created, [201]);
        expect(created.status).toBe(201);
        tally.created++;
        const got = await api.request(`/v1/events/${created.body.event_id}`);
        expectAnswered(got, [200]);
        expect(got.body).toMatchObject({ source: body.source, event_type: body.event_type, metadata: body.metadata });
        expect(got.text).toContain(`"payload":${JSON.stringify(body.payload)},`);
      }),
      settings,
    );
  });

  it('a body breaking one rule is answered 400 in the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(invalidBody, async (body) => {
        const res = await api.request('/v1/events', { method: 'POST', json: body });
        expectAnswered(res, []);
        expect(res.status).toBe(400);
      }),
      settings,
    );
  });

  it('any bytes under any media type: never a 5xx, stored only when the contract says so', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileBytes,
        fc.constantFrom(...CONTENT_TYPES),
        fc.option(fc.constantFrom('gzip', 'identity', 'br')),
        async (bytes, contentType, encoding) => {
          const headers: Record<string, string> = { 'content-type': contentType };
          if (encoding !== null) headers['content-encoding'] = encoding;
          const res = await api.request('/v1/events', { method: 'POST', body: bytes, headers });
          expectAnswered(res, [201]);
          if (res.status === 201) {
            tally.created++;
            expect(acceptable(bytes, contentType) && encoding !== 'gzip' && encoding !== 'br').toBe(true);
          }
        },
      ),
      settings,
    );
  });

  it('any event id on every event route: never a 5xx, errors in the envelope', async () => {
    const id = fc.oneof(
      fc.uuid(),
      fc.string({ unit: 'binary', maxLength: 60 }).map(encodeURIComponent),
      fc.constantFrom('%', '%E0%A4%A', '..%2F..%2Fetc', '%00', 'a/b', '00000000-0000-0000-0000-00000000000g'),
    );
    const route = fc.constantFrom(['GET', ''], ['POST', '/ack'], ['DELETE', ''], ['PUT', '']);
    await fc.assert(
      fc.asyncProperty(id, route, fc.boolean(), async (eventId, [method, suffix], otherTenant) => {
        const res = await api.request(`/v1/events/${eventId}${suffix}`, {
          method,
          ...(otherTenant ? { key: api.keys.globex } : {}),
        });
        expectAnswered(res, [200]);
        if (method === 'DELETE' && res.status === 200) expect(res.body.event_id).toBeDefined();
      }),
      settings,
    );
  });

  it('any inbox query: never a 5xx, a page or an error in the envelope', async () => {
    const first = await api.request('/v1/inbox?limit=1');
    const realCursor: string = first.body.pagination.next_cursor ?? 'none';
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.integer().map(String),
      fc.constantFrom('Infinity', '1e309', '-0', '0x1', '1.5', '', '\u0000', realCursor),
      fc.nat(realCursor.length).map((i) => realCursor.slice(0, i) + 'A' + realCursor.slice(i + 1)),
    );
    const oddNumber = fc.constantFrom('Infinity', '-Infinity', '1e309', '1e2', '0x10', '-0', '1.5', ' 7', '+5', 'NaN');
    const pair = fc.oneof(
      fc.tuple(fc.constantFrom('limit', 'cursor', 'source', 'event_type', 'x', 'limit[]', '__proto__'), value),
      fc.tuple(fc.constant('limit'), oddNumber),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(pair, { maxLength: 4 }), fc.boolean(), async (pairs, otherTenant) => {
        const query = new URLSearchParams(pairs).toString();
        const res = await api.request(`/v1/inbox?${query}`, otherTenant ? { key: api.keys.globex } : {});
        expectAnswered(res, [200]);
        if (res.status === 200) {
          expect(Array.isArray(res.body.events)).toBe(true);
          // Every event here is acme's: globex sees none of them, even with acme's cursor.
          if (otherTenant) expect(res.body.events).toEqual([]);
        }
      }),
      settings,
    );
  });

  it('any API key and header values: never a 5xx, errors in the envelope', async () => {
    const headerText = fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map((s) => s.replace(/[\r\n\0]/g, ''));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(headerText, fc.constant(api.keys.acme), fc.constant(`${api.keys.acme}x`)),
        fc.option(fc.oneof(headerText, fc.constantFrom(...CONTENT_TYPES))),
        async (key, contentType) => {
          const headers: Record<string, string> = {};
          if (contentType !== null) headers['content-type'] = contentType;
          const res = await api.request('/v1/events', {
            method: 'POST',
            key,
            headers,
            body: JSON.stringify(eventBody()),
          });
          expectAnswered(res, [201]);
          if (res.status === 201) tally.created++;
        },
      ),
      settings,
    );
  });

  it('any bytes on a connection: every answer below 500 and in the envelope, and the server keeps serving', async () => {
    const port = Number(new URL(api.url).port);
    const ascii = (max: number) => fc.string({ unit: 'binary-ascii', maxLength: max });
    const method = fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE', 'PURGE', 'FOO', 'get', ''), ascii(10));
    const target = fc.oneof(
      fc.constantFrom(
        '/v1/events',
        '/v1/inbox?limit=5',
        `/v1/events/${crypto.randomUUID()}`,
        '*',
        'http://x/v1/health',
      ),
      ascii(40),
    );
    const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '');
    const header = fc.oneof(
      fc.tuple(ascii(20), ascii(40)),
      fc.tuple(fc.constant('Content-Length'), fc.oneof(fc.nat(300).map(String), ascii(5))),
      fc.tuple(fc.constant('Transfer-Encoding'), fc.constantFrom('chunked', 'gzip, chunked', 'x')),
      fc.tuple(fc.constant('Content-Type'), fc.constantFrom(...CONTENT_TYPES)),
      fc.constant(['X-API-Key', api.keys.acme] as [string, string]),
    );
    await fc.assert(
      fc.asyncProperty(
        method,
        target,
        version,
        fc.array(header, { maxLength: 6 }),
        fc.uint8Array({ maxLength: 200 }),
        async (m, t, v, headers, body) => {
          // Connection: close first, so the server ends each exchange once it has answered.
          const lines = [['Connection', 'close'], ...headers].map(([name, value]) => `${name}: ${value}\r\n`);
          const head = `${m} ${t} ${v}\r\n${lines.join('')}\r\n`;
          const raw = await exchange(port, Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]));
          for (const answer of raw.split(/(?=HTTP\/1\.[01] \d{3} )/).filter((part) => part.startsWith('HTTP/'))) {
            const status = Number(answer.slice(9, 12));
            tally.requests++;
            if (status >= 500) tally.serverErrors++;
            expect(status).toBeLessThan(500);
            if (status >= 400) {
              const json = answer.slice(answer.indexOf('\r\n\r\n') + 4);
              expect(json).toMatch(/^\{"error":\{"code":"[A-Z_]+","message":/);
            }
          }
        },
      ),
      settings,
    );
    expect((await api.request('/v1/health')).status).toBe(200);
  });

  it('two well-formed requests pipelined on a connection: both answered, unless the first closes it', async () => {
    const port = Number(new URL(api.url).port);
    const id = crypto.randomUUID();
    const target = fc.constantFrom(
      '/v1/events',
      '/v1/inbox?limit=5',
      `/v1/events/${id}`,
      `/v1/events/${id}/ack`,
      '/v1/health',
      '/v1/nothing',
    );
    const method = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PURGE', 'OPTIONS');
    const key = fc.constantFrom(api.keys.acme, 'tk_wrong', undefined);
    const body = fc.oneof(
      fc.constant(undefined),
      validBody.map((b) => Buffer.from(JSON.stringify(b))),
      hostileBytes,
    );
    const framing = fc.constantFrom('length', 'chunked');
    await fc.assert(
      fc.asyncProperty(
        method,
        target,
        key,
        fc.constantFrom(...CONTENT_TYPES),
        body,
        framing,
        async (m, t, k, type, b, frame) => {
          const headers = ['Host: x', ...(k ? [`X-API-Key: ${k}`] : []), ...(type ? [`Content-Type: ${type}`] : [])];
          let payload = Buffer.alloc(0);
          if (b !== undefined && frame === 'length') {
            headers.push(`Content-Length: ${b.length}`);
            payload = b;
          } else if (b !== undefined) {
            headers.push('Transfer-Encoding: chunked');
            const chunk = b.length > 0 ? `${b.length.toString(16)}\r\n` : '';
            payload = Buffer.concat([Buffer.from(chunk), b, Buffer.from(b.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n')]);
          }
          const first = Buffer.concat([Buffer.from(`${m} ${t} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`), payload]);
          const second = Buffer.from('GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
          // Complete requests, the last with Connection: close: the server ends the exchange itself.
          const raw = await exchange(port, Buffer.concat([first, second]), 10_000);
          const answers = raw.split(/(?=HTTP\/1\.1 \d{3} )/).filter((part) => part.startsWith('HTTP/1.1 '));
          const [answer, next] = answers;
          expect(answer).toBeDefined();
          const status = Number(answer?.slice(9, 12));
          tally.requests++;
          if (status >= 500) tally.serverErrors++;
          if (status === 201) tally.created++;
          expect(status).toBeLessThan(500);
          if (status >= 400) expect(answer?.slice(answer.indexOf('\r\n\r\n') + 4)).toMatch(/^\{"error":\{"code":/);
          if (/\r\nconnection: close\r\n/i.test(answer ?? '')) {
            expect(answers).toHaveLength(1);
          } else {
            expect(answers).toHaveLength(2);
            expect(next?.slice(9, 12)).toBe('200');
          }
        },
      ),
      settings,
    );
  });

  it('stored exactly as many events as were answered 201', async () => {
    expect((await countEvents()) - storedBefore).toBe(tally.created);
  });
});
