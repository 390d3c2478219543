import { EVENT_ID_INDEX } from './table-schemas';

/** Partition of control records; tenant ids cannot start with '#', so no tenant can reach it. */
export const CONTROL_TENANT = '#control';

/** Sort key of the record saying whether an index is verified complete (the API reads it, the migration writes it). */
export function indexControlSk(indexName: string): string {
  return `INDEX#${indexName}`;
}

/** The control record of `event-id-index`. */
export const EVENT_ID_INDEX_CONTROL_SK = indexControlSk(EVENT_ID_INDEX);

/** Fields of an index's control record. */
export const ControlAttr = {
  status: 'status',
  verifiedAt: 'verified_at',
  verifiedBy: 'verified_by',
} as const;

/** The value of `status` once the index is verified. */
export const VERIFIED = 'verified';

/**
 * How the API may use a derived index (`event-id-index` for lookups by id, the inbox filter indexes):
 * - `verified`: the index holds every item it should (created with the table, or verified by the migration);
 * - `unverified`: the index is ACTIVE but not verified complete: a lookup miss falls back to a scan, a
 *   filtered inbox reads `inbox-index` instead;
 * - `absent`: no usable index (legacy table, or still backfilling).
 */
export type IndexState = 'verified' | 'unverified' | 'absent';

/** The state of `event-id-index`. */
export type EventIdIndexState = IndexState;

/** The lock item that keeps two migration executions off one table (in the control partition, never an event). */
export const MIGRATION_LOCK_SK = `LOCK#${EVENT_ID_INDEX}-migration`;

/** Fields of the migration lock item. */
export const LockAttr = { holder: 'holder', lockedAt: 'locked_at' } as const;
