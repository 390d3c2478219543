import type { Context } from 'koa';
import type { StoredEvent } from '../../../contract/event';
import { addToLogContext } from '../observability/log-context';
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
    payload: storedPayload(event),
    status: event.status,
    metadata: event.metadata,
    ...(event.acknowledgedAt ? { acknowledged_at: event.acknowledgedAt } : {}),
  };
}

/**
 * The stored payload, spliced in as it is. Text that is not JSON (an item written by another writer) goes
 * out as a JSON string instead of breaking the whole answer, and the access line names the event.
 * `JSON.parse` checks it without recursing, however deep it nests.
 */
function storedPayload(event: StoredEvent): RawJson | string {
  try {
    JSON.parse(event.payloadJson);
    return new RawJson(event.payloadJson);
  } catch {
    addToLogContext({ payload_not_json: event.eventId });
    return event.payloadJson;
  }
}
