import { eventBody, startTestApi, type TestApi } from '../../../tooling/test-api';

describe('request validation', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const long = 'x'.repeat(101);
  const badBodies: [string, unknown, string][] = [
    ['source is missing', { event_type: 't', payload: { a: 1 } }, "must have required property 'source'"],
    ['event_type is missing', { source: 's', payload: { a: 1 } }, "must have required property 'event_type'"],
    ['payload is missing', { source: 's', event_type: 't' }, "must have required property 'payload'"],
    ['source is empty', eventBody({ source: '' }), 'source must NOT have fewer than 1 characters'],
    ['source is over 100 characters', eventBody({ source: long }), 'source must NOT have more than 100 characters'],
    [
      'event_type is over 100 characters',
      eventBody({ event_type: long }),
      'event_type must NOT have more than 100 characters',
    ],
    ['source is a number', eventBody({ source: 7 }), 'source must be string'],
    ['payload is an empty object', eventBody({ payload: {} }), 'payload must NOT have fewer than 1 properties'],
    ['payload is an array', eventBody({ payload: [1, 2] }), 'payload must be object'],
    ['payload is a string', eventBody({ payload: 'hello' }), 'payload must be object'],
    ['payload is null', eventBody({ payload: null }), 'payload must be object'],
    ['an unknown field is present', eventBody({ extra: true }), "must NOT have additional properties: 'extra'"],
    [
      'priority is not an allowed value',
      eventBody({ metadata: { priority: 'urgent' } }),
      'metadata.priority must be equal to one of the allowed values',
    ],
    [
      'the idempotency key has unsafe characters',
      eventBody({ metadata: { idempotency_key: 'a b' } }),
      'metadata.idempotency_key must match pattern',
    ],
    ['a metadata label is not a string', eventBody({ metadata: { team: 5 } }), 'metadata.team must be string'],
    ['the body is an array', [eventBody()], 'must be object'],
    [
      'a metadata label is named __proto__',
      JSON.parse('{"source":"s","event_type":"t","payload":{"a":1},"metadata":{"__proto__":"x"}}'),
      'must match pattern',
    ],
    ['a metadata label name is empty', eventBody({ metadata: { '': 'x' } }), 'must match pattern'],
  ];

  it.each(badBodies)('returns 400 and writes nothing when %s', async (_case, body, message) => {
    const before = await api.scanEvents();
    const res = await api.request('/v1/events', { method: 'POST', json: body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.message).toContain(message);
    expect(Array.isArray(res.body.error.details)).toBe(true);
    expect(await api.scanEvents()).toEqual(before);
  });

  it('returns 400 for malformed JSON and writes nothing', async () => {
    const before = await api.scanEvents();
    const res = await api.request('/v1/events', { method: 'POST', json: '{"source": "a",' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Malformed JSON in request body' });
    expect(await api.scanEvents()).toEqual(before);
  });

  it('returns 400 for an empty body', async () => {
    const res = await api.request('/v1/events', {
      method: 'POST',
      json: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
  ])('returns 415 for %s and writes nothing', async (_case, contentType) => {
    const before = await api.scanEvents();
    const res = await api.request('/v1/events', {
      method: 'POST',
      body: JSON.stringify(eventBody()),
      headers: { 'content-type': contentType },
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await api.scanEvents()).toEqual(before);
  });

  it('returns 413 for a body over 256 KiB and writes nothing', async () => {
    const before = await api.scanEvents();
    const res = await api.request('/v1/events', {
      method: 'POST',
      json: eventBody({ payload: { blob: 'x'.repeat(300 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limit_bytes: 262144 } });
    expect(await api.scanEvents()).toEqual(before);
  });

  it('accepts a body just under the limit and returns it intact', async () => {
    const blob = 'y'.repeat(250 * 1024);
    const res = await api.request('/v1/events', { method: 'POST', json: eventBody({ payload: { blob } }) });
    expect(res.status).toBe(201);
    const got = await api.request(`/v1/events/${res.body.event_id}`);
    expect(got.body.payload.blob).toBe(blob);
  });

  it.each([
    ['limit=0', 'limit must be >= 1'],
    ['limit=101', 'limit must be <= 100'],
    ['limit=abc', 'limit must be integer'],
    ['limit=2.5', 'limit must be integer'],
    ['limit=1&limit=2', 'limit is given more than once'],
    ['colour=red', "must NOT have additional properties: 'colour'"],
    ['source=', 'source must NOT have fewer than 1 characters'],
    ['cursor=garbage', 'Invalid cursor'],
  ])('GET /v1/inbox?%s returns 400', async (query, message) => {
    const res = await api.request(`/v1/inbox?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.message).toContain(message);
  });
});

describe('payload round trip', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('returns the payload exactly as sent: big integers, floats, nesting and unicode', async () => {
    const payloadText =
      '{"int":42,"negative":-17,"big":12345678901234567890123,"float":0.1,"precise":3.141592653589793238462643,' +
      '"exp":6.02e23,"tiny":1e-320,"bool":true,"nothing":null,"nested":{"list":[1,[2,[3,{"deep":"yes"}]]],"empty":[],"obj":{}},' +
      '"unicode":"héllo wörld ✓ 😀 \\u0000 \\"quoted\\" \\n","emptyString":""}';
    const res = await api.request('/v1/events', {
      method: 'POST',
      json: `{"source":"s","event_type":"t","payload":${payloadText}}`,
    });
    expect(res.status).toBe(201);
    const got = await api.request(`/v1/events/${res.body.event_id}`);
    expect(got.status).toBe(200);
    const start = got.text.indexOf('"payload":') + '"payload":'.length;
    expect(got.text.slice(start, start + payloadText.length)).toBe(payloadText);
    expect(got.body.payload.nested.list).toEqual([1, [2, [3, { deep: 'yes' }]]]);
    expect(got.body.payload.unicode).toBe('héllo wörld ✓ 😀 \u0000 "quoted" \n');
  });

  it('keeps numbers as numbers, not strings', async () => {
    const res = await api.request('/v1/events', {
      method: 'POST',
      json: '{"source":"s","event_type":"t","payload":{"n":1.5,"big":9007199254740993}}',
    });
    const got = await api.request(`/v1/events/${res.body.event_id}`);
    expect(got.text).toContain('"payload":{"n":1.5,"big":9007199254740993}');
  });
});
