import Router from '@koa/router';
import { ServiceUnavailableError } from '../../errors';
import type { HealthCheck } from '../../health/health-check';
import { respond } from '../respond';

/**
 * `GET /v1/health`, without authentication: 200 when the event store answers (and, locally, the embedded
 * engine runs); otherwise 503 in the error envelope with Retry-After, the reason and each check's state.
 */
export function healthRoutes(router: Router, version: string, check: HealthCheck): void {
  router.get('/v1/health', async (ctx) => {
    const report = await check();
    if (!report.healthy) {
      const reason = report.reason ?? 'a dependency is unavailable';
      throw new ServiceUnavailableError(`Not healthy: ${reason}`, {
        retryAfterSeconds: report.retryAfterSeconds,
        details: { status: 'unhealthy', reason, checks: report.checks },
      });
    }
    respond(ctx, 200, { status: 'healthy', timestamp: new Date().toISOString(), version });
  });
}
