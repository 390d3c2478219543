import type { StoredEvent } from './event';

/**
 * The reservation a request makes for an idempotency key before it writes its event.
 * It carries the whole event so that a retry can finish a write its first attempt did not.
 */
export interface IdempotencyRecord {
  tenantId: string;
  key: string;
  /** SHA-256 of the request body: a reused key with another body is a conflict. */
  requestHash: string;
  event: StoredEvent;
  /** Set when the client deleted the event: a replay must not bring it back. */
  eventDeleted: boolean;
  expiresAt: number;
}

export const IDEMPOTENCY_SK_PREFIX = 'IDEMPOTENCY#';

/** Sort key of an idempotency record. */
export function idempotencySortKey(key: string): string {
  return `${IDEMPOTENCY_SK_PREFIX}${key}`;
}
