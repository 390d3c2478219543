import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { parseEventSortKey } from '../../../contract/event';
import {
  INBOX_SOURCE_INDEX,
  INBOX_SOURCE_TYPE_INDEX,
  INBOX_TYPE_INDEX,
  inboxFilterKey,
  PENDING_ONLY_ATTRIBUTES,
} from '../../../contract/table-schemas';
import { InvalidMigrationInputError, TableNotFoundError } from '../../src/errors';
import { backfillSegment } from '../../src/handlers/backfill-segment';
import { fakeTime } from './support/fake-time';
import { addEventIdIndex, addIndex, createLegacyTable, startTestEngine, type TestEngine } from './support/legacy-table';
import { runBackfill } from './support/run-backfill';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine();
});

afterAll(async () => {
  await engine.stop();
});

async function allItems(tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await engine.doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

describe('backfillSegment', () => {
  it('sets event_id from sk on every legacy event, resuming segments from their continuation keys', async () => {
    const { tableName, events, idempotencyKeys } = await createLegacyTable(engine.client, engine.doc, 300);
    await addEventIdIndex(engine.client, tableName);

    const run = await runBackfill(engine.doc, tableName, {
      totalSegments: 4,
      timeBudgetMs: 200,
      maxWritesPerSecond: 100,
    });

    expect(run.updated).toBe(events.length);
    expect(run.skipped).toBe(0);
    const resumed = run.invocations.filter((result) => !result.done);
    expect(resumed.length).toBeGreaterThan(0);
    for (const result of resumed)
      expect(result.lastEvaluatedKey).toEqual(expect.objectContaining({ sk: expect.any(String) }));
    const items = await allItems(tableName);
    for (const item of items.filter((i) => String(i.sk).startsWith('EVENT#'))) {
      expect(item.event_id).toBe(parseEventSortKey(String(item.sk))?.eventId);
    }
    const idempotencyItems = items.filter((i) => String(i.sk).startsWith('IDEMPOTENCY#'));
    expect(idempotencyItems).toHaveLength(idempotencyKeys.length);
    for (const item of idempotencyItems) expect(item).not.toHaveProperty('event_id');
  });

  it('updates nothing when run again on a backfilled table', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 120);
    await addEventIdIndex(engine.client, tableName);
    await runBackfill(engine.doc, tableName, { totalSegments: 4, timeBudgetMs: 60_000, maxWritesPerSecond: 1000 });

    const second = await runBackfill(engine.doc, tableName, {
      totalSegments: 4,
      timeBudgetMs: 60_000,
      maxWritesPerSecond: 1000,
    });

    expect(second.updated).toBe(0);
    expect(second.skipped).toBe(0);
    expect(second.invocations.reduce((sum, result) => sum + result.scanned, 0)).toBe(120);
  });

  it('skips an item deleted between the scan and its write instead of recreating it', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 20);
    let deletedKey: Record<string, unknown> | undefined;
    const racingDoc = {
      send: async (command: unknown) => {
        if (command instanceof UpdateCommand && deletedKey === undefined) {
          deletedKey = command.input.Key;
          await engine.doc.send(new DeleteCommand({ TableName: tableName, Key: deletedKey }));
        }
        return engine.doc.send(command as UpdateCommand);
      },
    } as unknown as DynamoDBDocumentClient;

    const result = await backfillSegment({
      doc: racingDoc,
      tableName,
      segment: 0,
      totalSegments: 1,
      timeBudgetMs: 60_000,
      maxWritesPerSecond: 1000,
      ...fakeTime(),
    });

    expect(result).toMatchObject({ scanned: events.length, updated: events.length - 1, skipped: 1, done: true });
    const { Item } = await engine.doc.send(new GetCommand({ TableName: tableName, Key: deletedKey }));
    expect(Item).toBeUndefined();
  });

  it('requests a pause between writes so they stay within maxWritesPerSecond', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 30);
    const time = fakeTime();

    const result = await backfillSegment({
      doc: engine.doc,
      tableName,
      segment: 0,
      totalSegments: 1,
      timeBudgetMs: 60_000,
      maxWritesPerSecond: 10,
      now: time.now,
      sleep: time.sleep,
    });

    expect(result.updated).toBe(30);
    expect(time.pauses).toEqual(Array.from({ length: 29 }, () => 100));
  });

  it('takes its share of the write-rate limit: the segments of a migration run side by side', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 30);
    const time = fakeTime();

    let written = 0;
    for (const segment of [0, 1]) {
      const result = await backfillSegment({
        doc: engine.doc,
        tableName,
        segment,
        totalSegments: 2,
        timeBudgetMs: 60_000,
        maxWritesPerSecond: 10,
        now: time.now,
        sleep: time.sleep,
      });
      written += result.updated;
    }

    expect(written).toBe(30);
    // 10 writes/s over 2 segments: 5 each, one write every 200 ms within a segment.
    expect(time.pauses.length).toBeGreaterThanOrEqual(28);
    expect(new Set(time.pauses)).toEqual(new Set([200]));
  });

  it('writes several items at a time when asked, and resumes after the last whole batch', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 120);
    const options = { doc: engine.doc, tableName, segment: 0, totalSegments: 1, maxWritesPerSecond: 100_000 };

    // A 1 ms budget: the first batch always goes through, then the invocation stops.
    const first = await backfillSegment({ ...options, timeBudgetMs: 1, writeConcurrency: 4 });
    expect(first).toMatchObject({ scanned: 4, updated: 4, done: false });
    const rest = await backfillSegment({
      ...options,
      timeBudgetMs: 60_000,
      writeConcurrency: 4,
      exclusiveStartKey: first.lastEvaluatedKey,
    });

    expect(rest).toMatchObject({ updated: events.length - 4, skipped: 0, done: true });
    const again = await backfillSegment({ ...options, timeBudgetMs: 60_000, writeConcurrency: 4 });
    expect(again).toMatchObject({ scanned: events.length, updated: 0, done: true });
  });

  it('stops when the time budget is spent and returns where to resume', async () => {
    const { tableName } = await createLegacyTable(engine.client, engine.doc, 30);
    const time = fakeTime();

    const result = await backfillSegment({
      doc: engine.doc,
      tableName,
      segment: 0,
      totalSegments: 1,
      timeBudgetMs: 1000,
      maxWritesPerSecond: 10,
      now: time.now,
      sleep: time.sleep,
    });

    expect(result).toMatchObject({ updated: 10, done: false });
    expect(result.lastEvaluatedKey).toBeDefined();
  });

  it.each([
    { field: 'segment', input: { segment: 4, totalSegments: 4 } },
    { field: 'totalSegments', input: { segment: 0, totalSegments: 0 } },
    { field: 'maxWritesPerSecond', input: { segment: 0, totalSegments: 1, maxWritesPerSecond: 0 } },
  ])('rejects an out-of-range $field, naming the value received', async ({ field, input }) => {
    const call = backfillSegment({
      doc: engine.doc,
      tableName: 'any',
      timeBudgetMs: 1000,
      maxWritesPerSecond: 10,
      ...input,
    });

    await expect(call).rejects.toThrow(InvalidMigrationInputError);
    await expect(call).rejects.toThrow(new RegExp(`^${field} must be`));
  });

  it('fails with TableNotFoundError when the table does not exist', async () => {
    const call = backfillSegment({
      doc: engine.doc,
      tableName: 'no-such-table',
      segment: 0,
      totalSegments: 1,
      timeBudgetMs: 1000,
      maxWritesPerSecond: 10,
    });

    await expect(call).rejects.toThrow(TableNotFoundError);
  });
});

