import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_JSON_DEPTH } from '../../src/http/json';
import { toEventItem } from '../../src/store/event-item';
import { eventBody, startTestApi, type TestApi } from '../../../tooling/test-api';

/** `{"a":{"a":...1...}}` nested `depth` levels deep. */
function nested(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{"a":1' + '}'.repeat(depth);
}

/** A create-event body whose payload is the given JSON text. */
function bodyWithPayload(payloadText: string): string {
  return `{"source":"a","event_type":"b","payload":${payloadText}}`;
}

/**
 * Sends raw bytes on a fresh connection and resolves with everything the server wrote before closing it.
 * The client does not half-close: Node's server drops the answer of a request still being served when it does.
 */
function rawExchange(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(request);
  });
}

/** A request with any method: fetch refuses some (TRACE, CONNECT), Node's client sends them. */
function requestWithMethod(
  url: string,
  method: string,
  apiKey: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { 'x-api-key': apiKey } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: JSON.parse(Buffer.concat(chunks).toString()),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function envelopeOf(raw: string): { status: number; headers: string; body: any } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(body) };
}

describe('hostile input', () => {
  let api: TestApi;
  let port: number;
  beforeAll(async () => {
    // The server as shipped: new events are written together (WRITE_COALESCING=on).
    api = await startTestApi({ env: { WRITE_COALESCING: 'on' } });
    port = Number(new URL(api.url).port);
  });
  afterAll(async () => {
    await api.close();
  });

  async function expectRejected(
    send: () => Promise<{ status: number; body: any }>,
    status: number,
    code: string,
  ): Promise<{ body: any }> {
    const before = await api.scanEvents();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code, request_id: expect.any(String) });
    expect(await api.scanEvents()).toEqual(before);
    return res;
  }

  describe('nesting depth', () => {
    it.each([3000, MAX_JSON_DEPTH])(
      'answers 400 to a payload nested %i levels (the body one more) and stores nothing',
      async (depth) => {
        const res = await expectRejected(
          () => api.request('/v1/events', { method: 'POST', json: bodyWithPayload(nested(depth)) }),
          400,
          'VALIDATION_ERROR',
        );
        expect(res.body.error.details).toEqual({ reason: 'too_deep', max_depth: MAX_JSON_DEPTH });
      },
    );

    it('accepts a body exactly at the limit and reads it back byte for byte', async () => {
      const payload = nested(MAX_JSON_DEPTH - 1);
      const res = await api.request('/v1/events', { method: 'POST', json: bodyWithPayload(payload) });
      expect(res.status).toBe(201);
      const got = await api.request(`/v1/events/${res.body.event_id}`);
      expect(got.text).toContain(`"payload":${payload},`);
    });

    it('serves a deeply nested event already in the table without touching its payload', async () => {
      // An item written before the limit existed, or by another writer: reads of the tenant must not break.
      const eventId = randomUUID();
      const payloadJson = nested(20_000);
      const createdAt = new Date().toISOString();
      await api.runtime.clients.doc.send(
        new PutCommand({
          TableName: api.config.tables.events,
          Item: toEventItem({
            tenantId: 'acme',
            eventId,
            createdAt,
            source: 'legacy',
            eventType: 'deep',
            payloadJson,
            metadata: {},
            status: 'pending',
            expiresAt: Math.floor(Date.now() / 1000) + 3600,
          }),
        }),
      );
      const one = await api.request(`/v1/events/${eventId}`);
      expect(one.status).toBe(200);
      expect(one.text).toContain(`"payload":${payloadJson},`);
      const inbox = await api.request('/v1/inbox?limit=100&source=legacy');
      expect(inbox.status).toBe(200);
      expect(inbox.text).toContain(payloadJson);
    });

    it('serves an item whose payload is not JSON text as a string, without breaking the inbox page', async () => {
      const eventId = randomUUID();
      await api.runtime.clients.doc.send(
        new PutCommand({
          TableName: api.config.tables.events,
          Item: toEventItem({
            tenantId: 'acme',
            eventId,
            createdAt: new Date().toISOString(),
            source: 'other-writer',
            eventType: 'broken',
            payloadJson: '{"unterminated": ',
            metadata: {},
            status: 'pending',
            expiresAt: Math.floor(Date.now() / 1000) + 3600,
          }),
        }),
      );
      const one = await api.request(`/v1/events/${eventId}`);
      expect(one.status).toBe(200);
      expect(one.body.payload).toBe('{"unterminated": ');
      const inbox = await api.request('/v1/inbox?limit=100&source=other-writer');
      expect(inbox.status).toBe(200);
      expect(inbox.body.events.map((e: { event_id: string }) => e.event_id)).toEqual([eventId]);
    });
  });

  describe('strings', () => {
    it.each([
      ['a lone high surrogate in the payload', bodyWithPayload('{"s":"\\ud800"}')],
      ['a lone low surrogate in source', '{"source":"\\udc00","event_type":"b","payload":{"a":1}}'],
      ['a lone surrogate in a key', bodyWithPayload('{"\\ud83d":1}')],
      [
        'a lone surrogate in a metadata label',
        '{"source":"a","event_type":"b","payload":{"a":1},"metadata":{"team":"\\ud800x"}}',
      ],
    ])('answers 400 to %s and stores nothing', async (_case, json) => {
      const res = await expectRejected(
        () => api.request('/v1/events', { method: 'POST', json }),
        400,
        'VALIDATION_ERROR',
      );
      expect(res.body.error.details).toEqual({ reason: 'lone_surrogate' });
    });

    it('keeps a surrogate pair written as escapes', async () => {
      const res = await api.request('/v1/events', { method: 'POST', json: bodyWithPayload('{"s":"\\ud83d\\ude00"}') });
      expect(res.status).toBe(201);
      expect((await api.request(`/v1/events/${res.body.event_id}`)).body.payload.s).toBe('😀');
    });

    it('stores a metadata label named like an object internal (constructor) and reads it back', async () => {
      const metadata = { constructor: 'v', toString: 'w', hasOwnProperty: 'x', valueOf: 'y' };
      const res = await api.request('/v1/events', { method: 'POST', json: eventBody({ metadata }) });
      expect(res.status).toBe(201);
      const got = await api.request(`/v1/events/${res.body.event_id}`);
      expect(got.body.metadata).toEqual(metadata);
    });

    it('keeps a payload key named __proto__ as data', async () => {
      const payload = '{"__proto__":{"polluted":true},"x":1}';
      const res = await api.request('/v1/events', { method: 'POST', json: bodyWithPayload(payload) });
      expect(res.status).toBe(201);
      expect((await api.request(`/v1/events/${res.body.event_id}`)).text).toContain(`"payload":${payload}`);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('answers 400 to a duplicate key, which JSON leaves undefined', async () => {
      await expectRejected(
        () => api.request('/v1/events', { method: 'POST', json: bodyWithPayload('{"a":1,"a":2}') }),
        400,
        'VALIDATION_ERROR',
      );
    });
  });

  describe('bytes and media type', () => {
    const valid = Buffer.from(JSON.stringify(eventBody()));
    const post = (body: Buffer | string, headers: Record<string, string>) =>
      api.request('/v1/events', { method: 'POST', body, headers });

    it('answers 400 to a body starting with a UTF-8 byte order mark', async () => {
      const res = await expectRejected(
        () => post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), valid]), { 'content-type': 'application/json' }),
        400,
        'VALIDATION_ERROR',
      );
      expect(res.body.error.message).toContain('byte order mark');
    });

    it.each([
      ['a lone continuation byte', Buffer.from([0x80])],
      ['a truncated sequence', Buffer.from([0xe2, 0x82])],
      ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
      ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ])('answers 400 to %s inside a string, instead of replacing it', async (_case, bad) => {
      const body = Buffer.concat([
        Buffer.from('{"source":"a'),
        bad,
        Buffer.from('","event_type":"b","payload":{"a":1}}'),
      ]);
      const res = await expectRejected(
        () => post(body, { 'content-type': 'application/json' }),
        400,
        'VALIDATION_ERROR',
      );
      expect(res.body.error.message).toBe('Request body is not valid UTF-8');
    });

    it.each([
      'application/json;;charset=ebcdic',
      'application/json; charset=ebcdic',
      'application/json; charset=iso-8859-1',
      'application/json; version=2',
      'application/json; charset',
      'application/jsonx',
      'json',
      'application/json, text/plain',
    ])('answers 415 to Content-Type %j', async (type) => {
      await expectRejected(() => post(valid, { 'content-type': type }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it.each(['application/json', 'Application/JSON; charset=UTF-8', 'application/json;charset="utf-8"'])(
      'accepts Content-Type %j',
      async (type) => {
        expect((await post(valid, { 'content-type': type })).status).toBe(201);
      },
    );

    it.each(['gzip', 'deflate', 'br', 'identity, gzip'])('answers 415 to Content-Encoding %j', async (encoding) => {
      const res = await expectRejected(
        () => post(valid, { 'content-type': 'application/json', 'content-encoding': encoding }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expect(res.body.error.message).toContain('Content-Encoding');
    });

    it('accepts Content-Encoding identity', async () => {
      const res = await post(valid, { 'content-type': 'application/json', 'content-encoding': 'identity' });
      expect(res.status).toBe(201);
    });
  });

  describe('query strings', () => {
    it.each(['Infinity', '-Infinity', '1e309', '1e2', '0x10', '+5', '-1', ' 7', '7.0', '', '10abc'])(
      'answers 400 to limit=%j',
      async (limit) => {
        const res = await api.request(`/v1/inbox?limit=${encodeURIComponent(limit)}`);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({
          code: 'VALIDATION_ERROR',
          message: 'Invalid query: limit must be integer',
        });
      },
    );

    it.each(['1', '010', '100'])('accepts limit=%s', async (limit) => {
      const res = await api.request(`/v1/inbox?limit=${limit}`);
      expect(res.status).toBe(200);
      expect(res.body.pagination.limit).toBe(Number(limit));
    });
  });

  describe('methods', () => {
    it.each(['PURGE', 'TRACE', 'PROPFIND', 'LOCK', 'COPY', 'MOVE', 'SEARCH', 'PATCH', 'PUT'])(
      'answers %s on an existing path with 405 in the envelope, listing the allowed methods',
      async (method) => {
        const res = await expectRejected(
          () => requestWithMethod(`${api.url}/v1/events`, method, api.keys.acme),
          405,
          'METHOD_NOT_ALLOWED',
        );
        expect(res.body.error.message).toContain('allowed: POST');
      },
    );

    it.each(['PURGE', 'TRACE', 'GET'])('answers %s on an unknown path with 404 in the envelope', async (method) => {
      const res = await requestWithMethod(`${api.url}/v1/nothing-here`, method, api.keys.acme);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
      expect(res.headers.allow).toBeUndefined();
    });
  });

  describe('requests Node would answer itself, before the app', () => {
    it.each([
      ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400, 'BAD_REQUEST'],
      ['a method the parser does not know', 'FOO /v1/events HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
      ['a header without a colon', 'GET /v1/health HTTP/1.1\r\nHost: x\r\nbroken\r\n\r\n', 400, 'BAD_REQUEST'],
      [
        'both Content-Length and chunked framing',
        'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
        'BAD_REQUEST',
      ],
      [
        'headers over 16 KiB',
        `GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'HEADERS_TOO_LARGE',
      ],
      ['an HTTP/1.1 request without Host', 'GET /v1/health HTTP/1.1\r\n\r\n', 400, 'BAD_REQUEST'],
      [
        'an Expect the server cannot meet',
        'POST /v1/events HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}',
        417,
        'EXPECTATION_FAILED',
      ],
    ])('answers %s in the error envelope and closes', async (_case, request, status, code) => {
      const { status: got, headers, body } = envelopeOf(await rawExchange(port, request));
      expect(got).toBe(status);
      expect(headers).toContain('content-type: application/json');
      expect(headers).toContain('connection: close');
      expect(body.error).toMatchObject({ code, request_id: expect.any(String), details: null });
      expect(headers).toContain(`x-request-id: ${body.error.request_id}`);
    });
  });

  it('serves an HTTP/1.0 request without Host', async () => {
    const raw = await rawExchange(port, 'GET /v1/health HTTP/1.0\r\n\r\n');
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  describe('an answer given before the body was read, on a kept-alive connection', () => {
    /** Streams a chunked body that never ends until the server closes the connection; resolves with its answer. */
    function endlessUpload(headers: string): Promise<string> {
      const chunk = 'x'.repeat(64 * 1024);
      const head = `POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n${headers}Transfer-Encoding: chunked\r\n\r\n`;
      return new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (data: Buffer) => chunks.push(data));
        socket.on('error', (error: NodeJS.ErrnoException) =>
          error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
        );
        // The server ends the connection itself; the client never stops sending until it does.
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
        socket.write(head);
        const pump = (): void => {
          if (socket.destroyed || socket.writableEnded) return;
          while (socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) {
            if (socket.destroyed) return;
          }
          socket.once('drain', pump);
        };
        pump();
      });
    }

    it.each([
      ['413 for a chunked body over the limit', 'content-type: application/json\r\n', 413, 'PAYLOAD_TOO_LARGE'],
      ['401 for a bad key', 'x-api-key: tk_wrong\r\ncontent-type: application/json\r\n', 401, 'UNAUTHORIZED'],
      ['415 for a wrong media type', 'content-type: text/plain\r\n', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ])(
      'closes the connection after a %s, so the rest of the upload cannot stall it',
      async (_case, headers, status, code) => {
        const before = await api.scanEvents();
        const keyHeader = headers.includes('x-api-key') ? '' : `X-API-Key: ${api.keys.acme}\r\n`;
        const answer = envelopeOf(await endlessUpload(keyHeader + headers));
        expect(answer.status).toBe(status);
        expect(answer.headers).toContain('connection: close');
        expect(answer.body.error.code).toBe(code);
        expect(await api.scanEvents()).toEqual(before);
        // The server is free for the next client.
        expect((await api.request('/v1/health')).status).toBe(200);
      },
    );

    it('keeps the connection open after an error to a request whose body was all there', async () => {
      const raw = await rawExchange(
        port,
        'GET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      const answers = raw.split(/(?=HTTP\/1\.1 \d{3} )/);
      expect(answers.map((answer) => answer.slice(9, 12))).toEqual(['404', '200']);
      expect(answers[0]?.toLowerCase()).not.toContain('connection: close');
    });
  });
});
