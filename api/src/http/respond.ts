import type { Context } from 'koa';
import type { StoredEvent } from '../domain/event';
import { parseJsonExact, stringifyJsonExact } from './json';

/** Sends a JSON body, keeping every number of client payloads exactly as received. */
export function respond(ctx: Context, status: number, body: Record<string, unknown>): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = stringifyJsonExact(body);
}

/** Public representation of an event (DESIGN §5). */
export function eventRepresentation(event: StoredEvent): Record<string, unknown> {
  return {
    event_id: event.eventId,
    created_at: event.createdAt,
    source: event.source,
    event_type: event.eventType,
    payload: parseJsonExact(event.payloadJson),
    status: event.status,
    metadata: event.metadata,
    ...(event.acknowledgedAt ? { acknowledged_at: event.acknowledgedAt } : {}),
  };
}
