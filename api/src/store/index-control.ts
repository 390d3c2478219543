import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  CONTROL_TENANT,
  ControlAttr,
  indexControlSk,
  VERIFIED,
  type IndexState,
} from '../../../contract/control-record';
import { DERIVED_INDEX_NAMES, EVENT_ID_INDEX, EventAttr } from '../../../contract/table-schemas';

/** Records that a derived index is complete, so the API may trust it (a lookup miss, a filtered inbox page). */
export async function markIndexVerified(
  doc: DynamoDBDocumentClient,
  tableName: string,
  indexName: string,
  verifiedBy: string,
  now: Date = new Date(),
): Promise<void> {
  await doc.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        tenant_id: CONTROL_TENANT,
        sk: indexControlSk(indexName),
        [ControlAttr.status]: VERIFIED,
        [ControlAttr.verifiedAt]: now.toISOString(),
        [ControlAttr.verifiedBy]: verifiedBy,
      },
    }),
  );
}

/** What marking a table's indexes at deploy did: only a table that holds no events yet can be marked without a backfill. */
export type DeployMarkOutcome = 'marked' | 'already-verified' | 'holds-events' | 'no-active-index';

/**
 * Marks each derived index verified on a table that has it ACTIVE and holds no events yet: every event
 * this version writes carries the derived attributes, so from then on the index holds every event it
 * should. A table that already holds events (created by an older version, its indexes just added by
 * CloudFormation) is left as it is: older events lack the derived attributes until the migration
 * backfills and verifies them. Resolves the outcome per index.
 */
export async function markIndexesVerifiedIfEmpty(
  client: DynamoDBClient,
  doc: DynamoDBDocumentClient,
  tableName: string,
  verifiedBy: string,
  now: Date = new Date(),
): Promise<Record<string, DeployMarkOutcome>> {
  const states = await readIndexStates(client, doc, tableName, DERIVED_INDEX_NAMES);
  const outcomes: Record<string, DeployMarkOutcome> = {};
  const toMark: string[] = [];
  for (const name of DERIVED_INDEX_NAMES) {
    const state = states[name];
    if (state === 'verified') outcomes[name] = 'already-verified';
    else if (state === 'absent') outcomes[name] = 'no-active-index';
    else toMark.push(name);
  }
  if (toMark.length === 0) return outcomes;
  const empty = !(await holdsEvents(doc, tableName));
  for (const name of toMark) {
    if (empty) await markIndexVerified(doc, tableName, name, verifiedBy, now);
    outcomes[name] = empty ? 'marked' : 'holds-events';
  }
  return outcomes;
}

async function holdsEvents(doc: DynamoDBDocumentClient, tableName: string): Promise<boolean> {
  let startKey: Record<string, unknown> | undefined;
  do {
    // Keys only, a few at a time: the first event found ends the search, and control records are few.
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        Limit: 25,
        ProjectionExpression: '#tenant',
        ExpressionAttributeNames: { '#tenant': EventAttr.tenantId },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    if (page.Items?.some((item) => item[EventAttr.tenantId] !== CONTROL_TENANT)) return true;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return false;
}

/** Reads the states of some indexes from one table description and their control records. */
export async function readIndexStates(
  client: DynamoDBClient,
  doc: DynamoDBDocumentClient,
  tableName: string,
  indexNames: readonly string[],
): Promise<Record<string, IndexState>> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const states: Record<string, IndexState> = {};
  for (const name of indexNames) {
    const index = Table?.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === name);
    if (!index || index.IndexStatus !== 'ACTIVE') {
      states[name] = 'absent';
      continue;
    }
    const control = await doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { tenant_id: CONTROL_TENANT, sk: indexControlSk(name) },
        ConsistentRead: true,
      }),
    );
    states[name] = control.Item?.[ControlAttr.status] === VERIFIED ? 'verified' : 'unverified';
  }
  return states;
}

/** Reads one index's state from the table description and its control record (default `event-id-index`). */
export async function readIndexState(
  client: DynamoDBClient,
  doc: DynamoDBDocumentClient,
  tableName: string,
  indexName: string = EVENT_ID_INDEX,
): Promise<IndexState> {
  const states = await readIndexStates(client, doc, tableName, [indexName]);
  return states[indexName] ?? 'absent';
}

/**
 * Caches the states of some indexes, read together (one table description, one control record each), and
 * refreshes them at most every `refreshMs`, so a finished migration is picked up without a restart.
 */
export class IndexStates {
  /** The last states read; empty until a read succeeds, when every index counts as `unverified`. */
  private states: Readonly<Record<string, IndexState>> = {};
  private succeeded = false;
  private readAt: number | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<Readonly<Record<string, IndexState>>>,
    private readonly refreshMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * An index's current state. A failed refresh keeps the last known states (before any, `unverified`, which
   * is always safe) until the next refresh is due; an index the reader does not cover is `absent`.
   */
  async current(indexName: string): Promise<IndexState> {
    if (this.readAt === undefined || this.clock() - this.readAt >= this.refreshMs) {
      this.refreshing ??= this.read()
        .then(
          (states) => {
            this.states = states;
            this.succeeded = true;
          },
          () => undefined,
        )
        .finally(() => {
          this.readAt = this.clock();
          this.refreshing = undefined;
        });
      await this.refreshing;
    }
    return this.states[indexName] ?? (this.succeeded ? 'absent' : 'unverified');
  }

  /** Forgets when the states were read, so the next use reads them again. */
  invalidate(): void {
    this.readAt = undefined;
  }
}
