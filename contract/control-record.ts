import { EVENT_ID_INDEX } from './table-schemas';

/** Partition of control records; tenant ids cannot start with '#', so no tenant can reach it. */
export const CONTROL_TENANT = '#control';

/** The record saying whether `event-id-index` is verified complete (the API reads it, the migration writes it). */
export const EVENT_ID_INDEX_CONTROL_SK = `INDEX#${EVENT_ID_INDEX}`;

/** Fields of the `event-id-index` control record. */
export const ControlAttr = {
  status: 'status',
  verifiedAt: 'verified_at',
  verifiedBy: 'verified_by',
} as const;

/** The value of `status` once the index is verified. */
export const VERIFIED = 'verified';

/**
 * How lookups by event id may use `event-id-index`:
 * - `verified`: the index holds every event (created with the table, or verified by the migration);
 * - `unverified`: the index is ACTIVE but not verified complete: a miss falls back to a scan;
 * - `absent`: no usable index (legacy table, or still backfilling): scan only.
 */
export type EventIdIndexState = 'verified' | 'unverified' | 'absent';

/** The lock item that keeps two migration executions off one table (in the control partition, never an event). */
export const MIGRATION_LOCK_SK = `LOCK#${EVENT_ID_INDEX}-migration`;

/** Fields of the migration lock item. */
export const LockAttr = { holder: 'holder', lockedAt: 'locked_at' } as const;
