import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { CONTROL_TENANT, indexControlSk } from '../../../contract/control-record';
import { eventSortKey, epochSeconds, type StoredEvent } from '../../../contract/event';
import {
  INBOX_INDEX,
  INBOX_SOURCE_INDEX,
  INBOX_SOURCE_TYPE_INDEX,
  INBOX_TYPE_INDEX,
} from '../../../contract/table-schemas';
import { captureLogger, type CapturedLogger } from '../../../tooling/captured-logger';
import { pendingEvent, seedEvents } from '../../../tooling/event-seed';
import { startTestApi, type TestApi, type TestResponse } from '../../../tooling/test-api';

/*
 * The filtered inbox reads the sparse index of its filter (tenant + source, tenant + event type, or both),
 * which holds exactly the pending events asked for: every request reads at most 2 x limit items, whatever
 * the backlog and whether the filter matches. The access log's `inbox_items_read` is the engine's own
 * ScannedCount, summed over the request's queries.
 */

interface InboxEvent {
  event_id: string;
  created_at: string;
  source: string;
  event_type: string;
}

let api: TestApi;
let log: CapturedLogger;

beforeAll(async () => {
  log = captureLogger();
  api = await startTestApi({ logger: log.logger, env: { INDEX_REFRESH_SECONDS: '1' } });
});

afterAll(async () => {
  await api.close();
});

/** The access line of a response (written once the response has finished): the index read and the items read. */
async function accessLine(
  res: TestResponse,
): Promise<{ inbox_index?: string; inbox_items_read?: number; inbox_filter?: string }> {
  const id = res.headers.get('x-request-id');
  for (let attempt = 0; attempt < 100; attempt++) {
    const line = log.lines().find((l) => l.message === 'Request completed' && l.request_id === id);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no access line for request ${id}`);
}

interface Paged {
  events: InboxEvent[];
  requests: number;
  maxItemsRead: number;
  indexes: Set<string | undefined>;
}

async function pageThrough(query: string, limit: number, key?: string): Promise<Paged> {
  const result: Paged = { events: [], requests: 0, maxItemsRead: 0, indexes: new Set() };
  let cursor: string | undefined;
  do {
    const res = await api.request(
      `/v1/inbox?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      key ? { key } : {},
    );
    expect(res.status).toBe(200);
    const line = await accessLine(res);
    result.requests++;
    result.maxItemsRead = Math.max(result.maxItemsRead, line.inbox_items_read ?? Infinity);
    result.indexes.add(line.inbox_index);
    result.events.push(...(res.body.events as InboxEvent[]));
    cursor = res.body.pagination.next_cursor as string | undefined;
  } while (cursor);
  return result;
}

describe('a filtered inbox on a large backlog', () => {
  const start = new Date(Date.now() - 3_600_000);
  let rare: StoredEvent[];
  let live: StoredEvent[];

  beforeAll(async () => {
    // 4,000 pending events of acme from one busy source, 3 from a rare one, and a source whose first 300
    // events have expired (TTL has not removed them yet) before 5 live ones.
    const busy = Array.from({ length: 4000 }, (_, i) =>
      pendingEvent('acme', start, i, { source: 'busy', eventType: `type.${i % 4}` }),
    );
    rare = [1000, 2000, 3000].map((at) => pendingEvent('acme', start, at + 0.5, { source: 'rare', eventType: 'r' }));
    const expired = Array.from({ length: 300 }, (_, i) =>
      pendingEvent('acme', start, 5000 + i, { source: 'stale', eventType: 's', expiresAt: epochSeconds(start) }),
    );
    live = Array.from({ length: 5 }, (_, i) =>
      pendingEvent('acme', start, 6000 + i, { source: 'stale', eventType: 's' }),
    );
    await seedEvents(api.runtime.clients.doc, api.config.tables.events, [...busy, ...rare, ...expired, ...live]);
  }, 120_000);

  it('answers a filter that matches nothing with an empty page, no cursor, and nothing read', async () => {
    const res = await api.request('/v1/inbox?limit=10&source=no-such-source');
    expect(res.status).toBe(200);
    expect(res.body.events).toEqual([]);
    expect(res.body.pagination.next_cursor).toBeUndefined();
    expect(await accessLine(res)).toMatchObject({
      inbox_index: INBOX_SOURCE_INDEX,
      inbox_items_read: 0,
      inbox_filter: 'source',
    });
  });

  it.each([
    ['source=rare', INBOX_SOURCE_INDEX],
    ['event_type=r', INBOX_TYPE_INDEX],
    ['source=rare&event_type=r', INBOX_SOURCE_TYPE_INDEX],
  ])('finds the 3 events of %s among 4,000 in one request, reading only them', async (query, index) => {
    const paged = await pageThrough(`&${query}`, 10);
    expect(paged.events.map((e) => e.event_id)).toEqual(rare.map((e) => e.eventId));
    expect(paged.requests).toBe(1);
    expect(paged.indexes).toEqual(new Set([index]));
    expect(paged.maxItemsRead).toBe(3);
  });

  it('reads at most 2 x limit per request past expired events, and paging still reaches every live one', async () => {
    const limit = 10;
    const paged = await pageThrough('&source=stale', limit);
    expect(paged.events.map((e) => e.event_id)).toEqual(live.map((e) => e.eventId));
    expect(paged.maxItemsRead).toBeLessThanOrEqual(2 * limit);
    // 300 expired events at 20 a request: the cursor carries the client past them, 15 requests and more.
    expect(paged.requests).toBeGreaterThanOrEqual(300 / (2 * limit));
  });

  it('fills every page of a busy filter, reading exactly the page', async () => {
    const res = await api.request('/v1/inbox?limit=100&source=busy&event_type=type.1');
    expect(res.body.events).toHaveLength(100);
    expect(res.body.events.every((e: InboxEvent) => e.source === 'busy' && e.event_type === 'type.1')).toBe(true);
    expect(await accessLine(res)).toMatchObject({ inbox_items_read: 100, inbox_filter: 'source,event_type' });
  });
});

