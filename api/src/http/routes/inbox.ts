import Router from '@koa/router';
import type { EventService } from '../../domain/event-service';
import type { InboxCursors } from '../../domain/inbox-cursor';
import { principal, requestState } from '../request-context';
import { eventRepresentation, respond } from '../respond';
import { parseInboxQuery } from '../validation';

/** `GET /v1/inbox`: pending events, oldest first, with opaque tenant-bound cursors. */
export function inboxRoutes(router: Router, service: EventService, cursors: InboxCursors): void {
  router.get('/v1/inbox', async (ctx) => {
    const query = parseInboxQuery(ctx.query);
    const { tenantId } = principal(ctx);
    const codec = await cursors();
    const afterSk = query.cursor === undefined ? undefined : codec.decode(tenantId, query.cursor);
    const page = await service.inbox(tenantId, {
      limit: query.limit,
      ...(afterSk !== undefined ? { afterSk } : {}),
      ...(query.source != null ? { source: query.source } : {}),
      ...(query.event_type != null ? { eventType: query.event_type } : {}),
    });
    respond(ctx, 200, {
      events: page.events.map(eventRepresentation),
      pagination: {
        limit: query.limit,
        ...(page.nextAfterSk !== undefined ? { next_cursor: codec.encode(tenantId, page.nextAfterSk) } : {}),
      },
      request_id: requestState(ctx).requestId,
    });
  });
}
