import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  CONTROL_TENANT,
  ControlAttr,
  EVENT_ID_INDEX_CONTROL_SK,
  VERIFIED,
  type EventIdIndexState,
} from '../../../contract/control-record';
import { EVENT_ID_INDEX, EventAttr } from '../../../contract/table-schemas';

/** Records that `event-id-index` is complete, so lookups may trust a miss in it. */
export async function markEventIdIndexVerified(
  doc: DynamoDBDocumentClient,
  tableName: string,
  verifiedBy: string,
  now: Date = new Date(),
): Promise<void> {
  await doc.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        tenant_id: CONTROL_TENANT,
        sk: EVENT_ID_INDEX_CONTROL_SK,
        [ControlAttr.status]: VERIFIED,
        [ControlAttr.verifiedAt]: now.toISOString(),
        [ControlAttr.verifiedBy]: verifiedBy,
      },
    }),
  );
}

/** What marking a table at deploy did: only a table that holds no events yet can be marked without a backfill. */
export type DeployMarkOutcome = 'marked' | 'already-verified' | 'holds-events' | 'no-active-index';

/**
 * Marks `event-id-index` verified on a table that has it ACTIVE and holds no events yet: every event this
 * version writes carries `event_id`, so from then on the index holds every event and the API never scans.
 * A table that already holds events (created by an older version, its index just added by CloudFormation)
 * is left as it is: legacy events have no `event_id` until the migration backfills and verifies them.
 */
export async function markEventIdIndexVerifiedIfEmpty(
  client: DynamoDBClient,
  doc: DynamoDBDocumentClient,
  tableName: string,
  verifiedBy: string,
  now: Date = new Date(),
): Promise<DeployMarkOutcome> {
  const state = await readEventIdIndexState(client, doc, tableName);
  if (state === 'verified') return 'already-verified';
  if (state === 'absent') return 'no-active-index';
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
    if (page.Items?.some((item) => item[EventAttr.tenantId] !== CONTROL_TENANT)) return 'holds-events';
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  await markEventIdIndexVerified(doc, tableName, verifiedBy, now);
  return 'marked';
}

/** Reads the index's state from the table description and the control record. */
export async function readEventIdIndexState(
  client: DynamoDBClient,
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<EventIdIndexState> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const index = Table?.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === EVENT_ID_INDEX);
  if (!index || index.IndexStatus !== 'ACTIVE') return 'absent';
  const control = await doc.send(
    new GetCommand({
      TableName: tableName,
      Key: { tenant_id: CONTROL_TENANT, sk: EVENT_ID_INDEX_CONTROL_SK },
      ConsistentRead: true,
    }),
  );
  return control.Item?.[ControlAttr.status] === VERIFIED ? 'verified' : 'unverified';
}

/** Caches the index state and refreshes it at most every `refreshMs`, so a finished migration is picked up without a restart. */
export class EventIdIndexStatus {
  private state: EventIdIndexState | undefined;
  private readAt = 0;
  private refreshing: Promise<EventIdIndexState> | undefined;

  constructor(
    private readonly read: () => Promise<EventIdIndexState>,
    private readonly refreshMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Current state; a failed refresh keeps the last known state (or `unverified`, which is always safe). */
  async current(): Promise<EventIdIndexState> {
    if (this.state !== undefined && this.clock() - this.readAt < this.refreshMs) return this.state;
    this.refreshing ??= this.read()
      .catch(() => this.state ?? 'unverified')
      .then((state) => {
        this.state = state;
        this.readAt = this.clock();
        this.refreshing = undefined;
        return state;
      });
    return this.refreshing;
  }

  /** Forgets the cached state so the next lookup reads it again. */
  invalidate(): void {
    this.readAt = 0;
  }
}
