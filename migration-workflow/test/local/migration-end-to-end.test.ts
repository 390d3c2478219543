import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parseEventSortKey } from '../../../contract/event';
import { createDynamoDbClients, type DynamoDbClients } from '../../../platform/dynamodb-client';
import { readIndexState } from '../../../api/src/store/index-control';
import { seedLegacyEvents } from '../../../api/src/store/legacy-seed';
import { EVENT_ID_INDEX } from '../../../contract/table-schemas';
import { startFaultProxy, type FaultProxy } from '../../../tooling/fault-proxy';
import { eventBody, startTestApi, type TestApi } from '../../../tooling/test-api';
import { synthesizedMigrationDefinition } from '../../infra/migration-definition';
import type { ProgressEvent } from '../../src/cli/migration-progress';
import { runMigrationLocally } from '../../src/local/run-migration-locally';

/**
 * The migration as an operator runs it: the synthesized state machine, executed locally by
 * aws-local-stepfunctions against the embedded engine, while the real API serves the same table.
 * Faults are injected by a proxy in front of the engine (the migration's client only), never by mocks.
 */

type Tenant = 'acme' | 'globex';
interface KnownEvent {
  tenant: Tenant;
  id: string;
}

interface Scenario {
  api: TestApi;
  db: DynamoDbClients;
  tableName: string;
  /** Every legacy event seeded. */
  seeded: { tenant: string; id: string }[];
  /** The legacy events of the tenants the test holds API keys for. */
  legacy: KnownEvent[];
  close(): Promise<void>;
}

/** Tenants without keys in these tests: more partitions, as a real table has, spread the scan segments. */
const OTHER_TENANTS = ['initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka'];

async function legacyScenario(count: number, tenants: string[] = ['acme', 'globex']): Promise<Scenario> {
  // A refresh of 1 s: the API notices the verified index soon after the run (tests also invalidate it).
  const api = await startTestApi({ legacy: true, env: { INDEX_REFRESH_SECONDS: '1' } });
  const db = createDynamoDbClients({ region: 'us-east-1', endpoint: api.engine.endpoint, requestTimeoutMs: 30_000 });
  const tableName = api.config.tables.events;
  const items = await seedLegacyEvents(db.doc, { tableName, count, tenants });
  const seeded = items.map((item) => ({ tenant: item.tenant_id, id: parseEventSortKey(item.sk)?.eventId ?? '' }));
  return {
    api,
    db,
    tableName,
    seeded,
    legacy: seeded.filter((event): event is KnownEvent => event.tenant === 'acme' || event.tenant === 'globex'),
    close: async () => {
      db.client.destroy();
      await api.close();
    },
  };
}

interface RunOutcome {
  result?: Record<string, unknown>;
  progress: ProgressEvent[];
}

async function migrate(scenario: Scenario, migrationDb: DynamoDbClients = scenario.db): Promise<RunOutcome> {
  const progress: ProgressEvent[] = [];
  const result = (await runMigrationLocally(
    { tableName: scenario.tableName, totalSegments: 4, maxWritesPerSecond: 100_000, maxPolls: 2000 },
    {
      client: migrationDb.client,
      doc: migrationDb.doc,
      definition: synthesizedMigrationDefinition(scenario.tableName),
      waitMs: 50,
      retryIntervalMs: 10,
      onProgress: (event) => progress.push(event),
    },
  ).catch(() => undefined)) as Record<string, unknown> | undefined;
  return { ...(result && { result }), progress };
}

function failureOf(outcome: RunOutcome): { error: string; cause: string } | undefined {
  const failed = outcome.progress.find((event) => event.kind === 'failed');
  return failed?.kind === 'failed' ? { error: failed.error, cause: failed.cause } : undefined;
}

function retriesOf(outcome: RunOutcome, state: string): number {
  return outcome.progress.filter((event) => event.kind === 'retry' && event.state === state).length;
}

async function indexStatus(db: DynamoDbClients, tableName: string): Promise<string | undefined> {
  const { Table } = await db.client.send(new DescribeTableCommand({ TableName: tableName }));
  return Table?.GlobalSecondaryIndexes?.find((index) => index.IndexName === EVENT_ID_INDEX)?.IndexStatus;
}

