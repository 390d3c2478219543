import Router from '@koa/router';
import type { EventMetadata } from '../../../../contract/event';
import type { EventService } from '../../domain/event-service';
import type { MetricsRecorder } from '../../observability/metrics';
import { stringifyJsonExact } from '../json';
import { readJsonBody } from '../json-body';
import { principal, requestState } from '../request-context';
import { eventRepresentation, respond } from '../respond';
import { parseCreateEventBody, parseEventId } from '../validation';

/** `POST /v1/events`, `GET /v1/events/:event_id`, `POST /v1/events/:event_id/ack`, `DELETE /v1/events/:event_id`. */
export function eventRoutes(router: Router, service: EventService, metrics: MetricsRecorder): void {
  router.post('/v1/events', async (ctx) => {
    const body = parseCreateEventBody(await readJsonBody(ctx));
    const { tenantId } = principal(ctx);
    const { event, replayed } = await service.create(tenantId, {
      source: body.source,
      eventType: body.event_type,
      payloadJson: stringifyJsonExact(body.payload),
      metadata: withoutNulls(body.metadata),
    });
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    else metrics.recordEventsIngested(1);
    requestState(ctx).log.event_id = event.eventId;
    respond(ctx, 201, {
      event_id: event.eventId,
      created_at: event.createdAt,
      status: 'pending',
      message: replayed ? 'Event already created for this idempotency key' : 'Event created',
      request_id: requestState(ctx).requestId,
    });
  });

  router.get('/v1/events/:event_id', async (ctx) => {
    const eventId = parseEventId(ctx.params.event_id ?? '');
    requestState(ctx).log.event_id = eventId;
    const { event } = await service.get(principal(ctx).tenantId, eventId);
    respond(ctx, 200, { ...eventRepresentation(event), request_id: requestState(ctx).requestId });
  });

  router.post('/v1/events/:event_id/ack', async (ctx) => {
    const eventId = parseEventId(ctx.params.event_id ?? '');
    requestState(ctx).log.event_id = eventId;
    const { event } = await service.acknowledge(principal(ctx).tenantId, eventId);
    respond(ctx, 200, {
      event_id: event.eventId,
      status: event.status,
      acknowledged_at: event.acknowledgedAt,
      message: 'Event acknowledged',
      request_id: requestState(ctx).requestId,
    });
  });

  router.delete('/v1/events/:event_id', async (ctx) => {
    const eventId = parseEventId(ctx.params.event_id ?? '');
    requestState(ctx).log.event_id = eventId;
    const { deleted } = await service.delete(principal(ctx).tenantId, eventId);
    respond(ctx, 200, {
      event_id: eventId,
      message: deleted ? 'Event deleted' : 'Event not found; nothing to delete',
      request_id: requestState(ctx).requestId,
    });
  });
}

/** JSON `null` for an optional metadata field means "not given". */
function withoutNulls(metadata: EventMetadata | null | undefined): EventMetadata {
  const result: EventMetadata = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (value !== null && value !== undefined) result[key] = value;
  }
  return result;
}
