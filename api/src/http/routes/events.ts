import Router from '@koa/router';
import type { EventMetadata } from '../../../../contract/event';
import type { BatchItemOutcome, EventService, NewEventInput } from '../../domain/event-service';
import { ApiError, PayloadTooLargeError, ServiceUnavailableError } from '../../errors';
import type { MetricsRecorder } from '../../observability/metrics';
import { stringifyJsonExact } from '../json';
import { MAX_BODY_BYTES, readJsonBody } from '../json-body';
import { principal, requestState } from '../request-context';
import { eventRepresentation, respond } from '../respond';
import { parseBatchEventsBody, parseCreateEventBody, parseEventId, type CreateEventBody } from '../validation';

/** Largest batch body: 25 events of up to 256 KiB each would not fit Lambda's 6 MB; 1 MiB leaves room. */
export const MAX_BATCH_BODY_BYTES = 1024 * 1024;

/** `POST /v1/events`, `GET /v1/events/:event_id`, `POST /v1/events/:event_id/ack`, `DELETE /v1/events/:event_id`. */
export function eventRoutes(router: Router, service: EventService, metrics: MetricsRecorder): void {
  router.post('/v1/events', async (ctx) => {
    const body = parseCreateEventBody(await readJsonBody(ctx));
    const { tenantId } = principal(ctx);
    const { event, replayed } = await service.create(tenantId, newEventInput(body));
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

  router.post('/v1/events/batch', async (ctx) => {
    const { events } = parseBatchEventsBody(await readJsonBody(ctx, MAX_BATCH_BODY_BYTES));
    const { tenantId } = principal(ctx);
    // Each item is checked as a POST /v1/events body would be; the valid ones are created together.
    const checked = events.map(checkBatchItem);
    const valid = checked.flatMap((item) => ('input' in item ? [item.input] : []));
    const created = await service.createMany(tenantId, valid);
    // The service answers in the order of the valid items: put its outcomes back among the invalid ones.
    let next = 0;
    const outcomes = checked.map((item): BatchItemOutcome => {
      if (!('input' in item)) return item;
      const outcome = created[next++];
      if (outcome === undefined) throw new Error('the service answered for fewer events than it was given');
      return outcome;
    });

    const results = outcomes.map((outcome, index) => batchResult(index, outcome));
    const failed = outcomes.filter((outcome) => 'error' in outcome);
    const newlyCreated = outcomes.filter((outcome) => 'event' in outcome && !outcome.replayed).length;
    if (newlyCreated > 0) metrics.recordEventsIngested(newlyCreated);
    const { log, requestId } = requestState(ctx);
    Object.assign(log, {
      batch_events: events.length,
      batch_created: events.length - failed.length,
      batch_failed: failed.length,
    });
    const body = { results, created: events.length - failed.length, failed: failed.length, request_id: requestId };
    // Items the service could not store make the response a 503 (with the results, so only those are retried);
    // items the client got wrong do not: they are in the results, and the rest were created.
    const unavailable = failed
      .map((outcome) => outcome.error)
      .filter((error): error is ServiceUnavailableError => error instanceof ServiceUnavailableError);
    if (unavailable.length === 0) return respond(ctx, 200, body);
    log.error_type = 'SERVICE_UNAVAILABLE';
    ctx.set('Retry-After', String(Math.max(...unavailable.map((error) => error.retryAfterSeconds))));
    respond(ctx, 503, {
      error: {
        code: 'SERVICE_UNAVAILABLE',
        message: `${unavailable.length} of ${events.length} events could not be stored; results say which. Retry those later`,
        details: null,
        request_id: requestId,
      },
      ...body,
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

/** What the service needs from a validated `POST /v1/events` body. */
function newEventInput(body: CreateEventBody): NewEventInput {
  return {
    source: body.source,
    eventType: body.event_type,
    payloadJson: stringifyJsonExact(body.payload),
    metadata: withoutNulls(body.metadata),
  };
}

/** One batch item, validated as a `POST /v1/events` body and held to the same size. */
function checkBatchItem(item: unknown): { input: NewEventInput } | { error: ApiError } {
  try {
    const body = parseCreateEventBody(item);
    const input = newEventInput(body);
    const bytes = Buffer.byteLength(input.payloadJson) + Buffer.byteLength(JSON.stringify(input.metadata));
    if (bytes > MAX_BODY_BYTES) {
      return {
        error: new PayloadTooLargeError(`Event exceeds ${MAX_BODY_BYTES} bytes`, { limit_bytes: MAX_BODY_BYTES }),
      };
    }
    return { input };
  } catch (error) {
    if (error instanceof ApiError) return { error };
    throw error;
  }
}

/** One entry of a batch response: the created event, or the error envelope of the item, with its index. */
function batchResult(index: number, outcome: BatchItemOutcome): Record<string, unknown> {
  if ('error' in outcome) {
    const { error } = outcome;
    return { index, status: error.status, error: { code: error.code, message: error.message, details: error.details } };
  }
  return {
    index,
    status: 201,
    event_id: outcome.event.eventId,
    created_at: outcome.event.createdAt,
    event_status: 'pending',
    replayed: outcome.replayed,
  };
}

/** JSON `null` for an optional metadata field means "not given". */
function withoutNulls(metadata: EventMetadata | null | undefined): EventMetadata {
  const result: EventMetadata = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (value !== null && value !== undefined) result[key] = value;
  }
  return result;
}
