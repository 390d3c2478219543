import Router from '@koa/router';
import { respond } from '../respond';

/** `GET /v1/health`: liveness of the process, without authentication. */
export function healthRoutes(router: Router, version: string): void {
  router.get('/v1/health', (ctx) => {
    respond(ctx, 200, { status: 'healthy', timestamp: new Date().toISOString(), version });
  });
}
