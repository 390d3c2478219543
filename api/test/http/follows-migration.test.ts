import { DescribeTableCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { parseEventSortKey } from '../../../contract/event';
import { markIndexVerified } from '../../src/store/index-control';
import type { EventItem } from '../../src/store/event-item';
import { seedLegacyEvents } from '../../src/store/legacy-seed';
import { createEventIdIndexRequest } from '../../../contract/event-id-index-request';
import { EVENT_ID_INDEX } from '../../../contract/table-schemas';
import { captureLogger } from '../../../tooling/captured-logger';
import { eventBody, startTestApi, type TestApi } from '../../../tooling/test-api';

/** How the API's lookups go while `event-id-index` is added to a live table, as the migration does it. */
describe('the API during an event-id-index migration', () => {
  let api: TestApi;
  let legacy: EventItem[];
  const log = captureLogger();
  let requestNumber = 0;

  beforeAll(async () => {
    api = await startTestApi({ legacy: true, logger: log.logger, env: { INDEX_REFRESH_SECONDS: '1' } });
    legacy = await seedLegacyEvents(api.runtime.clients.doc, {
      tableName: api.config.tables.events,
      count: 40,
      tenants: ['acme'],
    });
  });
  afterAll(async () => {
    await api.close();
  });

  /** GETs an event and returns its status and how the lookup went. */
  async function lookup(eventId: string): Promise<{ status: number; method: unknown }> {
    const requestId = `follow-${++requestNumber}`;
    const res = await api.request(`/v1/events/${eventId}`, { headers: { 'x-request-id': requestId } });
    const access = log.lines().find((l) => l.request_id === requestId && l.message === 'Request completed');
    return { status: res.status, method: access?.lookup_method };
  }

  async function indexStatus(): Promise<string | undefined> {
    const { Table } = await api.runtime.clients.client.send(
      new DescribeTableCommand({ TableName: api.config.tables.events }),
    );
    return Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === EVENT_ID_INDEX)?.IndexStatus;
  }

  const legacyId = (i: number): string => parseEventSortKey(legacy[i]?.sk ?? '')?.eventId ?? '';

  it('finds every event, legacy or new, by scanning while the table has no index', async () => {
    const created = await api.request('/v1/events', { method: 'POST', json: eventBody() });
    expect(await lookup(created.body.event_id as string)).toEqual({ status: 200, method: 'scan' });
    expect(await lookup(legacyId(5))).toEqual({ status: 200, method: 'scan' });
  });

  it('reports no existing event missing while the index is created, backfilled and then verified, and uses the index without a restart', async () => {
    await api.runtime.clients.client.send(new UpdateTableCommand(createEventIdIndexRequest(api.config.tables.events)));
    // While the index is created, and once it is ACTIVE but legacy items are not yet in it.
    for (let i = 0; i < 50 && (await indexStatus()) !== 'ACTIVE'; i++) {
      expect((await lookup(legacyId(i % legacy.length))).status).toBe(200);
    }
    expect(await indexStatus()).toBe('ACTIVE');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await lookup(legacyId(7))).toEqual({ status: 200, method: 'scan' });

    // The backfill: legacy items get event_id from their sort key.
    for (const item of legacy) {
      await api.runtime.clients.doc.send(
        new UpdateCommand({
          TableName: api.config.tables.events,
          Key: { tenant_id: item.tenant_id, sk: item.sk },
          UpdateExpression: 'SET event_id = :id',
          ExpressionAttributeValues: { ':id': parseEventSortKey(item.sk)?.eventId },
        }),
      );
    }
    expect(await lookup(legacyId(9))).toEqual({ status: 200, method: 'gsi' });

    // Marked verified: a miss in the index is now trusted, without restarting the API.
    await markIndexVerified(api.runtime.clients.doc, api.config.tables.events, EVENT_ID_INDEX, 'test');
    let state = await api.runtime.indexes.current(EVENT_ID_INDEX);
    for (let i = 0; i < 30 && state !== 'verified'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await api.runtime.indexes.current(EVENT_ID_INDEX);
    }
    expect(state).toBe('verified');
    expect(await lookup(legacyId(11))).toEqual({ status: 200, method: 'gsi' });
    expect((await lookup('0b5e6f1c-4a1b-4c2d-9e3f-123456789abc')).status).toBe(404);
  }, 30_000);
});
