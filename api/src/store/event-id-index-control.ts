import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EVENT_ID_INDEX } from './table-schemas';

/** Partition of control records; tenant ids cannot start with '#', so no tenant can reach it. */
export const CONTROL_TENANT = '#control';
export const EVENT_ID_INDEX_CONTROL_SK = `INDEX#${EVENT_ID_INDEX}`;

/**
 * How lookups by event id may use `event-id-index`:
 * - `verified`: the index holds every event (created with the table, or verified by the migration);
 * - `unverified`: the index is ACTIVE but not verified complete: a miss falls back to a scan;
 * - `absent`: no usable index (legacy table, or still backfilling): scan only.
 */
export type EventIdIndexState = 'verified' | 'unverified' | 'absent';

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
        status: 'verified',
        verified_at: now.toISOString(),
        verified_by: verifiedBy,
      },
    }),
  );
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
  return control.Item?.status === 'verified' ? 'verified' : 'unverified';
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
