import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parseEventSortKey } from '../../../contract/event';
import {
  INBOX_SOURCE_INDEX,
  INBOX_SOURCE_TYPE_INDEX,
  INBOX_TYPE_INDEX,
  type DerivedIndex,
} from '../../../contract/table-schemas';
import { createDynamoDbClients, type DynamoDbClients } from '../../../platform/dynamodb-client';
import { readIndexState } from '../../../api/src/store/index-control';
import { seedLegacyEvents } from '../../../api/src/store/legacy-seed';
import { captureLogger, type CapturedLogger } from '../../../tooling/captured-logger';
import { eventBody, startTestApi, type TestApi, type TestResponse } from '../../../tooling/test-api';
import { synthesizedMigrationDefinition } from '../../infra/migration-definition';
import { runMigrationLocally } from '../../src/local/run-migration-locally';

/*
 * The inbox filter indexes added to a legacy table by the synthesized state machine, run locally, while the
 * real API serves the table: clients post events, read their filtered inbox and acknowledge what they read.
 * Afterwards the API reads each filter through its index, and returns exactly the pending events that
 * match, legacy and new, in order, never an acknowledged one.
 */

type Tenant = 'acme' | 'globex';
const TENANTS: Tenant[] = ['acme', 'globex'];
/** Sources of the live events: two the legacy events also have, one of their own. */
const LIVE_SOURCES = ['legacy-source-0', 'legacy-source-1', 'live-source'];
const LIVE_TYPES = ['legacy.type.0', 'live.type'];
/** The indexes migrated, in turn, and the query each one serves. */
const MIGRATED: { indexName: string; query: (source: string, type: string) => string }[] = [
  { indexName: INBOX_SOURCE_INDEX, query: (source) => `source=${encodeURIComponent(source)}` },
  { indexName: INBOX_TYPE_INDEX, query: (_, type) => `event_type=${encodeURIComponent(type)}` },
  {
    indexName: INBOX_SOURCE_TYPE_INDEX,
    query: (source, type) => `source=${encodeURIComponent(source)}&event_type=${encodeURIComponent(type)}`,
  },
];

interface InboxEvent {
  event_id: string;
  source: string;
  event_type: string;
}

interface Traffic {
  created: { tenant: Tenant; id: string }[];
  acknowledged: Set<string>;
  inboxReads: number;
  failures: string[];
}

let api: TestApi;
let log: CapturedLogger;
let db: DynamoDbClients;
let tableName: string;
let legacyIds: Set<string>;
let reports: Record<string, unknown>[];
let traffic: Traffic;

/** The access line of a response: which index the inbox read. */
async function indexRead(res: TestResponse): Promise<string | undefined> {
  const id = res.headers.get('x-request-id');
  for (let attempt = 0; attempt < 100; attempt++) {
    const line = log.lines().find((l) => l.message === 'Request completed' && l.request_id === id);
    if (line) return line.inbox_index as string | undefined;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no access line for request ${id}`);
}

/**
 * One client per tenant, until stopped: post an event, read a page of the filtered inbox (which must hold
 * no event acknowledged before the read), acknowledge the first event it returned.
 */
function startLiveTraffic(): { stop(): Promise<Traffic> } {
  const traffic: Traffic = { created: [], acknowledged: new Set(), inboxReads: 0, failures: [] };
  let running = true;
  const client = async (tenant: Tenant, w: number) => {
    const key = api.keys[tenant];
    for (let i = 0; running; i++) {
      const source = LIVE_SOURCES[(i + w) % LIVE_SOURCES.length];
      const type = LIVE_TYPES[i % LIVE_TYPES.length];
      const posted = await api.request('/v1/events', {
        method: 'POST',
        key,
        json: eventBody({ source, event_type: type, payload: { tenant, sequence: i } }),
      });
      if (posted.status !== 201) traffic.failures.push(`POST: ${posted.status} ${posted.text}`);
      else traffic.created.push({ tenant, id: String(posted.body.event_id) });

      const query = MIGRATED[i % MIGRATED.length]?.query(source, type) ?? '';
      const acknowledgedBefore = new Set(traffic.acknowledged);
      const inbox = await api.request(`/v1/inbox?limit=10&${query}`, { key });
      traffic.inboxReads++;
      if (inbox.status !== 200) {
        traffic.failures.push(`GET inbox ${query}: ${inbox.status} ${inbox.text}`);
        continue;
      }
      const events = inbox.body.events as InboxEvent[];
      for (const event of events) {
        if (acknowledgedBefore.has(event.event_id))
          traffic.failures.push(`inbox ${query} lists acked ${event.event_id}`);
        if (event.source !== source && query.includes('source='))
          traffic.failures.push(`inbox ${query}: ${event.source}`);
      }
      // Every other round: acknowledge the oldest event the page returned.
      const oldest = events[0];
      if (i % 2 === 0 && oldest) {
        const ack = await api.request(`/v1/events/${oldest.event_id}/ack`, { method: 'POST', key });
        if (ack.status !== 200) traffic.failures.push(`ack ${oldest.event_id}: ${ack.status} ${ack.text}`);
        else traffic.acknowledged.add(oldest.event_id);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const done = Promise.all(TENANTS.map((tenant, w) => client(tenant, w)));
  return {
    async stop() {
      running = false;
      await done;
      return traffic;
    },
  };
}

/** Every event item of the table, read consistently. */
async function tableEvents(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items.filter((item) => String(item.sk).startsWith('EVENT#'));
}

/** Pages through a filtered inbox; resolves the event ids in order and the indexes the API read. */
async function readInbox(tenant: Tenant, query: string): Promise<{ ids: string[]; indexes: Set<string | undefined> }> {
  const ids: string[] = [];
  const indexes = new Set<string | undefined>();
  let cursor: string | undefined;
  do {
    const res = await api.request(
      `/v1/inbox?limit=25&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { key: api.keys[tenant] },
    );
    expect(res.status).toBe(200);
    indexes.add(await indexRead(res));
    ids.push(...(res.body.events as InboxEvent[]).map((event) => event.event_id));
    cursor = res.body.pagination.next_cursor as string | undefined;
  } while (cursor);
  return { ids, indexes };
}

