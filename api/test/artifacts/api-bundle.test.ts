/**
 * The API as it ships: the bundles `cdk synth` writes for the API handler and the control-record custom
 * resource, each loaded alone in a Lambda sandbox (no node_modules reachable) with the environment the
 * template gives it, invoked with API Gateway HTTP API v2 events and CloudFormation events against the
 * embedded engine holding the tables the template declares. Secrets Manager is a stand-in on loopback
 * (no local Secrets Manager exists), reached by the bundle's real SDK client.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mintApiKey } from '../../src/domain/mint-api-key';
import { httpApiEvent } from '../../../tooling/http-api-event';
import type { LambdaSandbox } from '../../../tooling/lambda-sandbox';
import { functionAt, tablesOf, type CfnValue } from '../../../tooling/cloud-assembly';
import { startLocalStage, type LocalStage } from '../../../tooling/local-stage';
import { DynamoDbApiKeyStore } from '../../src/store/dynamodb-api-key-store';
import { readIndexState } from '../../src/store/index-control';
import { legacyEventItem } from '../../src/store/legacy-seed';
import { emfViolations } from '../observability/metrics/emf-spec';
import { synthesizedApp } from '../../../tooling/synthesized-app';

const API_STACK = 'TriggersApi-Production';

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

/** Invokes the sandboxed handler and returns its API Gateway result, failing on a handler error. */
async function call(sandbox: LambdaSandbox, event: unknown): Promise<HttpResult & { json: any }> {
  const invocation = await sandbox.invoke(event);
  if (!invocation.ok) throw new Error(`the handler failed: ${invocation.error.name}: ${invocation.error.message}`);
  const result = invocation.result as HttpResult;
  const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
  return { ...result, json: text ? JSON.parse(text) : undefined };
}

