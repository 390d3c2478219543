import type { Context } from 'koa';
import type { StoredEvent } from '../domain/event';
import { RawJson, serializeResponse } from './json';

/** Sends a JSON body; stored payloads (`RawJson`) go out exactly as they were received. */
export function respond(ctx: Context, status: number, body: Record<string, unknown>): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = serializeResponse(body);
}

/** Public representation of an event (DESIGN §5). */
export function eventRepresentation(event: StoredEvent): Record<string, unknown> {
  return {
    event_id: event.eventId,
    created_at: event.createdAt,
    source: event.source,
    event_type: event.eventType,
    payload: new RawJson(event.payloadJson),
    status: event.status,
    metadata: event.metadata,
    ...(event.acknowledgedAt ? { acknowledged_at: event.acknowledgedAt } : {}),
  };
}