async function scanAll(db: DynamoDbClients, tableName: string, indexName?: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new ScanCommand({ TableName: tableName, IndexName: indexName, ExclusiveStartKey: startKey }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * The table as it matters to the API: every item by key, with the `event_id` a backfill may have
 * written left out (and checked to be exactly the id the sort key holds).
 */
async function contentsWithoutEventId(db: DynamoDbClients, tableName: string): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  for (const { event_id: eventId, ...item } of await scanAll(db, tableName)) {
    if (eventId !== undefined) expect(eventId).toBe(parseEventSortKey(String(item.sk))?.eventId);
    contents.set(`${String(item.tenant_id)}|${String(item.sk)}`, JSON.stringify(item, Object.keys(item).sort()));
  }
  return contents;
}

async function get(api: TestApi, event: KnownEvent): Promise<number> {
  const res = await api.request(`/v1/events/${event.id}`, { key: api.keys[event.tenant] });
  return res.status === 200 && res.body?.event_id === event.id ? 200 : res.status;
}

/** Looks every given event up through the API; resolves the lookups by method it took and any misses. */
async function lookUpThroughApi(
  api: TestApi,
  events: KnownEvent[],
): Promise<{ gsi: number; scan: number; misses: string[] }> {
  api.runtime.indexes.invalidate();
  const before = api.runtime.metrics.snapshot().lookups;
  const misses: string[] = [];
  for (let i = 0; i < events.length; i += 20) {
    await Promise.all(
      events.slice(i, i + 20).map(async (event) => {
        const status = await get(api, event);
        if (status !== 200) misses.push(`${event.tenant}/${event.id}: ${status}`);
      }),
    );
  }
  const after = api.runtime.metrics.snapshot().lookups;
  return { gsi: after.gsi - before.gsi, scan: after.scan - before.scan, misses };
}

/**
 * Writes and reads through the API until stopped, each worker at most 20 rounds a second: a new event,
 * a lookup of a legacy event and one of a new event.
 */
function startLiveTraffic(api: TestApi, legacy: KnownEvent[], workers = 2) {
  const created: KnownEvent[] = [];
  const failures: string[] = [];
  let running = true;
  let requests = 0;
  const worker = async (w: number) => {
    for (let i = 0; running; i++) {
      const tenant: Tenant = (w + i) % 2 === 0 ? 'acme' : 'globex';
      const posted = await api.request('/v1/events', {
        method: 'POST',
        key: api.keys[tenant],
        json: eventBody({ payload: { worker: w, sequence: i } }),
      });
      if (posted.status !== 201) failures.push(`POST: ${posted.status} ${posted.text}`);
      else created.push({ tenant, id: String(posted.body.event_id) });
      const old = legacy[(w * 7919 + i * 104_729) % legacy.length];
      const recent = created.slice(Math.floor(created.length / 2)).slice(0, 1);
      for (const event of [old, ...recent]) {
        const status = await get(api, event);
        if (status !== 200) failures.push(`GET ${event.tenant}/${event.id}: ${status}`);
      }
      requests += 3;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    async stop() {
      running = false;
      await done;
      return { created, failures, requests };
    },
  };
}

describe('the migration end to end, with the API serving the table', () => {
  describe('on 10,000 legacy events with live writes and reads during the run', () => {
    let scenario: Scenario;
    let outcome: RunOutcome;
    let traffic: Awaited<ReturnType<ReturnType<typeof startLiveTraffic>['stop']>>;

    beforeAll(async () => {
      scenario = await legacyScenario(10_000, ['acme', 'globex', ...OTHER_TENANTS]);
      const live = startLiveTraffic(scenario.api, scenario.legacy);
      outcome = await migrate(scenario);
      traffic = await live.stop();
    }, 240_000);
    afterAll(() => scenario.close());

    it('succeeds with a verified index and a report counting every event item', async () => {
      expect(failureOf(outcome)).toBeUndefined();
      // The counts cover the events older than the verification's settle time: the legacy ones and some new.
      const { belongingItems, indexedItems } = outcome.result as { belongingItems: number; indexedItems: number };
      expect(outcome.result).toMatchObject({ ok: true, missingDerived: 0, sampleFailures: [] });
      expect(indexedItems).toBe(belongingItems);
      expect(belongingItems).toBeGreaterThanOrEqual(10_000);
      expect(belongingItems).toBeLessThanOrEqual(10_000 + traffic.created.length);
      expect(await indexStatus(scenario.db, scenario.tableName)).toBe('ACTIVE');
      expect(await readIndexState(scenario.db.client, scenario.db.doc, scenario.tableName)).toBe('verified');
    });

    it('kept serving: every request during the run succeeded, and none reported an existing event missing', () => {
      expect(traffic.requests).toBeGreaterThan(30);
      expect(traffic.created.length).toBeGreaterThan(10);
      expect(traffic.failures).toEqual([]);
    });

    it('reported its progress: backfill counts, every segment, and the states it went through', () => {
      const updated = outcome.progress.reduce((sum, e) => sum + (e.kind === 'backfill-progress' ? e.updated : 0), 0);
      expect(updated).toBe(10_000);
      expect(outcome.progress.filter((e) => e.kind === 'segment-done')).toHaveLength(4);
      expect(outcome.progress).toContainEqual({ kind: 'state', name: 'Mark verified' });
    });

    it('leaves every event, legacy and new, findable through the index', async () => {
      const indexed = new Set(
        (await scanAll(scenario.db, scenario.tableName, EVENT_ID_INDEX)).map(
          (item) => `${String(item.tenant_id)}/${String(item.event_id)}`,
        ),
      );
      const expected = [...scenario.seeded, ...traffic.created].map((event) => `${event.tenant}/${event.id}`);
      expect(expected.filter((key) => !indexed.has(key))).toEqual([]);
      expect(indexed.size).toBe(expected.length);
    });

    it('switches the API to the index without a restart: lookups of legacy and new events say gsi', async () => {
      const sample = [...scenario.legacy.filter((_, i) => i % 50 === 0), ...traffic.created.slice(0, 100)];
      const lookups = await lookUpThroughApi(scenario.api, sample);
      expect(lookups).toEqual({ gsi: sample.length, scan: 0, misses: [] });
    });

    it('is a no-op when run again', async () => {
      const before = await contentsWithoutEventId(scenario.db, scenario.tableName);
      const again = await migrate(scenario);
      expect(again.result).toMatchObject({ control: { Item: { status: { S: 'verified' } } } });
      expect(again.progress).toContainEqual({ kind: 'state', name: 'Already verified' });
      expect(again.progress).not.toContainEqual({ kind: 'state', name: 'Create index' });
      expect(await contentsWithoutEventId(scenario.db, scenario.tableName)).toEqual(before);
    }, 60_000);
  });

  describe('when it fails, it rolls back: the index is gone, the table otherwise unchanged, the API serves every event through the scan', () => {
    let scenario: Scenario;
    let proxy: FaultProxy;
    let proxied: DynamoDbClients;

    beforeEach(async () => {
      scenario = await legacyScenario(300);
      proxy = await startFaultProxy(scenario.api.engine.endpoint);
      // One attempt per call: the state machine's own retries are what these tests are about.
      proxied = createDynamoDbClients({ region: 'us-east-1', endpoint: proxy.endpoint, maxAttempts: 1 });
    });
    afterEach(async () => {
      proxied.client.destroy();
      await proxy.close();
      await scenario.close();
    });

    async function expectRolledBack(before: Map<string, string>): Promise<void> {
      expect(await indexStatus(scenario.db, scenario.tableName)).toBeUndefined();
      expect(await readIndexState(scenario.db.client, scenario.db.doc, scenario.tableName)).toBe('absent');
      expect(await contentsWithoutEventId(scenario.db, scenario.tableName)).toEqual(before);
      const lookups = await lookUpThroughApi(scenario.api, scenario.legacy);
      expect(lookups).toEqual({ gsi: 0, scan: scenario.legacy.length, misses: [] });
    }

    it('verification finds a mismatch', async () => {
      // An event item whose sort key holds no event id cannot be backfilled: the index misses it.
      await scenario.db.doc.send(
        new PutCommand({
          TableName: scenario.tableName,
          Item: { tenant_id: 'acme', sk: 'EVENT#not-an-event-id', source: 'import', event_type: 'broken' },
        }),
      );
      const before = await contentsWithoutEventId(scenario.db, scenario.tableName);
      const outcome = await migrate(scenario);
      expect(failureOf(outcome)).toEqual({
        error: 'VerificationFailed',
        cause: expect.stringMatching(/"underivable":1/),
      });
      expect(outcome.progress).toContainEqual({ kind: 'state', name: 'Delete index' });
      await expectRolledBack(before);
    }, 60_000);

    it('a backfill segment keeps failing after its retries', async () => {
      const before = await contentsWithoutEventId(scenario.db, scenario.tableName);
      proxy.operations = ['UpdateItem'];
      proxy.mode = 'server-error';
      const outcome = await migrate(scenario, proxied);
      // The segment's child execution reported its backfill failed: a definite failure, rolled back.
      expect(failureOf(outcome)).toEqual({
        error: 'SegmentBackfillFailed',
        cause: expect.stringMatching(
          /^Segment \d of 4: InternalServerError: Backfill could not set event_id on .* InternalServerError/,
        ),
      });
      expect(retriesOf(outcome, 'Backfill segment')).toBeGreaterThanOrEqual(6);
      expect(outcome.progress).toContainEqual({ kind: 'state', name: 'Delete index' });
      await expectRolledBack(before);
    }, 120_000);

    it('the index creation is refused', async () => {
      const before = await contentsWithoutEventId(scenario.db, scenario.tableName);
      proxy.operations = ['UpdateTable'];
      proxy.mode = 'limit-exceeded';
      const outcome = await migrate(scenario, proxied);
      expect(failureOf(outcome)).toEqual({
        error: 'DynamoDb.LimitExceededException',
        cause: expect.stringMatching(/online index/),
      });
      expect(retriesOf(outcome, 'Create index')).toBe(6);
      // Nothing was created, so there is nothing to delete.
      expect(outcome.progress).not.toContainEqual({ kind: 'state', name: 'Delete index' });
      await expectRolledBack(before);
    }, 60_000);
  });
});