describe('backfillSegment for an inbox filter index', () => {
  /** The filter values each index's key holds, in order. */
  const FILTERS: Record<string, { attribute: string; values: (item: Record<string, unknown>) => string[] }> = {
    [INBOX_SOURCE_INDEX]: { attribute: 'inbox_source_pk', values: (item) => [String(item.source)] },
    [INBOX_TYPE_INDEX]: { attribute: 'inbox_type_pk', values: (item) => [String(item.event_type)] },
    [INBOX_SOURCE_TYPE_INDEX]: {
      attribute: 'inbox_source_type_pk',
      values: (item) => [String(item.source), String(item.event_type)],
    },
  };

  it.each(Object.keys(FILTERS))(
    'writes the %s key on pending events only, and the index then returns them by tenant and filter',
    async (indexName) => {
      const filter = FILTERS[indexName];
      const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 120);
      await addIndex(engine.client, tableName, indexName);

      const run = await runBackfill(engine.doc, tableName, {
        indexName,
        totalSegments: 3,
        timeBudgetMs: 200,
        maxWritesPerSecond: 1000,
      });

      const pending = events.filter((event) => event.inbox_pk !== undefined);
      expect(pending.length).toBeGreaterThan(0);
      expect(pending.length).toBeLessThan(events.length);
      expect(run).toMatchObject({ updated: pending.length, skipped: 0 });
      const items = await allItems(tableName);
      for (const item of items) {
        const expected =
          item.inbox_pk === undefined ? undefined : inboxFilterKey(String(item.tenant_id), ...filter.values(item));
        expect({ sk: item.sk, key: item[filter.attribute] }).toEqual({ sk: item.sk, key: expected });
        for (const other of Object.values(FILTERS)) {
          if (other !== filter) expect(item).not.toHaveProperty(other.attribute);
        }
      }
      const [first] = pending;
      if (!first) throw new Error('no pending event seeded');
      const key = inboxFilterKey(first.tenant_id, ...filter.values(first as unknown as Record<string, unknown>));
      const { Items } = await engine.doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: indexName,
          KeyConditionExpression: '#key = :key',
          ExpressionAttributeNames: { '#key': filter.attribute },
          ExpressionAttributeValues: { ':key': key },
        }),
      );
      const expectedSks = pending
        .filter(
          (event) =>
            inboxFilterKey(event.tenant_id, ...filter.values(event as unknown as Record<string, unknown>)) === key,
        )
        .map((event) => event.sk)
        .sort();
      expect((Items ?? []).map((item) => item.sk)).toEqual(expectedSks);
    },
  );

  it('skips an event acknowledged between the scan and its write: it is not put back in the index', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 20);
    await addIndex(engine.client, tableName, INBOX_SOURCE_INDEX);
    let acknowledgedKey: Record<string, unknown> | undefined;
    const racingDoc = {
      send: async (command: unknown) => {
        if (command instanceof UpdateCommand && acknowledgedKey === undefined) {
          acknowledgedKey = command.input.Key;
          // As the API acknowledges an event: out of inbox-index and every filter index at once.
          await engine.doc.send(
            new UpdateCommand({
              TableName: tableName,
              Key: acknowledgedKey,
              UpdateExpression: `SET #status = :acknowledged REMOVE ${PENDING_ONLY_ATTRIBUTES.join(', ')}`,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':acknowledged': 'acknowledged' },
            }),
          );
        }
        return engine.doc.send(command as UpdateCommand);
      },
    } as unknown as DynamoDBDocumentClient;

    const result = await backfillSegment({
      doc: racingDoc,
      tableName,
      indexName: INBOX_SOURCE_INDEX,
      segment: 0,
      totalSegments: 1,
      timeBudgetMs: 60_000,
      maxWritesPerSecond: 1000,
      ...fakeTime(),
    });

    const pending = events.filter((event) => event.inbox_pk !== undefined).length;
    expect(result).toMatchObject({ scanned: events.length, updated: pending - 1, skipped: 1, done: true });
    const { Item } = await engine.doc.send(new GetCommand({ TableName: tableName, Key: acknowledgedKey }));
    expect(Item).toMatchObject({ status: 'acknowledged' });
    expect(Item).not.toHaveProperty('inbox_pk');
    expect(Item).not.toHaveProperty('inbox_source_pk');
  });

  it('replaces a filter key that holds another value, and leaves a right one unwritten', async () => {
    const { tableName, events } = await createLegacyTable(engine.client, engine.doc, 12);
    const [wrong, right] = events.filter((event) => event.inbox_pk !== undefined);
    if (!wrong || !right) throw new Error('two pending events expected');
    for (const [event, source] of [
      [wrong, 'another-source'],
      [right, right.source],
    ] as const) {
      await engine.doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { tenant_id: event.tenant_id, sk: event.sk },
          UpdateExpression: 'SET inbox_source_pk = :key',
          ExpressionAttributeValues: { ':key': inboxFilterKey(event.tenant_id, source) },
        }),
      );
    }

    const result = await backfillSegment({
      doc: engine.doc,
      tableName,
      indexName: INBOX_SOURCE_INDEX,
      segment: 0,
      totalSegments: 1,
      timeBudgetMs: 60_000,
      maxWritesPerSecond: 1000,
      ...fakeTime(),
    });

    const pending = events.filter((event) => event.inbox_pk !== undefined).length;
    expect(result).toMatchObject({ updated: pending - 1, skipped: 0, underivable: 0 });
    const { Item } = await engine.doc.send(
      new GetCommand({ TableName: tableName, Key: { tenant_id: wrong.tenant_id, sk: wrong.sk } }),
    );
    expect(Item?.inbox_source_pk).toBe(inboxFilterKey(wrong.tenant_id, wrong.source));
  });

  it('rejects an index the schema does not derive, naming the ones it does, before reading the table', async () => {
    const call = backfillSegment({
      doc: engine.doc,
      tableName: 'no-such-table',
      indexName: 'inbox-index',
      segment: 0,
      totalSegments: 1,
      timeBudgetMs: 1000,
      maxWritesPerSecond: 10,
    });

    await expect(call).rejects.toThrow(InvalidMigrationInputError);
    await expect(call).rejects.toThrow(/^indexName must be one of event-id-index, inbox-source-index/);
  });
});