function controlEvent(stage: LocalStage, requestType: 'Create' | 'Update' | 'Delete', tableName?: string) {
  const [logicalId, resource] = Object.entries(stage.templates[API_STACK]?.Resources ?? {}).find(
    ([, r]) => r.Type === 'Custom::EventIdIndexControl',
  ) ?? ['', undefined];
  if (!resource) throw new Error('the API stack has no Custom::EventIdIndexControl');
  const properties: Record<string, CfnValue> = { ...resource.Properties };
  // The provider framework's ARN: CloudFormation passes it, the handler does not read it.
  delete properties.ServiceToken;
  const resolved = stage.resolve(properties);
  const resourceProperties: Record<string, string> = {
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:framework',
    ...resolved,
  };
  if (tableName) resourceProperties.TableName = tableName;
  return {
    RequestType: requestType,
    ServiceToken: resourceProperties.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/response',
    StackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${API_STACK}/6b9c1e70-0000-4000-8000-000000000000`,
    RequestId: '3f5e2a1c-0000-4000-8000-000000000000',
    LogicalResourceId: logicalId,
    ResourceType: 'Custom::EventIdIndexControl',
    ResourceProperties: resourceProperties,
    ...(requestType === 'Create'
      ? {}
      : { PhysicalResourceId: `${resourceProperties.TableName}/event-id-index-control` }),
    ...(requestType === 'Update' ? { OldResourceProperties: resourceProperties } : {}),
  };
}

const emfDocuments = (lines: string[]) =>
  lines.map((line) => JSON.parse(line) as Record<string, any>).filter((doc) => doc._aws !== undefined);

describe('the API bundle, run as Lambda runs it', () => {
  let stage: LocalStage;
  let api: LambdaSandbox;
  let key: string;
  let eventsTable: string;
  let secretArn: string;

  beforeAll(async () => {
    stage = await startLocalStage(await synthesizedApp());
    eventsTable = stage.tableNames.EventsTableD24865E5 ?? '';
    const keysTable = stage.tableNames.ApiKeysTable9F4DC7E7 ?? '';
    secretArn = stage.secretArn('CursorSecretABAE1358');
    const control = await stage.start('OnEvent');
    const created = await control.invoke(controlEvent(stage, 'Create'));
    expect(created).toMatchObject({ ok: true, result: { Data: { Outcome: 'marked' } } });
    key = await mintApiKey(new DynamoDbApiKeyStore(stage.db.doc, keysTable), { tenantId: 'acme', name: 'bundle' });
    api = await stage.start('Handler');
  }, 180_000);

  afterAll(async () => {
    await stage?.close();
  });

  it('ships one self-contained file without the local-only code', () => {
    const fn = functionAt(stage.functions, 'Handler');
    const bundle = readFileSync(join(fn.assetDir, 'index.js'), 'utf8');

    expect(readdirSync(fn.assetDir)).toEqual(['index.js']);
    expect(fn.runtime).toBe('nodejs22.x');
    // The dashboard, the Prometheus sink, PutMetricData and the embedded engine belong to `npm start`.
    for (const localOnly of [
      'node_modules/prom-client/',
      'node_modules/uplot/',
      'node_modules/dynalite/',
      '@aws-sdk/client-cloudwatch',
      'dashboard-client.js',
    ]) {
      expect({ localOnly, found: bundle.includes(localOnly) }).toEqual({ localOnly, found: false });
    }
  });

  it('marked the new table verified through the custom resource, which is what the API reads', async () => {
    await expect(readIndexState(stage.db.client, stage.db.doc, eventsTable)).resolves.toBe('verified');
  });

  it('serves every endpoint from API Gateway HTTP API v2 events', async () => {
    const headers = { 'x-api-key': key, 'content-type': 'application/json' };
    const health = await call(api, httpApiEvent('GET', '/v1/health'));
    expect(health.statusCode).toBe(200);
    expect(health.json).toMatchObject({ status: 'healthy', version: '0.1.0' });

    const created = await call(
      api,
      httpApiEvent('POST', '/v1/events', {
        headers,
        // Written as text: the payload must round-trip byte for byte (1.10 stays 1.10).
        body: '{"source":"billing","event_type":"invoice.paid","payload":{"amount":4999,"n":1.10}}',
      }),
    );
    expect(created.statusCode).toBe(201);
    const eventId = created.json.event_id as string;
    expect(created.headers['x-request-id']).toEqual(expect.any(String));

    const second = await call(
      api,
      httpApiEvent('POST', '/v1/events', {
        headers,
        isBase64Encoded: true,
        body: Buffer.from(JSON.stringify({ source: 'crm', event_type: 'lead', payload: { id: 2 } })).toString('base64'),
      }),
    );
    expect(second.statusCode).toBe(201);

    const read = await call(api, httpApiEvent('GET', `/v1/events/${eventId}`, { headers }));
    expect(read.statusCode).toBe(200);
    expect(read.body).toContain('"payload":{"amount":4999,"n":1.10}');

    const page = await call(api, httpApiEvent('GET', '/v1/inbox', { headers, query: 'limit=1' }));
    expect(page.statusCode).toBe(200);
    expect(page.json.events.map((e: { event_id: string }) => e.event_id)).toEqual([eventId]);
    const cursor = page.json.pagination.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    const next = await call(
      api,
      httpApiEvent('GET', '/v1/inbox', { headers, query: `limit=1&cursor=${encodeURIComponent(cursor)}` }),
    );
    expect(next.statusCode).toBe(200);
    expect(next.json.events.map((e: { source: string }) => e.source)).toEqual(['crm']);

    const ack = await call(api, httpApiEvent('POST', `/v1/events/${eventId}/ack`, { headers }));
    expect(ack.statusCode).toBe(200);
    const ackAgain = await call(api, httpApiEvent('POST', `/v1/events/${eventId}/ack`, { headers }));
    expect(ackAgain.statusCode).toBe(409);
    const deleted = await call(api, httpApiEvent('DELETE', `/v1/events/${eventId}`, { headers }));
    expect(deleted.statusCode).toBe(200);
    const gone = await call(api, httpApiEvent('GET', `/v1/events/${eventId}`, { headers }));
    expect(gone.statusCode).toBe(404);
  });

  it.each([
    ['no API key', httpApiEvent('GET', '/v1/inbox'), 401, 'UNAUTHORIZED'],
    [
      'a malformed JSON body',
      httpApiEvent('POST', '/v1/events', { body: '{"source":', headers: { 'content-type': 'application/json' } }),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'a body that is not JSON',
      httpApiEvent('POST', '/v1/events', { body: 'a=b', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a body over the limit',
      httpApiEvent('POST', '/v1/events', {
        body: JSON.stringify({ source: 's', event_type: 't', payload: { x: 'y'.repeat(300_000) } }),
        headers: { 'content-type': 'application/json' },
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    ['an id that is not a UUID', httpApiEvent('GET', '/v1/events/not-a-uuid'), 400, 'VALIDATION_ERROR'],
    ['a forged cursor', httpApiEvent('GET', '/v1/inbox', { query: 'cursor=abc.def' }), 400, 'VALIDATION_ERROR'],
    ['an unknown route', httpApiEvent('GET', '/v2/nothing'), 404, 'NOT_FOUND'],
  ])('answers %s with the error envelope', async (_case, event, status, code) => {
    const withKey = status === 401 ? event : { ...event, headers: { ...event.headers, 'x-api-key': key } };

    const res = await call(api, withKey);

    expect(res.statusCode).toBe(status);
    expect(Object.keys(res.json.error).sort()).toEqual(['code', 'details', 'message', 'request_id']);
    expect(res.json.error).toMatchObject({
      code,
      message: expect.any(String),
      request_id: res.headers['x-request-id'],
    });
  });

  it('looks events up through the index on the freshly deployed table, never by a scan', async () => {
    const before = emfDocuments(api.stdout()).length;
    const miss = await call(
      api,
      httpApiEvent('GET', '/v1/events/0b5c7d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e', { headers: { 'x-api-key': key } }),
    );
    expect(miss.statusCode).toBe(404);

    const lookups = emfDocuments(api.stdout())
      .slice(before)
      .filter((doc) => doc.EventLookup !== undefined);
    expect(lookups.map((doc) => doc.Method)).toEqual(['gsi']);
  });

  it.each([
    ['without requestContext', { version: '2.0', rawPath: '/v1/health', headers: {} }, /requestContext/],
    [
      'with a base64 body that is not base64',
      {
        ...httpApiEvent('POST', '/v1/events', { headers: { 'content-type': 'application/json' } }),
        body: '%%%not base64%%%',
        isBase64Encoded: true,
      },
      /base64/,
    ],
    ['that is not an object', 'GET /v1/health', /not a JSON object/],
    [
      'of another payload format (REST API v1)',
      { httpMethod: 'GET', path: '/v1/health', requestContext: {} },
      /version/,
    ],
  ])('answers an event %s with 400 and the envelope, and keeps serving', async (_case, event, message) => {
    const res = await call(api, event);

    expect(res.statusCode).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'VALIDATION_ERROR', request_id: res.headers['x-request-id'] });
    expect(res.json.error.message).toMatch(message);
    expect(api.exit()).toBeUndefined();
    await expect(call(api, httpApiEvent('GET', '/v1/health'))).resolves.toMatchObject({ statusCode: 200 });
  });

  it('writes only JSON lines, and its metric documents are valid Embedded Metric Format', () => {
    const lines = api.stdout();
    const unparsable = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    const documents = emfDocuments(lines);

    expect(lines.length).toBeGreaterThan(20);
    expect(unparsable).toEqual([]);
    expect(api.stderr()).toBe('');
    expect(documents.length).toBeGreaterThan(0);
    expect(documents.flatMap((doc) => emfViolations(doc))).toEqual([]);
    expect(documents.map((doc) => doc._aws.CloudWatchMetrics[0].Namespace)).toContain('TriggersAPI/Production');
    expect(documents.some((doc) => doc.Endpoint === 'POST /v1/events' && doc.ApiLatency !== undefined)).toBe(true);
  });

  describe('when the cursor secret cannot be read', () => {
    let cold: LambdaSandbox;

    beforeAll(async () => {
      stage.secrets.deny(true);
      cold = await stage.start('Handler');
    }, 60_000);

    afterAll(() => stage.secrets.deny(false));

    it('answers inbox requests 503 with a clear log line, serves the rest, and recovers once it is readable', async () => {
      const headers = { 'x-api-key': key };
      const first = await call(cold, httpApiEvent('GET', '/v1/inbox', { headers }));

      expect(first.statusCode).toBe(503);
      expect(first.headers['retry-after']).toBe('2');
      expect(first.json.error).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringContaining('cursor secret'),
      });
      const logged = cold
        .stdout()
        .map((line) => JSON.parse(line) as { level: string; message: string; secret_id?: string })
        .filter((line) => line.message === 'The cursor secret could not be read from Secrets Manager');
      expect(logged.length).toBeGreaterThan(0);
      expect(logged[0]).toMatchObject({ level: 'ERROR', secret_id: secretArn });

      const post = await call(
        cold,
        httpApiEvent('POST', '/v1/events', {
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ source: 's', event_type: 't', payload: { a: 1 } }),
        }),
      );
      expect(post.statusCode).toBe(201);

      stage.secrets.deny(false);
      const recovered = await call(cold, httpApiEvent('GET', '/v1/inbox', { headers }));
      expect(recovered.statusCode).toBe(200);
      expect(cold.exit()).toBeUndefined();
      expect(cold.stdout().join('\n')).not.toContain(stage.secretValue('CursorSecretABAE1358'));
    });
  });

  describe('the control-record custom resource', () => {
    let control: LambdaSandbox;

    beforeAll(async () => {
      control = await stage.start('OnEvent');
    }, 60_000);

    it('leaves a table that already holds events unverified, for the migration', async () => {
      const legacyTable = `${eventsTable}-upgraded`;
      // The events table as the template declares it, under another name: an upgraded stage's table.
      const definition = tablesOf(stage.templates[API_STACK] ?? { Resources: {} }).EventsTableD24865E5;
      await stage.db.client.send(new CreateTableCommand({ ...definition, TableName: legacyTable }));
      await stage.db.doc.send(
        new PutCommand({ TableName: legacyTable, Item: legacyEventItem('acme', new Date(), 0, 86_400) }),
      );

      const created = await control.invoke(controlEvent(stage, 'Create', legacyTable));

      expect(created).toMatchObject({ ok: true, result: { Data: { Outcome: 'holds-events' } } });
      await expect(readIndexState(stage.db.client, stage.db.doc, legacyTable)).resolves.toBe('unverified');
      const logged = control.stdout().map((line) => JSON.parse(line) as { message: string; table?: string });
      expect(logged).toContainEqual(
        expect.objectContaining({ table: legacyTable, message: expect.stringContaining('run the migration') }),
      );
    });

    it('answers an update of a verified table and a delete without changing anything', async () => {
      const updated = await control.invoke(controlEvent(stage, 'Update'));
      const deleted = await control.invoke(controlEvent(stage, 'Delete'));

      expect(updated).toMatchObject({ ok: true, result: { Data: { Outcome: 'already-verified' } } });
      expect(deleted).toMatchObject({
        ok: true,
        result: { PhysicalResourceId: `${eventsTable}/event-id-index-control`, Data: { Outcome: 'none' } },
      });
      await expect(readIndexState(stage.db.client, stage.db.doc, eventsTable)).resolves.toBe('verified');
    });
  });
});