beforeAll(async () => {
  log = captureLogger();
  // A refresh of 1 s: the API notices each verified index soon after its run.
  api = await startTestApi({ legacy: true, logger: log.logger, env: { INDEX_REFRESH_SECONDS: '1' } });
  db = createDynamoDbClients({ region: 'us-east-1', endpoint: api.engine.endpoint, requestTimeoutMs: 30_000 });
  tableName = api.config.tables.events;
  const seeded = await seedLegacyEvents(db.doc, {
    tableName,
    count: 400,
    tenants: ['acme', 'globex', 'initech', 'umbrella'],
  });
  legacyIds = new Set(seeded.map((item) => parseEventSortKey(item.sk)?.eventId ?? ''));

  const live = startLiveTraffic();
  reports = [];
  try {
    for (const { indexName } of MIGRATED) {
      reports.push(
        (await runMigrationLocally(
          { tableName, indexName, totalSegments: 4, maxWritesPerSecond: 100_000, maxPolls: 2000 },
          {
            client: db.client,
            doc: db.doc,
            definition: synthesizedMigrationDefinition(tableName),
            waitMs: 50,
            retryIntervalMs: 10,
          },
        )) as Record<string, unknown>,
      );
    }
  } finally {
    traffic = await live.stop();
  }
}, 50_000);

afterAll(async () => {
  db.client.destroy();
  await api.close();
});

describe('the inbox filter indexes migrated on a legacy table the API serves', () => {
  it('runs every migration to a verified index while clients post, read and acknowledge', async () => {
    expect(traffic.failures).toEqual([]);
    expect(traffic.created.length).toBeGreaterThan(10);
    expect(traffic.acknowledged.size).toBeGreaterThan(5);
    expect(reports.map((report) => report.indexName)).toEqual(MIGRATED.map((m) => m.indexName));
    for (const report of reports) {
      expect(report).toMatchObject({
        ok: true,
        membership: 'while-pending' satisfies DerivedIndex['membership'],
        countsMustAgree: false,
        missingDerived: 0,
        wrongDerived: 0,
        underivable: 0,
        strayDerived: 0,
        sampleFailureCount: 0,
      });
      expect(report.belongingItems).toBeGreaterThan(200);
    }
    for (const { indexName } of MIGRATED) {
      await expect(readIndexState(db.client, db.doc, tableName, indexName)).resolves.toBe('verified');
    }
  });

  it.each(MIGRATED)(
    'reads each filter through $indexName: exactly the pending events that match, legacy and new, oldest first',
    async ({ indexName, query }) => {
      api.runtime.indexes.invalidate();
      const items = await tableEvents();
      let legacySeen = 0;
      let liveSeen = 0;
      for (const tenant of TENANTS) {
        for (const source of LIVE_SOURCES) {
          for (const type of LIVE_TYPES) {
            const filter = query(source, type);
            const { ids, indexes } = await readInbox(tenant, filter);

            const matching = items
              .filter(
                (item) =>
                  item.tenant_id === tenant &&
                  item.status === 'pending' &&
                  (!filter.includes('source=') || item.source === source) &&
                  (!filter.includes('event_type=') || item.event_type === type),
              )
              .sort((a, b) => String(a.sk).localeCompare(String(b.sk)))
              .map((item) => parseEventSortKey(String(item.sk))?.eventId);
            expect({ filter, tenant, indexes: [...indexes] }).toEqual({ filter, tenant, indexes: [indexName] });
            expect({ filter, tenant, ids }).toEqual({ filter, tenant, ids: matching });
            expect(ids.filter((id) => traffic.acknowledged.has(id))).toEqual([]);
            legacySeen += ids.filter((id) => legacyIds.has(id)).length;
            liveSeen += ids.filter((id) => !legacyIds.has(id)).length;
          }
        }
      }
      expect(legacySeen).toBeGreaterThan(0);
      expect(liveSeen).toBeGreaterThan(0);
    },
  );
});