describe('a filtered inbox under generated events, acknowledgements and filters', () => {
  const SOURCES = ['a', 'b', 'c#', '"d"'];
  const TYPES = ['x', 'y.z', 'x'];
  let run = 0;

  it('returns exactly the tenant pending events that match, oldest first, reading at most 2 x limit per request', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            tenant: fc.constantFrom('acme', 'globex'),
            source: fc.constantFrom(...SOURCES),
            type: fc.constantFrom(...TYPES),
            ack: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.record({
          source: fc.option(fc.constantFrom(...SOURCES, 'none'), { nil: undefined }),
          type: fc.option(fc.constantFrom(...TYPES, 'none'), { nil: undefined }),
        }),
        fc.integer({ min: 1, max: 7 }),
        async (specs, filter, limit) => {
          // Each run has sources of its own, so runs do not see each other's events.
          const prefix = `run${run++}-`;
          const start = new Date(Date.now() - 60_000);
          const events = specs.map((spec, i) =>
            pendingEvent(spec.tenant, start, i, { source: prefix + spec.source, eventType: prefix + spec.type }),
          );
          await seedEvents(api.runtime.clients.doc, api.config.tables.events, events);
          const keyOf = (tenant: string): string => (tenant === 'acme' ? api.keys.acme : api.keys.globex);
          for (const [i, spec] of specs.entries()) {
            if (!spec.ack) continue;
            const res = await api.request(`/v1/events/${events[i].eventId}/ack`, {
              method: 'POST',
              key: keyOf(spec.tenant),
            });
            expect(res.status).toBe(200);
          }
          const query =
            (filter.source !== undefined ? `&source=${encodeURIComponent(prefix + filter.source)}` : '') +
            (filter.type !== undefined ? `&event_type=${encodeURIComponent(prefix + filter.type)}` : '');
          // Without a filter the page would hold other runs' events: the model covers filtered reads only.
          if (query === '') return;
          for (const tenant of ['acme', 'globex']) {
            const expected = events
              .filter((event, i) => event.tenantId === tenant && !specs[i].ack)
              .filter((event) => filter.source === undefined || event.source === prefix + filter.source)
              .filter((event) => filter.type === undefined || event.eventType === prefix + filter.type)
              .sort((l, r) => eventSortKey(l.createdAt, l.eventId).localeCompare(eventSortKey(r.createdAt, r.eventId)));
            const paged = await pageThrough(query, limit, keyOf(tenant));
            expect(paged.events.map((e) => e.event_id)).toEqual(expected.map((e) => e.eventId));
            expect(paged.maxItemsRead).toBeLessThanOrEqual(2 * limit);
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe('a filter whose index is not verified', () => {
  it('filters inbox-index instead, with the same answer, and uses the index again once it is verified', async () => {
    const start = new Date(Date.now() - 30_000);
    const events = Array.from({ length: 30 }, (_, i) =>
      pendingEvent('acme', start, i, { source: `fallback-${i % 3}`, eventType: 'f' }),
    );
    await seedEvents(api.runtime.clients.doc, api.config.tables.events, events);
    const expected = events.filter((e) => e.source === 'fallback-1').map((e) => e.eventId);
    const states = api.runtime.indexes;
    const control = { tenant_id: CONTROL_TENANT, sk: indexControlSk(INBOX_SOURCE_INDEX) };
    const { Item: record } = await api.runtime.clients.doc.send(
      new GetCommand({ TableName: api.config.tables.events, Key: control }),
    );
    await api.runtime.clients.doc.send(new DeleteCommand({ TableName: api.config.tables.events, Key: control }));
    states.invalidate();
    try {
      const unverified = await pageThrough('&source=fallback-1', 50);
      expect(unverified.events.map((e) => e.event_id)).toEqual(expected);
      expect(unverified.indexes).toEqual(new Set([INBOX_INDEX]));
    } finally {
      await api.runtime.clients.doc.send(new PutCommand({ TableName: api.config.tables.events, Item: record }));
      states.invalidate();
    }
    const verified = await pageThrough('&source=fallback-1', 50);
    expect(verified.events.map((e) => e.event_id)).toEqual(expected);
    expect(verified.indexes).toEqual(new Set([INBOX_SOURCE_INDEX]));
  });
});
