import type { Context } from 'aws-lambda';
import { createLambdaHandler } from '../src/lambda';
import { httpApiEvent } from '../../tooling/http-api-event';
import { startTestApi, type TestApi } from '../../tooling/test-api';

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'triggers-api',
  awsRequestId: 'test',
} as unknown as Context;

describe('Lambda handler (API Gateway HTTP API, payload v2)', () => {
  let api: TestApi;
  let handler: ReturnType<typeof createLambdaHandler>;

  beforeAll(async () => {
    api = await startTestApi();
    handler = createLambdaHandler({
      DYNAMODB_ENDPOINT: api.engine.endpoint,
      CURSOR_SECRET: 'test-cursor-secret-0123456789',
      LOG_LEVEL: 'silent',
    });
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates an event and reads it back through the same Koa app', async () => {
    const created = (await handler(
      httpApiEvent('POST', '/v1/events', {
        body: JSON.stringify({ source: 'lambda', event_type: 'test', payload: { big: 1 } }),
        headers: { 'content-type': 'application/json', 'x-api-key': api.keys.acme },
      }),
      context,
    )) as { statusCode: number; body: string; headers: Record<string, string> };
    expect(created.statusCode).toBe(201);
    const { event_id: eventId } = JSON.parse(created.body) as { event_id: string };
    expect(created.headers['x-request-id']).toEqual(expect.any(String));

    const got = (await handler(
      httpApiEvent('GET', `/v1/events/${eventId}`, { headers: { 'x-api-key': api.keys.acme } }),
      context,
    )) as { statusCode: number; body: string };
    expect(got.statusCode).toBe(200);
    expect(JSON.parse(got.body)).toMatchObject({ event_id: eventId, source: 'lambda', payload: { big: 1 } });
  });

  it('passes the query string to the inbox', async () => {
    const res = (await handler(
      httpApiEvent('GET', '/v1/inbox', { query: 'limit=1&source=lambda', headers: { 'x-api-key': api.keys.acme } }),
      context,
    )) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as { events: unknown[]; pagination: { limit: number } };
    expect(body.pagination.limit).toBe(1);
    expect(body.events).toHaveLength(1);
  });

  it('accepts cursors signed with the previous key after CURSOR_SECRET was rotated, until that key is retired', async () => {
    const oldKey = 'the-old-cursor-key-0123456789';
    const newKey = 'the-new-cursor-key-0123456789';
    const env = { DYNAMODB_ENDPOINT: api.engine.endpoint, LOG_LEVEL: 'silent' };
    const before = createLambdaHandler({ ...env, CURSOR_SECRET: oldKey });
    const rotated = createLambdaHandler({ ...env, CURSOR_SECRET: newKey, CURSOR_SECRET_PREVIOUS: oldKey });
    const retired = createLambdaHandler({ ...env, CURSOR_SECRET: newKey });
    const headers = { 'content-type': 'application/json', 'x-api-key': api.keys.acme };
    for (const n of [1, 2, 3]) {
      await before(
        httpApiEvent('POST', '/v1/events', {
          body: JSON.stringify({ source: 'rotation', event_type: 'test', payload: { n } }),
          headers,
        }),
        context,
      );
    }
    const page = async (handle: typeof handler, cursor?: string) => {
      const query = `limit=1&source=rotation${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = (await handle(httpApiEvent('GET', '/v1/inbox', { query, headers }), context)) as {
        statusCode: number;
        body: string;
      };
      const body = JSON.parse(res.body) as {
        events?: { payload: { n: number } }[];
        pagination?: { next_cursor?: string };
      };
      return { status: res.statusCode, ns: body.events?.map((e) => e.payload.n), cursor: body.pagination?.next_cursor };
    };

    const first = await page(before);
    const second = await page(rotated, first.cursor);
    const third = await page(retired, second.cursor);

    expect(first).toMatchObject({ status: 200, ns: [1] });
    expect(second).toMatchObject({ status: 200, ns: [2] });
    expect(third).toMatchObject({ status: 200, ns: [3] });
    await expect(page(retired, first.cursor)).resolves.toMatchObject({ status: 400 });
  });

  it('returns the error envelope for a request without a key', async () => {
    const res = (await handler(httpApiEvent('GET', '/v1/inbox'), context)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it("prints the invocation's metrics as Embedded Metric Format before returning", async () => {
    const inLambda = createLambdaHandler({
      AWS_LAMBDA_FUNCTION_NAME: 'triggers-api',
      DYNAMODB_ENDPOINT: api.engine.endpoint,
      CURSOR_SECRET: 'test-cursor-secret-0123456789',
      LOG_LEVEL: 'silent',
    });
    const printed: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const res = (await inLambda(
        httpApiEvent('GET', '/v1/inbox', { headers: { 'x-api-key': api.keys.acme } }),
        context,
      )) as { statusCode: number };
      expect(res.statusCode).toBe(200);
    } finally {
      spy.mockRestore();
    }
    const documents = printed.map((line) => JSON.parse(line) as Record<string, any>).filter((doc) => doc._aws);
    const latency = documents.find((doc) => doc.Endpoint === 'GET /v1/inbox' && doc.ApiLatency !== undefined);
    expect(latency?._aws.CloudWatchMetrics[0].Namespace).toBe('TriggersAPI/Production');
    expect(latency?._aws.CloudWatchMetrics[0].Dimensions).toContainEqual(['Endpoint']);
  });

  it('refuses METRICS_SINK=cloudwatch in Lambda, where flushing would hold every response', () => {
    expect(() =>
      createLambdaHandler({
        AWS_LAMBDA_FUNCTION_NAME: 'triggers-api',
        CURSOR_SECRET: 'test-cursor-secret-0123456789',
        METRICS_SINK: 'cloudwatch',
      }),
    ).toThrow('METRICS_SINK=cloudwatch is for long-running processes; use emf in Lambda');
  });

  it('refuses to start in Lambda without a shared cursor secret', () => {
    expect(() => createLambdaHandler({ AWS_LAMBDA_FUNCTION_NAME: 'triggers-api' })).toThrow(
      'CURSOR_SECRET_ARN (or CURSOR_SECRET) must be set in Lambda',
    );
  });
});
